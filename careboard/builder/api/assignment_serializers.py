"""Shapes of the staff side of assignments: assign, read, change, adherence."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from careboard.builder.adherence import Adherence, DayCount, Flag, SeriesPoint, WeekCount
from careboard.builder.models import Assignment, AssignmentStatus, PortalToken
from careboard.organizations.api.scoping import ScopedPrimaryKeyRelatedField
from careboard.organizations.roles import Capability
from careboard.patients.api.serializers import UserRefSerializer
from careboard.patients.models import Patient


class AssignSerializer(serializers.Serializer[Any]):  # input only: no instance
    patient = ScopedPrimaryKeyRelatedField(
        capability=Capability.PATIENT_VIEW, queryset=Patient.objects.all()
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text="Default: after the program's weeks."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("end_date")
        if end is not None and end < attrs["start_date"]:
            raise serializers.ValidationError({"end_date": ["The end date is before the start."]})
        return attrs


class AssignmentUpdateSerializer(serializers.Serializer[Any]):  # input only: no instance
    start_date = serializers.DateField(
        required=False, help_text="Only until the patient has logged activity."
    )
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text="null: run for the program's weeks."
    )


class PatientRefSerializer(serializers.ModelSerializer[Patient]):
    class Meta:
        model = Patient
        fields = ("id", "mrn", "given_name", "family_name")
        read_only_fields = fields


class PortalTokenInfoSerializer(serializers.ModelSerializer[PortalToken]):
    """The live portal link, without its secret (shown only when issued)."""

    class Meta:
        model = PortalToken
        fields = ("prefix", "created_at", "expires_at", "last_used_at")
        read_only_fields = fields


class FlagSerializer(serializers.Serializer[Flag]):
    code = serializers.ChoiceField(choices=["pain_high", "pain_rising", "inactive"])
    severity = serializers.ChoiceField(choices=["high", "medium", "low"], source="level")
    detail = serializers.CharField()


class AssignmentSerializer(serializers.ModelSerializer[Assignment]):
    program_name = serializers.CharField(help_text="As assigned (the snapshot's name).")
    program_version = serializers.IntegerField(
        source="program.version", allow_null=True, read_only=True
    )
    update_available = serializers.SerializerMethodField(
        help_text="The program changed since it was assigned; re-assign to pass it on."
    )
    patient = PatientRefSerializer()
    assigned_by = UserRefSerializer(allow_null=True)
    ended_by = UserRefSerializer(allow_null=True)
    portal = PortalTokenInfoSerializer(source="live_token", allow_null=True)
    flags = FlagSerializer(many=True)
    last_activity_on = serializers.DateField(allow_null=True)

    class Meta:
        model = Assignment
        fields: tuple[str, ...] = (
            "id",
            "organization",
            "program",
            "program_name",
            "snapshot_version",
            "program_version",
            "update_available",
            "patient",
            "assigned_by",
            "start_date",
            "end_date",
            "status",
            "snapshot_from",
            "ended_at",
            "ended_by",
            "portal",
            "flags",
            "last_activity_on",
            "created_at",
            "updated_at",
        )
        # Any length: the detail and created shapes below extend these.
        read_only_fields: tuple[str, ...] = fields

    def get_update_available(self, assignment: Assignment) -> bool:
        return (
            assignment.status == AssignmentStatus.ACTIVE
            and assignment.program is not None
            and assignment.program.version != assignment.snapshot_version
        )


class PastSnapshotSerializer(serializers.Serializer[dict[str, Any]]):
    """An earlier snapshot's version and days (``from`` is a keyword, hence get_fields)."""

    until = serializers.DateField()
    version = serializers.IntegerField()

    def get_fields(self) -> dict[str, Any]:
        return {"from": serializers.DateField(), **super().get_fields()}


class AssignmentDetailSerializer(AssignmentSerializer):
    snapshot = serializers.JSONField(help_text="The program as assigned (see docs).")
    past_snapshots = PastSnapshotSerializer(
        many=True, help_text="Earlier versions and the days they were in force."
    )
    handout_url = serializers.SerializerMethodField(
        help_text="The printable handout (a signed-in page, not an API endpoint)."
    )

    class Meta(AssignmentSerializer.Meta):
        fields = (
            *AssignmentSerializer.Meta.fields,
            "snapshot",
            "past_snapshots",
            "handout_url",
        )
        read_only_fields = fields

    def get_handout_url(self, assignment: Assignment) -> str:
        return reverse("builder:handout", args=[assignment.pk])


class PortalLinkSerializer(serializers.Serializer[dict[str, Any]]):
    portal_token = serializers.CharField(help_text="Shown only in this response.")
    portal_url = serializers.URLField(help_text="The patient's link (token in the fragment).")
    prefix = serializers.CharField()
    expires_at = serializers.DateTimeField()


class AssignmentCreatedSerializer(AssignmentDetailSerializer):
    portal_token = serializers.CharField(help_text="Shown only in this response.")
    portal_url = serializers.URLField(help_text="The patient's link (token in the fragment).")

    class Meta(AssignmentDetailSerializer.Meta):
        fields = (*AssignmentDetailSerializer.Meta.fields, "portal_token", "portal_url")
        read_only_fields = fields


# Adherence --------------------------------------------------------------------------------


class DayCountSerializer(serializers.Serializer[DayCount]):
    date = serializers.DateField(source="day")
    planned = serializers.IntegerField()
    done = serializers.IntegerField()


class WeekCountSerializer(serializers.Serializer[WeekCount]):
    week = serializers.IntegerField(help_text="Program week, 1-based from the start date.")
    start = serializers.DateField()
    end = serializers.DateField()
    planned = serializers.IntegerField()
    done = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class SeriesPointSerializer(serializers.Serializer[SeriesPoint]):
    date = serializers.DateField(source="day")
    mean = serializers.FloatField()
    max = serializers.IntegerField()
    count = serializers.IntegerField()


class AdherenceSerializer(serializers.Serializer[Adherence]):
    """Serialises ``careboard.builder.adherence.Adherence``; the assignment's id comes
    from the context (``assignment_id``)."""

    assignment = serializers.SerializerMethodField()
    today = serializers.DateField(help_text="In the organisation's time zone.")
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    planned = serializers.IntegerField(help_text="Sessions planned so far (today: once done).")
    done = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)
    days = DayCountSerializer(many=True)
    weeks = WeekCountSerializer(many=True)
    pain = SeriesPointSerializer(many=True, help_text="Daily pain (0-10) reports.")
    difficulty = SeriesPointSerializer(many=True, help_text="Daily difficulty (0-10).")
    flags = FlagSerializer(many=True)
    last_activity_on = serializers.DateField(allow_null=True)

    @extend_schema_field(OpenApiTypes.UUID)
    def get_assignment(self, _obj: Adherence) -> str:
        return str(self.context["assignment_id"])
