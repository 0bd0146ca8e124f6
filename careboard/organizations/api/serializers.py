from __future__ import annotations

import zoneinfo
from typing import Any

from rest_framework import serializers

from careboard.organizations.api.scoping import ScopedPrimaryKeyRelatedField
from careboard.organizations.models import Invitation, Membership, Organization, Ward
from careboard.organizations.roles import Capability, Role
from careboard.users.models import User


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = (
            "id",
            "name",
            "slug",
            "time_zone",
            "day_shift_start",
            "evening_shift_start",
            "night_shift_start",
            "interval_score_zero",
            "interval_low",
            "interval_low_medium",
            "interval_medium",
            "interval_high",
            "interval_unscored",
            "interval_dengue_critical_max",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("id", "slug", "created_at", "updated_at")

    def validate_time_zone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError("Unknown time zone; use an IANA name.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The shifts follow each other through the day: D before E before N (N wraps midnight).
        current = {
            name: attrs.get(name, getattr(self.instance, name, None))
            for name in ("day_shift_start", "evening_shift_start", "night_shift_start")
        }
        day, evening, night = current.values()
        if day and evening and night and not (day < evening < night):
            raise serializers.ValidationError(
                {"evening_shift_start": ["Shifts start in the order day, evening, night."]}
            )
        return attrs


class WardSerializer(serializers.ModelSerializer[Ward]):
    organization = ScopedPrimaryKeyRelatedField(
        capability=Capability.WARD_VIEW, org_field="pk", queryset=Organization.objects.all()
    )

    class Meta:
        model = Ward
        fields = ("id", "organization", "name", "code", "beds", "archived", "created_at")
        read_only_fields = ("id", "created_at")
        # validate() checks the name case-insensitively, with a message on the field.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (
            "organization" in attrs
            and self.instance is not None
            and attrs["organization"] != self.instance.organization
        ):
            raise serializers.ValidationError(
                {"organization": ["A ward cannot move to another organisation."]}
            )
        org = attrs.get("organization") or getattr(self.instance, "organization", None)
        name = attrs.get("name")
        if org is not None and name:
            clash = Ward.objects.filter(organization=org, name__iexact=name)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError({"name": ["A ward with this name exists."]})
        return attrs


class MemberUserSerializer(serializers.Serializer[User]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(read_only=True)


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    user = MemberUserSerializer(read_only=True)
    organization = serializers.PrimaryKeyRelatedField[Organization](read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ("id", "user", "organization", "role", "created_at", "updated_at")
        read_only_fields = ("id", "user", "organization", "created_at", "updated_at")


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    # Any member's organisation resolves, so that a non-admin gets 403 (role), not 400.
    organization = ScopedPrimaryKeyRelatedField(
        capability=Capability.ORGANIZATION_VIEW,
        org_field="pk",
        queryset=Organization.objects.all(),
    )
    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.CharField(read_only=True)
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, default=None)
    accept_url = serializers.SerializerMethodField(
        help_text="The link to send, present only in the response that created the invitation."
    )

    class Meta:
        model = Invitation
        fields = (
            "id",
            "organization",
            "email",
            "role",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "accept_url",
        )
        read_only_fields = ("id", "status", "created_at", "expires_at", "accepted_at")

    def get_accept_url(self, obj: Invitation) -> str | None:
        return self.context.get("accept_url")


class InvitationAcceptSerializer(serializers.Serializer[Any]):  # input only: no instance
    token = serializers.CharField(max_length=200)
