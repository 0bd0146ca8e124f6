"""Looking back: an admission's chart series and a patient's timeline."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careboard.core.pagination import PageNumberPagination
from careboard.organizations import access
from careboard.organizations.roles import Capability
from careboard.patients import series, timeline
from careboard.patients.api.serializers import UserRefSerializer
from careboard.patients.api.views import admission_get_for_user
from careboard.patients.models import Patient
from careboard.privacy import access_log
from careboard.privacy.models import AccessAction

DEFAULT_RANGE = timedelta(days=7)

# A serializer's declared fields, as DRF's get_fields returns them.
_Fields = dict[str, serializers.Field[Any, Any, Any, Any]]


def _renamed(fields: _Fields, names: dict[str, str]) -> _Fields:
    """Fields under names a class attribute cannot have (``from`` is a keyword, ``fields``
    is the serializer's own attribute)."""
    return {names.get(name, name): field for name, field in fields.items()}


# Series -----------------------------------------------------------------------------------


class SeriesQuerySerializer(serializers.Serializer[Any]):  # input only: no instance
    """The query string of the series endpoint; exposed as ``fields``, ``from``, ``to``."""

    field_names = serializers.CharField(
        help_text="Comma-separated observation fields (the parameter may also be repeated)."
    )
    start = serializers.DateTimeField(required=False)
    end = serializers.DateTimeField(required=False)
    max_points = serializers.IntegerField(
        min_value=series.MIN_MAX_POINTS,
        max_value=series.MAX_MAX_POINTS,
        default=series.DEFAULT_MAX_POINTS,
    )

    def get_fields(self) -> _Fields:
        return _renamed(
            super().get_fields(), {"field_names": "fields", "start": "from", "end": "to"}
        )

    def validate_fields(self, value: str) -> list[str]:
        names = list(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
        if not names:
            raise serializers.ValidationError("Name at least one field.")
        unknown = [name for name in names if name not in series.SERIES_FIELDS]
        if unknown:
            raise serializers.ValidationError([f"Unknown field {name!r}." for name in unknown])
        return names

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("to") or timezone.now()
        start = attrs.get("from") or end - DEFAULT_RANGE
        if start > end:
            raise serializers.ValidationError({"from": ["The start is after the end."]})
        return {**attrs, "from": start, "to": end}


@extend_schema_field(
    {
        "type": "array",
        "description": "[time, value] pairs, oldest first.",
        "items": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {"oneOf": [{"type": "string", "format": "date-time"}, {"type": "number"}]},
        },
    }
)
class PointsField(serializers.Field[list[series.Point], Any, list[list[Any]], Any]):
    def to_representation(self, value: list[series.Point]) -> list[list[Any]]:
        as_time = serializers.DateTimeField()
        return [[as_time.to_representation(at), number] for at, number in value]


class SeriesFieldSerializer(serializers.Serializer[dict[str, Any]]):
    points = PointsField()
    total_points = serializers.IntegerField(help_text="Readings in the range, before reduction.")
    downsampled = serializers.BooleanField(help_text="Whether points is a reduced selection.")


class News2BandSerializer(serializers.Serializer[dict[str, Any]]):
    band = serializers.CharField()
    min = serializers.IntegerField()
    max = serializers.IntegerField(allow_null=True, help_text="null: no upper bound.")


class AdmissionSeriesSerializer(serializers.Serializer[dict[str, Any]]):
    admission = serializers.UUIDField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    series = serializers.DictField(child=SeriesFieldSerializer(), help_text="By field name.")
    bands = News2BandSerializer(many=True, help_text="NEWS2 total bands for chart shading.")

    def get_fields(self) -> _Fields:
        return _renamed(super().get_fields(), {"start": "from", "end": "to"})


class AdmissionSeriesView(APIView):
    """Time series of the admission's valid observations for charts.

    Each field's readings in [``from``, ``to``] (default: the last 7 days), reduced to at
    most ``max_points`` with Largest-Triangle-Three-Buckets, which keeps the first and last
    reading and the peaks. Entered-in-error observations are left out.
    """

    extra_problem_statuses = (400,)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "fields",
                str,
                required=True,
                description="Comma-separated, of: " + ", ".join(series.SERIES_FIELDS),
            ),
            OpenApiParameter("from", OpenApiTypes.DATETIME, description="Default: `to` − 7 days"),
            OpenApiParameter("to", OpenApiTypes.DATETIME, description="Default: now"),
            OpenApiParameter(
                "max_points",
                int,
                description=(
                    f"Points per field, {series.MIN_MAX_POINTS}–{series.MAX_MAX_POINTS} "
                    f"(default {series.DEFAULT_MAX_POINTS})"
                ),
            ),
        ],
        responses=AdmissionSeriesSerializer,
    )
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_get_for_user(user=request.user, admission_id=admission_id)
        params = request.query_params
        data: dict[str, Any] = {
            key: params[key] for key in ("from", "to", "max_points") if key in params
        }
        if "fields" in params:
            data["fields"] = ",".join(params.getlist("fields"))
        query = SeriesQuerySerializer(data=data)
        query.is_valid(raise_exception=True)
        options = query.validated_data
        access_log.record(
            request,
            action=AccessAction.ADMISSION_SERIES,
            organization_id=admission.ward.organization_id,
            patient_id=admission.patient_id,
        )
        payload = {
            "admission": admission.pk,
            "from": options["from"],
            "to": options["to"],
            "series": series.admission_series(
                admission=admission,
                fields=options["fields"],
                start=options["from"],
                end=options["to"],
                max_points=options["max_points"],
            ),
            "bands": series.NEWS2_BANDS,
        }
        return Response(AdmissionSeriesSerializer(payload).data)


# Timeline ---------------------------------------------------------------------------------


class ChangeValueField(serializers.JSONField):
    """A before/after value: times as the API writes them elsewhere, the rest as JSON."""

    def to_representation(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return serializers.DateTimeField().to_representation(value)
        if isinstance(value, date):
            return value.isoformat()
        return value


class TimelineChangeSerializer(serializers.Serializer[dict[str, Any]]):
    field = serializers.CharField()
    before = ChangeValueField(allow_null=True)
    after = ChangeValueField(allow_null=True)


# Its instances are timeline.Entry objects, passed one by one or as a list (many=True); the
# stubs type a many=True call as the single serializer, so the instance is left open.
class TimelineEntrySerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=timeline.KINDS)
    by = UserRefSerializer(allow_null=True, help_text="null: the system, or not known.")
    summary = serializers.CharField()
    changes = TimelineChangeSerializer(many=True)
    ref = serializers.DictField(
        child=serializers.UUIDField(),
        help_text="Ids of what the entry is about: admission, observation, move, "
        "phase_change, patient, from_ward, to_ward.",
    )


class TimelinePageSerializer(serializers.Serializer[dict[str, Any]]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TimelineEntrySerializer(many=True)


class PatientTimelineView(APIView):
    """What happened to the patient, newest first: observations recorded, amended (with
    before/after) and entered in error; admissions, transfers, discharges, dengue phase
    changes, changes of an admission's clinical settings, and edits of the patient record.

    Paged like every list of the API (``careboard.core.pagination.PageNumberPagination``):
    ``page`` and ``page_size`` (default 50, at most 200); ``count``/``next``/``previous``.
    Page numbers rather than a cursor, because the timeline is merged from several sources
    in memory (see ``careboard.patients.timeline``) and has no single column to seek on.
    """

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int, description="1-based page number"),
            OpenApiParameter("page_size", int, description="Entries per page (at most 200)"),
        ],
        responses=TimelinePageSerializer,
    )
    def get(self, request: Request, patient_id: str) -> Response:
        patient = access.get_for_user(
            Patient.objects.all(), request.user, capability=Capability.PATIENT_VIEW, pk=patient_id
        )
        access_log.record(
            request,
            action=AccessAction.PATIENT_TIMELINE,
            organization_id=patient.organization_id,
            patient_id=patient.pk,
        )
        entries = timeline.patient_timeline(patient=patient)
        paginator = PageNumberPagination()
        page: list[timeline.Entry] | None = paginator.paginate_queryset(
            # The stubs want a QuerySet; DRF pages any sequence (Django's Paginator slices it).
            entries,  # type: ignore[arg-type]
            request,
            view=self,
        )
        return paginator.get_paginated_response(TimelineEntrySerializer(page, many=True).data)
