"""The patient portal: today's exercises, the whole program, and logging what was done.

Authenticated by the assignment's portal token only (``careboard.builder.portal_auth``);
each view sees the token's own assignment and nothing else, so there are no ids in the
paths to guess. Responses are personal: ``Cache-Control: no-store``.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careboard.builder import portal_today, schedule
from careboard.builder.api.portal_serializers import (
    ActivityLogSerializer,
    LogCreateSerializer,
    PortalProgramSerializer,
    PortalTodaySerializer,
)
from careboard.builder.assignments import activity_log_record, organization_today
from careboard.builder.models import Assignment, PortalToken
from careboard.builder.portal_auth import IsPortalPatient, PortalTokenAuthentication
from careboard.builder.snapshot import localized_exercise

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Printable ASCII without spaces, as UUIDs and the usual client-generated keys are.
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,100}$")


def portal_language(assignment: Assignment) -> str:
    """The patient's preferred language when the site has it, else the default."""
    languages = {code for code, _name in settings.LANGUAGES}
    preferred = (assignment.patient.preferred_language or "").split("-")[0].lower()
    return preferred if preferred in languages else settings.LANGUAGE_CODE


def _django_errors(exc: ValidationError) -> DRFValidationError:
    return DRFValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)


class PortalView(APIView):
    authentication_classes = [PortalTokenAuthentication]
    permission_classes = [IsPortalPatient]

    def assignment(self, request: Request) -> Assignment:
        """The assignment of the caller's portal token."""
        token = request.auth
        if not isinstance(token, PortalToken):  # IsPortalPatient lets no other caller in
            raise NotAuthenticated
        return token.assignment

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class PortalTodayView(PortalView):
    """What is scheduled today (in the organisation's time zone), with this week's dosage
    and the video embeds, and what was already logged today."""

    @extend_schema(responses=PortalTodaySerializer, tags=["portal"])
    def get(self, request: Request) -> Response:
        assignment = self.assignment(request)
        today = organization_today(assignment.organization)
        logs = list(assignment.logs.filter(performed_on=today).order_by("performed_at"))
        body = portal_today.today_body(
            assignment, today=today, language=portal_language(assignment), logs=logs
        )
        # Same bytes as PortalTodaySerializer(body).data (tested), without its nested calls.
        return Response(portal_today.today_data(body))


class PortalProgramView(PortalView):
    """The whole program as assigned: sessions, days, exercises, this week's dosage."""

    @extend_schema(responses=PortalProgramSerializer, tags=["portal"])
    def get(self, request: Request) -> Response:
        assignment = self.assignment(request)
        snapshot = assignment.snapshot
        today = organization_today(assignment.organization)
        language = portal_language(assignment)
        last = schedule.last_day(
            snapshot, start=assignment.start_date, end_date=assignment.end_date
        )
        running = assignment.start_date <= today <= last
        steps = schedule.weeks_of_progression(
            snapshot, start=assignment.start_date, day=max(today, assignment.start_date)
        )
        body = {
            "name": snapshot["name"],
            "description": snapshot.get("description", ""),
            "duration_weeks": snapshot["duration_weeks"],
            "start_date": assignment.start_date,
            "end_date": assignment.end_date,
            "last_day": last,
            "week": schedule.week_of(assignment.start_date, today) if running else None,
            "language": language,
            "sessions": [
                {
                    **{k: session[k] for k in ("id", "name", "position", "times_per_day")},
                    "days_of_week": session.get("days_of_week") or [],
                    "items": [
                        {
                            "id": item["id"],
                            "position": item["position"],
                            "exercise": localized_exercise(item["exercise"], language),
                            "dosage": schedule.dosage_for_week(
                                item["dosage"], item.get("progression"), steps=steps
                            ),
                            "progression": item.get("progression"),
                        }
                        for item in session["items"]
                    ],
                }
                for session in snapshot["sessions"]
            ],
        }
        return Response(PortalProgramSerializer(body).data)


class PortalLogsView(PortalView):
    """Log a session (no ``item_id``) or one exercise of it as done, with pain and
    difficulty.

    Send an ``Idempotency-Key`` header (e.g. a UUID made when the patient taps "done") to
    make retries safe: a retry with the same key and the same body is stored once and
    answers **200** with the log stored the first time (and ``Idempotent-Replayed: true``);
    the same key with a different body is a **409** problem.
    """

    extra_problem_statuses = (409,)

    @extend_schema(
        request=LogCreateSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="1-100 printable characters; a retry repeats it with the same body.",
            )
        ],
        responses={
            201: ActivityLogSerializer,
            200: OpenApiResponse(
                ActivityLogSerializer,
                description="A retry of an earlier request with the same Idempotency-Key: "
                "the log stored then, unchanged.",
            ),
        },
        tags=["portal"],
    )
    def post(self, request: Request) -> Response:
        assignment = self.assignment(request)
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if key and not _KEY_PATTERN.match(key):
            raise DRFValidationError(
                {IDEMPOTENCY_HEADER: ["Use 1 to 100 printable characters without spaces."]}
            )
        serializer = LogCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            log, created = activity_log_record(
                assignment=assignment,
                values=dict(serializer.validated_data),
                idempotency_key=key,
            )
        except ValidationError as exc:
            raise _django_errors(exc) from exc
        headers = {} if created else {"Idempotent-Replayed": "true"}
        return Response(
            ActivityLogSerializer(log).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers=headers,
        )
