"""Assigning programs to patients, and the therapist's side of an assignment."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careboard.builder import adherence, assignments
from careboard.builder.api.assignment_serializers import (
    AdherenceSerializer,
    AssignmentCreatedSerializer,
    AssignmentDetailSerializer,
    AssignmentSerializer,
    AssignmentUpdateSerializer,
    AssignSerializer,
    PortalLinkSerializer,
)
from careboard.builder.api.portal_serializers import ActivityLogSerializer
from careboard.builder.models import Assignment, AssignmentStatus, PortalToken, Program
from careboard.core.idempotency import idempotent
from careboard.core.pagination import TimeCursorPagination
from careboard.core.versioning import VersionedObjectMixin
from careboard.organizations import access
from careboard.organizations.roles import Capability
from careboard.users.signed_in import signed_in_user


def _django_errors(exc: ValidationError) -> DRFValidationError:
    return DRFValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


def _detailed(assignment: Assignment) -> Assignment:
    """Attach what the detail shape shows beyond the row: flags, last activity, the link."""
    today = assignments.organization_today(assignment.organization)
    result = adherence.assignment_adherence(assignment=assignment, today=today)
    assignment.flags = result.flags  # type: ignore[attr-defined]
    assignment.last_activity_on = result.last_activity_on  # type: ignore[attr-defined]
    assignment.program_name = assignment.snapshot["name"]  # type: ignore[attr-defined]
    assignment.live_token = assignments.active_portal_token(assignment)  # type: ignore[attr-defined]
    return assignment


def _created_body(request: Request, assignment: Assignment, secret: str) -> dict[str, Any]:
    assignment = _detailed(assignment)
    assignment.portal_token = secret  # type: ignore[attr-defined]
    assignment.portal_url = assignments.portal_url(request, secret)  # type: ignore[attr-defined]
    return AssignmentCreatedSerializer(assignment, context={"request": request}).data


class ProgramAssignView(APIView):
    """Assign the program, as it is now, to a patient of the same organisation.

    The response carries the patient's portal link (``portal_url``) and token; they are
    shown only here (a new link can be issued later, which replaces this one).
    """

    extra_problem_statuses = (404, 409)

    @extend_schema(
        request=AssignSerializer,
        responses={201: AssignmentCreatedSerializer},
        tags=["assignments"],
    )
    @idempotent
    def post(self, request: Request, program_id: uuid.UUID) -> Response:
        program = access.get_for_user(
            Program.objects.select_related("organization"),
            request.user,
            capability=Capability.PROGRAM_VIEW,
            pk=program_id,
        )
        access.require(request.user, Capability.ASSIGNMENT_WRITE, program.organization_id)
        serializer = AssignSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            assignment, secret = assignments.assignment_assign(
                program=program,
                patient=data["patient"],
                by=signed_in_user(request),
                start_date=data["start_date"],
                end_date=data.get("end_date"),
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(_created_body(request, assignment, secret), status=status.HTTP_201_CREATED)


class LogCursorPagination(TimeCursorPagination):
    ordering = ("-performed_at", "-created_at")


@extend_schema(tags=["assignments"])
class AssignmentViewSet(
    VersionedObjectMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Assignment]
):
    """Assignments of the caller's organisations.

    The list is sorted by urgency: the most severe flag first, then the number of flags,
    then the longest without activity. Filter by ``patient``, ``program``, ``status`` and
    ``mine`` (assigned by the caller).
    """

    serializer_class = AssignmentSerializer
    queryset = Assignment.objects.none()  # for the schema; the real one is scoped
    lookup_value_regex = "[0-9a-f-]{36}"
    filter_backends: list[Any] = []
    write_actions = frozenset(
        {"partial_update", "reassign", "end", "portal_token", "portal_token_revoke"}
    )

    @property
    def extra_problem_statuses(self) -> tuple[int, ...]:
        """For the schema: the list refuses bad filters, the changes conflict with an
        ended assignment."""
        if self.action == "list":
            return (400,)
        return (409,) if self.action in self.write_actions else ()

    def get_queryset(self) -> QuerySet[Assignment]:
        return access.scope(
            Assignment.objects.select_related("organization", "patient", "program", "assigned_by"),
            self.request.user,
            capability=Capability.PATIENT_VIEW,
        )

    def get_object(self) -> Assignment:
        assignment = assignments.assignment_get_for_user(
            user=self.request.user, assignment_id=self.kwargs["pk"]
        )
        if self.action in self.write_actions:
            access.require(
                self.request.user, Capability.ASSIGNMENT_WRITE, assignment.organization_id
            )
        return assignment

    def _filtered(self, queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
        params = self.request.query_params
        for name in ("patient", "program"):
            if value := params.get(name):
                try:
                    queryset = queryset.filter(**{f"{name}_id": uuid.UUID(value)})
                except ValueError as exc:
                    raise DRFValidationError({name: ["Not a valid id."]}) from exc
        mine = params.get("mine")
        if mine in ("true", "1"):
            queryset = queryset.filter(assigned_by=signed_in_user(self.request))
        elif mine not in (None, "false", "0"):
            raise DRFValidationError({"mine": ["Use true or false."]})
        if value := params.get("status"):
            if value not in AssignmentStatus.values:
                raise DRFValidationError(
                    {"status": [f"Use one of: {', '.join(AssignmentStatus.values)}."]}
                )
            queryset = queryset.filter(status=value)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", OpenApiTypes.UUID),
            OpenApiParameter("program", OpenApiTypes.UUID),
            OpenApiParameter("status", str, enum=AssignmentStatus.values),
            OpenApiParameter("mine", bool, description="Only those the caller assigned"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = adherence.assignments_by_urgency(
            self._filtered(self.get_queryset()),
            today_of=lambda row: assignments.organization_today(row.organization),
        )
        # The stubs want a QuerySet; DRF pages any sequence (Django's Paginator slices it).
        page: list[Assignment] | None = self.paginate_queryset(rows)  # type: ignore[arg-type]
        assert page is not None  # noqa: S101  (the list is always paginated)
        prefetch_related_objects(
            page,
            Prefetch("portal_tokens", queryset=PortalToken.objects.active(), to_attr="live"),
        )
        for row in page:
            row.live_token = row.live[0] if row.live else None  # type: ignore[attr-defined]
        return self.get_paginated_response(AssignmentSerializer(page, many=True).data)

    @extend_schema(responses=AssignmentDetailSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        assignment = _detailed(self.get_object())
        return Response(AssignmentDetailSerializer(assignment).data)

    @extend_schema(request=AssignmentUpdateSerializer, responses=AssignmentDetailSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change the dates. The program itself changes only by re-assigning."""
        assignment = self.get_object()
        serializer = AssignmentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            assignments.assignment_update(
                assignment=assignment,
                by=signed_in_user(request),
                start_date=data.get("start_date"),
                end_date=data.get("end_date"),
                clear_end_date="end_date" in data and data["end_date"] is None,
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        return Response(AssignmentDetailSerializer(_detailed(assignment)).data)

    @extend_schema(request=None, responses=AssignmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str) -> Response:
        """Pass the program's current version on to the patient, from today on."""
        assignment = assignments.assignment_reassign(
            assignment=self.get_object(), by=signed_in_user(request)
        )
        return Response(AssignmentDetailSerializer(_detailed(assignment)).data)

    @extend_schema(request=None, responses=AssignmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        """End the program today; the portal link stops working."""
        assignment = assignments.assignment_end(
            assignment=self.get_object(), by=signed_in_user(request)
        )
        return Response(AssignmentDetailSerializer(_detailed(assignment)).data)

    @extend_schema(request=None, responses={201: PortalLinkSerializer})
    @action(detail=True, methods=["post"], url_path="portal-token")
    def portal_token(self, request: Request, pk: str) -> Response:
        """Issue a new portal link; the previous one stops working. Shown only here."""
        token, secret = assignments.portal_token_issue(assignment=self.get_object())
        body = {
            "portal_token": secret,
            "portal_url": assignments.portal_url(request, secret),
            "prefix": token.prefix,
            "expires_at": token.expires_at,
        }
        return Response(PortalLinkSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"], url_path="portal-token/revoke")
    def portal_token_revoke(self, request: Request, pk: str) -> Response:
        """Withdraw the portal link (idempotent)."""
        assignments.portal_token_revoke(assignment=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=AdherenceSerializer)
    @action(detail=True, methods=["get"], pagination_class=None)
    def adherence(self, request: Request, pk: str) -> Response:
        """Planned against done per day and per program week, pain and difficulty per
        day, and the flags."""
        assignment = self.get_object()
        today = assignments.organization_today(assignment.organization)
        result = adherence.assignment_adherence(assignment=assignment, today=today)
        return Response(AdherenceSerializer(result, context={"assignment_id": assignment.pk}).data)

    @extend_schema(responses=ActivityLogSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=LogCursorPagination)
    def logs(self, request: Request, pk: str) -> Response:
        """What the patient logged, newest first (cursor-paginated), comments included."""
        assignment = self.get_object()
        # The stubs tie paging to the viewset's model (Assignment); this action pages its logs.
        page = self.paginate_queryset(assignment.logs.all())  # type: ignore[arg-type]
        return self.get_paginated_response(ActivityLogSerializer(page, many=True).data)
