"""The access log, a patient's export, erasure and consents."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, pagination, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careboard.core.problems import Conflict
from careboard.organizations import access
from careboard.organizations.roles import Capability
from careboard.patients.models import Patient
from careboard.privacy import access_log, export, export_jobs, selectors, services, tasks
from careboard.privacy.api.serializers import (
    AccessLogQuerySerializer,
    AccessLogSerializer,
    ConsentInputSerializer,
    ConsentRecordSerializer,
    EraseSerializer,
    ErasureRecordSerializer,
    ExportJobSerializer,
    PatientConsentsSerializer,
    PatientExportSerializer,
)
from careboard.privacy.models import AccessAction, AccessLog
from careboard.users.signed_in import signed_in_user


def _django_errors(exc: ValidationError) -> DRFValidationError:
    return DRFValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


def patient_get_for_user(*, user: Any, patient_id: uuid.UUID) -> Patient:
    """The patient, if the caller may see them (404 otherwise)."""
    return access.get_for_user(
        Patient.objects.select_related("organization"),
        user,
        capability=Capability.PATIENT_VIEW,
        pk=patient_id,
    )


# Access log ---------------------------------------------------------------------------


class AccessLogPagination(pagination.CursorPagination):
    """A cursor: the log grows while an admin pages through it, and page numbers would
    shift under them (and a COUNT over the whole log is not cheap)."""

    ordering = ("-at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class AccessLogView(generics.ListAPIView[AccessLog]):
    """Who read which patient's data (or which ward's board), when, from where, newest
    first. Org admins only; the log cannot be changed or deleted through the application."""

    serializer_class = AccessLogSerializer
    pagination_class = AccessLogPagination
    filter_backends = ()
    queryset = AccessLog.objects.none()  # the model, for the schema; see get_queryset
    extra_problem_statuses = (400,)

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", OpenApiTypes.UUID, description="Reads of this patient"),
            OpenApiParameter("user", OpenApiTypes.UUID, description="By this user (public id)"),
            OpenApiParameter("ward", OpenApiTypes.UUID, description="Reads of this ward"),
            OpenApiParameter("action", str, enum=AccessAction.values, description="What"),
            OpenApiParameter("from", OpenApiTypes.DATETIME, description="At or after"),
            OpenApiParameter("to", OpenApiTypes.DATETIME, description="At or before"),
            OpenApiParameter("page_size", int, description="Rows per page (at most 200)"),
        ]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AccessLog]:
        organization_ids = access.organization_ids(self.request.user, Capability.ACCESS_LOG_VIEW)
        if not organization_ids:
            raise PermissionDenied("Your role does not allow this.")
        params = self.request.query_params
        query = AccessLogQuerySerializer(
            data={
                key: params[key]
                for key in ("patient", "user", "ward", "action", "from", "to")
                if key in params
            }
        )
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        return selectors.access_log_list(
            organization_ids=organization_ids,
            patient_id=filters.get("patient"),
            user_public_id=filters.get("user"),
            ward_id=filters.get("ward"),
            action=filters.get("action"),
            start=filters.get("from"),
            end=filters.get("to"),
        )


# Export -------------------------------------------------------------------------------


class PatientExportView(APIView):
    """Everything held about the patient, as one JSON document to download (GDPR Art. 15
    and 20). Org admins only; the export is itself access-logged.

    GET builds the document in the request. POST makes an export job instead, built by a
    background worker (for a long record), and answers 202 with its Location."""

    @extend_schema(
        responses={
            200: OpenApiResponse(
                PatientExportSerializer,
                description="Sent as an attachment, `patient-<id>.json`.",
            )
        }
    )
    def get(self, request: Request, patient_id: uuid.UUID) -> Response:
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
        access.require(request.user, Capability.PATIENT_EXPORT, patient.organization_id)
        access_log.record(
            request,
            action=AccessAction.PATIENT_EXPORT,
            organization_id=patient.organization_id,
            patient_id=patient.pk,
        )
        document = export.patient_export(patient=patient, by=signed_in_user(request))
        return Response(document, headers={"Content-Disposition": _disposition(patient.pk)})

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(
                ExportJobSerializer, description="The job; its URL in the Location header."
            )
        },
    )
    def post(self, request: Request, patient_id: uuid.UUID) -> Response:
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
        access.require(request.user, Capability.PATIENT_EXPORT, patient.organization_id)
        job = export_jobs.export_job_create(patient=patient, by=signed_in_user(request))
        if settings.BACKGROUND_JOBS == "celery":
            job_id = str(job.id)
            transaction.on_commit(lambda: tasks.build_patient_export.delay(job_id))
        else:
            # No worker: built now; the client follows the same steps either way.
            job = export_jobs.export_job_build(job.id) or job
        location = request.build_absolute_uri(reverse("api:export-job", kwargs={"job_id": job.id}))
        return Response(
            ExportJobSerializer(job, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


def _disposition(patient_id: uuid.UUID) -> str:
    # Named by id: a file name ends up in download folders, histories and mail.
    return f'attachment; filename="patient-{patient_id}.json"'


class ExportJobView(APIView):
    """An export job: its status while a worker builds it, and the download link once
    ready. Only the admin who asked sees it (404 to anyone else); DELETE forgets it and its
    document before they expire."""

    @extend_schema(responses=ExportJobSerializer)
    def get(self, request: Request, job_id: uuid.UUID) -> Response:
        job = export_jobs.export_job_get_for_user(user=request.user, job_id=job_id)
        return Response(ExportJobSerializer(job, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, job_id: uuid.UUID) -> Response:
        job = export_jobs.export_job_get_for_user(user=request.user, job_id=job_id)
        export_jobs.export_job_delete(job)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExportJobDownloadView(APIView):
    """The document of a ready export job, as GET /patients/{id}/export/ sends it; each
    download is access-logged. 409 while the job is pending or after it failed."""

    extra_problem_statuses = (409,)

    @extend_schema(
        responses={
            200: OpenApiResponse(
                PatientExportSerializer,
                description="Sent as an attachment, `patient-<id>.json`.",
            )
        }
    )
    def get(self, request: Request, job_id: uuid.UUID) -> HttpResponse:
        job = export_jobs.export_job_get_for_user(user=request.user, job_id=job_id)
        if job.status != export_jobs.ExportJobStatus.READY:
            raise Conflict(f"The export is {job.status}, not ready.")
        document = export_jobs.export_job_document(job)
        if document is None:  # expired between the two reads
            raise NotFound("No such export.")
        # The read of the patient's data is the download, not the request that built it.
        access_log.record(
            request,
            action=AccessAction.PATIENT_EXPORT,
            organization_id=job.organization_id,
            patient_id=job.patient_id,
        )
        response = HttpResponse(document, content_type="application/json")
        response["Content-Disposition"] = _disposition(job.patient_id)
        return response


# Erasure ------------------------------------------------------------------------------


class PatientEraseView(APIView):
    """Anonymise the patient everywhere, history included; irreversible. Org admins only;
    409 when already erased or while admitted. See docs/privacy.md for what changes."""

    extra_problem_statuses = (409,)

    @extend_schema(request=EraseSerializer, responses=ErasureRecordSerializer)
    def post(self, request: Request, patient_id: uuid.UUID) -> Response:
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
        access.require(request.user, Capability.PATIENT_ERASE, patient.organization_id)
        serializer = EraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            record = services.patient_erase(
                patient=patient,
                by=signed_in_user(request),
                reason=serializer.validated_data["reason"],
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(ErasureRecordSerializer(record).data)


# Consent ------------------------------------------------------------------------------


class PatientConsentsView(APIView):
    """GET: the current state of each purpose (its latest record) and every record. POST:
    record a consent given or withdrawn (admins, physicians, nurses, therapists)."""

    extra_problem_statuses = (409,)

    @extend_schema(responses=PatientConsentsSerializer)
    def get(self, request: Request, patient_id: uuid.UUID) -> Response:
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
        access_log.record(
            request,
            action=AccessAction.PATIENT_CONSENTS,
            organization_id=patient.organization_id,
            patient_id=patient.pk,
        )
        records = list(patient.consents.select_related("recorded_by"))
        current = selectors.consent_current(patient=patient)
        return Response(PatientConsentsSerializer({"current": current, "records": records}).data)

    @extend_schema(request=ConsentInputSerializer, responses={201: ConsentRecordSerializer})
    def post(self, request: Request, patient_id: uuid.UUID) -> Response:
        patient = patient_get_for_user(user=request.user, patient_id=patient_id)
        access.require(request.user, Capability.CONSENT_WRITE, patient.organization_id)
        serializer = ConsentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            record = services.consent_record(
                patient=patient, by=signed_in_user(request), **serializer.validated_data
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(ConsentRecordSerializer(record).data, status=status.HTTP_201_CREATED)
