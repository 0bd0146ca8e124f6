from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers

from careboard.users.models import ApiToken, User


class MeMembershipSerializer(serializers.Serializer[dict[str, Any]]):
    organization_id = serializers.UUIDField()
    organization_name = serializers.CharField()
    time_zone = serializers.CharField(help_text="The organisation's IANA time zone.")
    role = serializers.CharField()


class MeSerializer(serializers.ModelSerializer[User]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    memberships = serializers.SerializerMethodField()
    mfa_enabled = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ("id", "email", "name", "language", "memberships", "mfa_enabled")
        read_only_fields = fields

    def get_memberships(self, user: User) -> list[dict[str, str]]:
        rows = user.memberships.select_related("organization").order_by("organization__name")
        # What many=True builds, spelled out: the stubs type a many=True call as the single
        # serializer, whose data is one dict.
        return serializers.ListSerializer(
            instance=[
                {
                    "organization_id": m.organization_id,
                    "organization_name": m.organization.name,
                    "time_zone": m.organization.time_zone,
                    "role": m.role,
                }
                for m in rows
            ],
            child=MeMembershipSerializer(),
        ).data

    def get_mfa_enabled(self, user: User) -> bool:
        from allauth.mfa.models import Authenticator

        return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields: tuple[str, ...] = (
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "is_active",
        )
        read_only_fields: tuple[str, ...] = fields


class ApiTokenCreateSerializer(serializers.Serializer[Any]):  # input only: no instance
    name = serializers.CharField(max_length=100)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=settings.API_TOKEN_MAX_DAYS, default=settings.API_TOKEN_DEFAULT_DAYS
    )


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret, shown only once.")

    class Meta(ApiTokenSerializer.Meta):
        fields = (*ApiTokenSerializer.Meta.fields, "token")
        read_only_fields = fields
