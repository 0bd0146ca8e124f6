"""Input validation and output shapes of the privacy endpoints."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from careboard.patients.api.history_views import TimelineEntrySerializer
from careboard.patients.api.serializers import UserRefSerializer
from careboard.privacy.export_jobs import ExportJob, ExportJobStatus
from careboard.privacy.models import (
    AccessAction,
    AccessLog,
    ConsentDecision,
    ConsentPurpose,
    ConsentRecord,
    ErasureRecord,
    ErasureTrigger,
)

# A serializer's declared fields, as DRF's get_fields returns them.
_Fields = dict[str, serializers.Field[Any, Any, Any, Any]]


def _renamed(fields: _Fields, names: dict[str, str]) -> _Fields:
    """Fields under names a class attribute cannot have (``from`` is a keyword)."""
    return {names.get(name, name): field for name, field in fields.items()}


# Access log ---------------------------------------------------------------------------


class AccessLogQuerySerializer(serializers.Serializer[Any]):  # input only: no instance
    """The query string of the access log; exposed as ``patient``, ``user``, ``ward``,
    ``action``, ``from``, ``to``."""

    patient = serializers.UUIDField(required=False)
    user = serializers.UUIDField(required=False, help_text="The user's public id.")
    ward = serializers.UUIDField(required=False)
    action = serializers.ChoiceField(choices=AccessAction.choices, required=False)
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)

    def get_fields(self) -> _Fields:
        return _renamed(super().get_fields(), {"start": "from", "end": "to"})

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "from" in attrs and "to" in attrs and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": ["The start is after the end."]})
        return attrs


class AccessLogSerializer(serializers.ModelSerializer[AccessLog]):
    user = UserRefSerializer()
    patient = serializers.UUIDField(source="patient_id", allow_null=True)
    ward = serializers.UUIDField(source="ward_id", allow_null=True)

    class Meta:
        model = AccessLog
        fields = ("id", "at", "action", "user", "patient", "ward", "count", "ip", "request_id")
        read_only_fields = fields


# Consent ------------------------------------------------------------------------------


class ConsentRecordSerializer(serializers.ModelSerializer[ConsentRecord]):
    recorded_by = UserRefSerializer(allow_null=True, read_only=True)

    class Meta:
        model = ConsentRecord
        fields = ("id", "purpose", "decision", "decided_at", "note", "recorded_by", "created_at")
        read_only_fields = ("id", "recorded_by", "created_at")
        extra_kwargs = {
            "decided_at": {"required": False, "help_text": "Default: now."},
        }


class ConsentInputSerializer(serializers.Serializer[Any]):  # input only: no instance
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    decision = serializers.ChoiceField(choices=ConsentDecision.choices)
    decided_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ConsentStateSerializer(serializers.Serializer[dict[str, ConsentRecord | None]]):
    """The latest record of each purpose; null where none was ever recorded."""

    program = ConsentRecordSerializer(allow_null=True)
    data_processing = ConsentRecordSerializer(allow_null=True)
    research = ConsentRecordSerializer(allow_null=True)


class PatientConsentsSerializer(serializers.Serializer[dict[str, Any]]):
    current = ConsentStateSerializer()
    records = ConsentRecordSerializer(many=True, help_text="Newest first.")


# Erasure ------------------------------------------------------------------------------


class EraseSerializer(serializers.Serializer[Any]):  # input only: no instance
    reason = serializers.CharField(
        max_length=500, help_text="Why (e.g. the patient's request of a date); kept."
    )


class ErasureRecordSerializer(serializers.ModelSerializer[ErasureRecord]):
    patient = serializers.UUIDField(source="patient_id")
    erased_by = UserRefSerializer(allow_null=True, help_text="null: the retention command.")
    trigger = serializers.ChoiceField(choices=ErasureTrigger.choices)

    class Meta:
        model = ErasureRecord
        fields = ("id", "patient", "trigger", "reason", "erased_by", "erased_at")
        read_only_fields = fields


# Export -------------------------------------------------------------------------------


class ExportFormatSerializer(serializers.Serializer[dict[str, Any]]):
    name = serializers.CharField()
    version = serializers.IntegerField()


class ExportAccessSerializer(serializers.Serializer[dict[str, Any]]):
    at = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=AccessAction.choices)
    user = UserRefSerializer(allow_null=True)
    ward = serializers.UUIDField(allow_null=True)
    count = serializers.IntegerField(allow_null=True)


class ExportOrganizationSerializer(serializers.Serializer[dict[str, Any]]):
    id = serializers.UUIDField()
    name = serializers.CharField()


_ROWS = "Stored rows, every field by name (users as {id, name}, other references as ids)."


class PatientExportSerializer(serializers.Serializer[dict[str, Any]]):
    """The document ``GET /patients/{id}/export/`` returns (see docs/privacy.md)."""

    format = ExportFormatSerializer()
    generated_at = serializers.DateTimeField()
    generated_by = UserRefSerializer()
    organization = ExportOrganizationSerializer()
    patient = serializers.DictField(help_text="The patient record, every field.")
    admissions = serializers.ListField(
        child=serializers.DictField(),
        help_text=_ROWS + " Each with its moves, phase_changes and observations.",
    )
    wards = serializers.DictField(child=serializers.CharField(), help_text="Ward names by id.")
    history = TimelineEntrySerializer(many=True, help_text="The timeline, newest first.")
    assignments = serializers.ListField(
        child=serializers.DictField(),
        help_text=_ROWS + " Each with its portal_tokens and activity_logs.",
    )
    consents = serializers.ListField(child=serializers.DictField(), help_text=_ROWS)
    access_log = ExportAccessSerializer(many=True, help_text="Reads of this patient's data.")
    ward_access_log = ExportAccessSerializer(
        many=True, help_text="Reads of a ward's board while the patient lay on that ward."
    )
    erasure = serializers.DictField(allow_null=True)


class ExportJobSerializer(serializers.Serializer[ExportJob]):
    """An export job (``POST /patients/{id}/export/``): built by a worker, kept until
    ``expires_at``, downloadable by the admin who asked while ``status`` is ready."""

    id = serializers.UUIDField()
    patient = serializers.UUIDField(source="patient_id")
    status = serializers.ChoiceField(choices=ExportJobStatus.choices)
    requested_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="The job and its document are gone then.")
    size = serializers.IntegerField(
        allow_null=True, help_text="Bytes of the JSON document, once ready."
    )
    download = serializers.SerializerMethodField(help_text="The document's URL, once ready.")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download(self, job: ExportJob) -> str | None:
        if job.status != ExportJobStatus.READY:
            return None
        url = reverse("api:export-job-download", kwargs={"job_id": job.id})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url
