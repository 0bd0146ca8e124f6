"""Patients, admissions, observations, the ward board and the critical list."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careboard.core.idempotency import idempotent
from careboard.core.pagination import TimeCursorPagination
from careboard.core.versioning import VersionedObjectMixin
from careboard.organizations import access
from careboard.organizations.api.scoping import ScopedViewSet, ScopedViewSetMixin
from careboard.organizations.models import Ward
from careboard.organizations.roles import Capability
from careboard.patients import selectors, services
from careboard.patients.api.serializers import (
    AdmissionMoveSerializer,
    AdmissionSerializer,
    AdmissionUpdateSerializer,
    DischargeSerializer,
    ObservationAmendSerializer,
    ObservationPageSerializer,
    ObservationRecordSerializer,
    ObservationSerializer,
    PatientSerializer,
    PhaseChangeSerializer,
    PhaseSerializer,
    PreviewSerializer,
    ReasonSerializer,
    TransferSerializer,
    observation_data,
)
from careboard.patients.models import Admission, Observation, Patient
from careboard.privacy import access_log
from careboard.privacy.models import AccessAction
from careboard.users.signed_in import signed_in_user

# DRF's filter_queryset keeps whatever row type it is given (models, or values() dicts).
_Row = TypeVar("_Row")


def _django_errors(exc: ValidationError) -> DRFValidationError:
    """A model/service ValidationError as the API's 400."""
    return DRFValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class PatientViewSet(VersionedObjectMixin, ScopedViewSet):
    """Patients of the caller's organisations. Search by name or MRN (`search`), filter by
    ward (`ward`) and by whether currently admitted (`admitted=true|false`)."""

    serializer_class = PatientSerializer
    view_capability = Capability.PATIENT_VIEW
    write_capability = Capability.PATIENT_WRITE
    http_method_names = ("get", "post", "patch", "head", "options")
    ordering_fields = ("family_name", "given_name", "mrn", "created_at")
    search_fields: tuple[str, ...] = ()  # `search` is handled by PatientQuerySet.search
    # `ward` and `admitted` are checked by filter_queryset, for the list and one patient alike.
    extra_problem_statuses = (400,)

    def base_queryset(self) -> QuerySet[Patient]:
        current = Prefetch(
            "admissions",
            queryset=Admission.objects.current().select_related("ward"),
            to_attr="current_admissions",
        )
        # The stubs lose prefetch_related's type parameters on a manager made by
        # as_manager() (the same call on a QuerySet type-checks).
        return Patient.objects.prefetch_related(current)  # type: ignore[arg-type]

    @extend_schema(
        parameters=[
            OpenApiParameter("search", str, description="Name words or MRN"),
            OpenApiParameter("ward", OpenApiTypes.UUID, description="Currently on this ward"),
            OpenApiParameter("admitted", bool, description="Has an open admission"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        patients = list(queryset) if page is None else page
        # Every patient shown was read (names, MRNs): one access-log row each, one INSERT.
        access_log.record_patients(
            request,
            action=AccessAction.PATIENT_LIST,
            reads=[(patient.organization_id, patient.pk, None) for patient in patients],
        )
        data = self.get_serializer(patients, many=True).data
        return Response(data) if page is None else self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        access_log.record(
            request,
            action=AccessAction.PATIENT_VIEW,
            organization_id=patient.organization_id,
            patient_id=patient.pk,
        )
        return Response(self.get_serializer(patient).data)

    def filter_queryset(self, queryset: QuerySet[Any, _Row]) -> QuerySet[Any, _Row]:
        queryset = super().filter_queryset(queryset)
        params = self.request.query_params
        if term := params.get("search", "").strip():
            # base_queryset() is a PatientQuerySet, which filtering keeps; the viewset's
            # generic base (ModelViewSet[Any]) only knows it as a QuerySet.
            queryset = queryset.search(term)  # type: ignore[attr-defined]
        # EXISTS rather than a join: a join's NULL row would count a never-admitted patient
        # as having an open admission, and would need DISTINCT.
        open_admissions = Admission.objects.current().filter(patient=OuterRef("pk"))
        if ward := params.get("ward"):
            try:
                ward_id = uuid.UUID(ward)
            except ValueError as exc:
                raise DRFValidationError({"ward": ["Not a valid id."]}) from exc
            queryset = queryset.filter(Exists(open_admissions.filter(ward_id=ward_id)))
        admitted = params.get("admitted")
        if admitted in ("true", "1"):
            queryset = queryset.filter(Exists(open_admissions))
        elif admitted in ("false", "0"):
            queryset = queryset.filter(~Exists(open_admissions))
        elif admitted is not None:
            raise DRFValidationError({"admitted": ["Use true or false."]})
        return queryset

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def create_organization_id(self, serializer: serializers.BaseSerializer[Any]) -> Any:
        org = serializer.validated_data.get("organization")
        if org is not None:
            return org.pk
        # Where the caller may register patients; a caller who may register nowhere gets
        # the organisation they see, so the role check answers 403 rather than a 400.
        user = self.request.user
        choices = access.organization_ids(
            user, Capability.PATIENT_WRITE
        ) or access.organization_ids(user, Capability.PATIENT_VIEW)
        if len(choices) != 1:
            raise DRFValidationError({"organization": ["This field is required."]})
        return choices[0]

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        from careboard.organizations.models import Organization

        org_id = self.create_organization_id(serializer)
        access.require(self.request.user, Capability.PATIENT_WRITE, org_id)
        data = dict(serializer.validated_data)
        data.pop("organization", None)
        try:
            serializer.instance = services.patient_create(
                organization=Organization.objects.get(pk=org_id), **data
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc

    def perform_update(self, serializer: serializers.BaseSerializer[Patient]) -> None:
        patient = serializer.instance
        if patient is None:  # update() always passes the object it fetched
            raise NotFound
        data = dict(serializer.validated_data)
        if "organization" in data and data.pop("organization").pk != patient.organization_id:
            raise DRFValidationError({"organization": ["A patient cannot change organisation."]})
        try:
            services.patient_update(patient=patient, **data)
        except ValidationError as exc:
            raise _django_errors(exc) from exc


class AdmissionViewSet(
    VersionedObjectMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Admission],
):
    """Admissions: admit (POST), edit details (PATCH), transfer, discharge, set the dengue
    phase. Filter by `ward`, `patient`, `current=true|false`."""

    serializer_class = AdmissionSerializer
    view_capability = Capability.PATIENT_VIEW
    write_capability = Capability.ADMISSION_WRITE
    # The two history reads are custom actions, which otherwise need the write capability.
    capability_by_action = {
        "phase": Capability.ADMISSION_CLINICAL,
        "moves": Capability.PATIENT_VIEW,
        "phase_changes": Capability.PATIENT_VIEW,
    }
    org_field = "ward__organization"
    filterset_fields = ("ward", "patient")
    ordering_fields = ("admitted_at",)
    extra_problem_statuses = (409,)

    def base_queryset(self) -> QuerySet[Admission]:
        return Admission.objects.select_related(
            "ward", "spo2_scale_set_by", "interval_override_by", "attending_physician"
        )

    def filter_queryset(self, queryset: QuerySet[Admission, _Row]) -> QuerySet[Admission, _Row]:
        queryset = super().filter_queryset(queryset)
        current = self.request.query_params.get("current")
        if current in ("true", "1"):
            queryset = queryset.filter(discharged_at__isnull=True)
        elif current in ("false", "0"):
            queryset = queryset.filter(discharged_at__isnull=False)
        return queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        admissions = list(queryset) if page is None else page
        access_log.record_patients(
            request,
            action=AccessAction.ADMISSION_LIST,
            reads=[(a.ward.organization_id, a.patient_id, None) for a in admissions],
        )
        data = self.get_serializer(admissions, many=True).data
        return Response(data) if page is None else self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        admission = self.get_object()
        _log_admission_read(request, admission, AccessAction.ADMISSION_VIEW)
        return Response(self.get_serializer(admission).data)

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: serializers.BaseSerializer[Admission]) -> None:
        data = serializer.validated_data
        access.require(self.request.user, Capability.ADMISSION_WRITE, data["ward"].organization_id)
        try:
            serializer.instance = services.admission_admit(
                patient=data["patient"],
                ward=data["ward"],
                by=signed_in_user(self.request),
                bed=data.get("bed", ""),
                admitted_at=data.get("admitted_at"),
                protocol=data.get("protocol", "general"),
                pregnant=data.get("pregnant", False),
                attending_physician=data.get("attending_physician"),
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc

    @extend_schema(request=AdmissionUpdateSerializer, responses=AdmissionSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        admission = self.get_object()
        # The role is checked on what was sent, before validation: a nurse touching a
        # physician's setting is refused outright, whatever the value.
        sent = request.data if isinstance(request.data, dict) else {}
        clinical = [name for name in AdmissionUpdateSerializer.CLINICAL_FIELDS if name in sent]
        access.require(
            request.user,
            Capability.ADMISSION_CLINICAL if clinical else Capability.ADMISSION_WRITE,
            admission.ward.organization_id,
        )
        serializer = AdmissionUpdateSerializer(
            data=request.data, context={"request": request, "admission": admission}
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            if "spo2_scale" in data:
                services.admission_set_spo2_scale(
                    admission=admission, by=signed_in_user(request), scale=data.pop("spo2_scale")
                )
            if "interval_override_minutes" in data:
                services.admission_set_interval_override(
                    admission=admission,
                    by=signed_in_user(request),
                    minutes=data.pop("interval_override_minutes"),
                    reason=data.pop("interval_override_reason", ""),
                )
            data.pop("interval_override_reason", None)
            if data:
                services.admission_update(admission=admission, by=signed_in_user(request), **data)
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(AdmissionSerializer(admission, context={"request": request}).data)

    def _act(
        self, request: Request, serializer_class: type[serializers.Serializer[Any]]
    ) -> tuple[Admission, dict[str, Any]]:
        admission = self.get_object()
        serializer = serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return admission, dict(serializer.validated_data)

    @extend_schema(request=TransferSerializer, responses=AdmissionSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str) -> Response:
        admission, data = self._act(request, TransferSerializer)
        try:
            services.admission_transfer(admission=admission, by=signed_in_user(request), **data)
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(AdmissionSerializer(admission, context={"request": request}).data)

    @extend_schema(request=DischargeSerializer, responses=AdmissionSerializer)
    @action(detail=True, methods=["post"])
    def discharge(self, request: Request, pk: str) -> Response:
        admission, data = self._act(request, DischargeSerializer)
        try:
            services.admission_discharge(
                admission=admission,
                by=signed_in_user(request),
                outcome=data["outcome"],
                at=data.get("discharged_at"),
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(AdmissionSerializer(admission, context={"request": request}).data)

    @extend_schema(request=PhaseSerializer, responses=AdmissionSerializer)
    @action(detail=True, methods=["post"])
    def phase(self, request: Request, pk: str) -> Response:
        admission, data = self._act(request, PhaseSerializer)
        try:
            services.admission_set_phase(
                admission=admission,
                by=signed_in_user(request),
                phase=data["phase"],
                note=data["note"],
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(AdmissionSerializer(admission, context={"request": request}).data)

    # One admission's history: the list's filters (ward, patient) do not apply, and the
    # schema would otherwise offer them and a bad value answer an undocumented 400.
    @extend_schema(responses=AdmissionMoveSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def moves(self, request: Request, pk: str) -> Response:
        admission = self.get_object()
        _log_admission_read(request, admission, AccessAction.ADMISSION_MOVES)
        moves = admission.moves.select_related("moved_by")
        return Response(AdmissionMoveSerializer(moves, many=True).data)

    @extend_schema(responses=PhaseChangeSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="phase-changes",
        pagination_class=None,
        filter_backends=[],
    )
    def phase_changes(self, request: Request, pk: str) -> Response:
        admission = self.get_object()
        _log_admission_read(request, admission, AccessAction.ADMISSION_PHASE_CHANGES)
        changes = admission.phase_changes.select_related("changed_by")
        return Response(PhaseChangeSerializer(changes, many=True).data)


def _log_admission_read(request: Request, admission: Admission, action: str) -> None:
    access_log.record(
        request,
        action=action,
        organization_id=admission.ward.organization_id,
        patient_id=admission.patient_id,
    )


def admission_get_for_user(*, user: Any, admission_id: Any) -> Admission:
    """The one access helper for an admission (404 when the caller may not see it)."""
    return access.get_for_user(
        Admission.objects.select_related("ward__organization", "patient"),
        user,
        capability=Capability.PATIENT_VIEW,
        org_field="ward__organization",
        pk=admission_id,
    )


class ObservationCursorPagination(TimeCursorPagination):
    ordering = ("-recorded_at", "-created_at")


class AdmissionObservationsView(APIView):
    """GET: the admission's observations, newest first (cursor-paginated), with the fluid
    balance per shift and over the last 24 h. POST: record one set."""

    extra_problem_statuses = (409,)

    @extend_schema(
        parameters=[
            OpenApiParameter("cursor", str, description="From the previous page's `next`"),
            OpenApiParameter("page_size", int, description="Observations per page (at most 1000)"),
        ],
        responses=ObservationPageSerializer,
    )
    def get(self, request: Request, admission_id: str) -> Response:
        admission = admission_get_for_user(user=request.user, admission_id=admission_id)
        queryset = admission.observations.select_related("recorded_by", "status_changed_by")
        paginator = ObservationCursorPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        _log_admission_read(request, admission, AccessAction.OBSERVATION_LIST)
        response = paginator.get_paginated_response(ObservationSerializer(page, many=True).data)
        response.data["fluid_balance"] = selectors.fluid_balance(admission=admission)
        return response

    @extend_schema(request=ObservationRecordSerializer, responses={201: ObservationSerializer})
    @idempotent
    def post(self, request: Request, admission_id: uuid.UUID) -> Response:
        # Only where the admission belongs is read here (a query compiled once): the service
        # reads the whole admission under its lock, once.
        organization_id = selectors.admission_organization(admission_id)
        if organization_id is None:
            raise Http404
        access.require_visible(request.user, Capability.PATIENT_VIEW, organization_id)
        access.require(request.user, Capability.OBSERVATION_RECORD, organization_id)
        serializer = ObservationRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        recorded_at = values.pop("recorded_at", None)
        try:
            observation = services.observation_record(
                admission=admission_id,
                by=signed_in_user(request),
                values=values,
                recorded_at=recorded_at,
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(observation_data(observation), status=status.HTTP_201_CREATED)


class ObservationPreviewView(APIView):
    """Score values as the nurse types, without storing anything."""

    extra_problem_statuses = (409,)

    @extend_schema(request=ObservationRecordSerializer, responses=PreviewSerializer)
    def post(self, request: Request, admission_id: str) -> Response:
        admission = admission_get_for_user(user=request.user, admission_id=admission_id)
        access.require(request.user, Capability.OBSERVATION_RECORD, admission.ward.organization_id)
        serializer = ObservationRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        recorded_at = values.pop("recorded_at", None) or timezone.now()
        try:
            result = services.observation_preview(
                admission=admission, values=values, recorded_at=recorded_at
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        fields = result.model_fields()
        return Response(
            PreviewSerializer(
                {
                    "shift": fields["shift"],
                    "news2": fields["news2"],
                    "dengue": fields["dengue"],
                    "next_due_at": fields["next_due_at"],
                    "due": fields["due"],
                    "suggests_critical_phase": fields["suggests_critical_phase"],
                }
            ).data
        )


class ObservationViewSet(
    VersionedObjectMixin,
    ScopedViewSetMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Observation],
):
    """One observation: read, amend (PATCH with a reason), mark entered-in-error."""

    serializer_class = ObservationSerializer
    view_capability = Capability.PATIENT_VIEW
    write_capability = Capability.OBSERVATION_RECORD
    org_field = "admission__ward__organization"
    extra_problem_statuses = (409,)

    def base_queryset(self) -> QuerySet[Observation]:
        return Observation.objects.select_related(
            "admission__ward__organization", "admission__patient", "recorded_by"
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        observation = self.get_object()
        _log_admission_read(request, observation.admission, AccessAction.OBSERVATION_VIEW)
        return Response(self.get_serializer(observation).data)

    @extend_schema(request=ObservationAmendSerializer, responses=ObservationSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        observation = self.get_object()
        serializer = ObservationAmendSerializer(
            data=request.data, context={"observation": observation}
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        reason = changes.pop("reason")
        try:
            services.observation_amend(
                observation=observation, by=signed_in_user(request), changes=changes, reason=reason
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(observation_data(observation))

    @extend_schema(request=ReasonSerializer, responses=ObservationSerializer)
    @action(detail=True, methods=["post"], url_path="entered-in-error")
    def entered_in_error(self, request: Request, pk: str) -> Response:
        observation = self.get_object()
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.observation_mark_entered_in_error(
                observation=observation,
                by=signed_in_user(request),
                reason=serializer.validated_data["reason"],
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(observation_data(observation))


class WardBoardView(APIView):
    """The live board of one ward: a row per current inpatient, sorted by risk."""

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        # The most read request only reads, then logs the read with one INSERT: no request
        # transaction around it (ATOMIC_REQUESTS), which would cost two round trips (BEGIN,
        # COMMIT) and change nothing: each read sees committed data either way.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    @extend_schema(responses=OpenApiTypes.OBJECT)
    # The route's <uuid:…> converter answers 404 for anything that is not an id.
    def get(self, request: Request, ward_id: uuid.UUID) -> Response:
        ward = selectors.ward_header(ward_id)
        if ward is None:
            raise Http404
        access.require_visible(request.user, Capability.PATIENT_VIEW, ward["organization_id"])
        board = selectors.ward_board(ward_id=ward["id"])
        board["ward"] = {"id": str(ward["id"]), "name": ward["name"]}
        # One ward read, not a row per bed: the board is open all day on every ward, and
        # the export joins ward reads to the stays of the patient asking.
        access_log.record(
            request,
            action=AccessAction.WARD_BOARD,
            organization_id=ward["organization_id"],
            ward_id=ward["id"],
            count=len(board["rows"]),
        )
        return Response(board)


class CriticalListView(APIView):
    """Patients needing attention across every ward the caller sees."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        admissions = access.scope(
            Admission.objects.current(),
            request.user,
            capability=Capability.PATIENT_VIEW,
            org_field="ward__organization",
        )
        critical = selectors.critical_list(admissions=admissions)
        # Few rows, each a named patient: one access-log row per patient (one INSERT).
        ward_ids = {row["ward_id"] for row in critical["rows"]}
        organization_of = (
            dict(Ward.objects.filter(pk__in=ward_ids).values_list("pk", "organization_id"))
            if ward_ids
            else {}
        )
        access_log.record_patients(
            request,
            action=AccessAction.BOARD_CRITICAL,
            reads=[
                (
                    organization_of[uuid.UUID(row["ward_id"])],
                    uuid.UUID(row["patient"]["id"]),
                    uuid.UUID(row["ward_id"]),
                )
                for row in critical["rows"]
            ],
        )
        return Response(critical)
