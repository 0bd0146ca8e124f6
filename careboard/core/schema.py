"""OpenAPI generation: every operation documents its problem-details error responses."""

from __future__ import annotations

from typing import Any, Literal

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ProblemSerializer(serializers.Serializer[Any]):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="URI identifying the kind of problem.")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    # SerializerMetaclass moves declared fields off the class, so this field does not shadow
    # Serializer.errors at runtime; the stubs see a class attribute.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field path, e.g. `sessions[1].items[3].reps`.",
    )
    retry_after = serializers.IntegerField(required=False)


_DESCRIPTIONS = {
    400: "Invalid request (per-field messages in `errors`).",
    401: "Not authenticated.",
    403: "Authenticated, but the role does not allow this.",
    404: "Not found, or not visible to the caller.",
    405: "Method not allowed.",
    409: "Conflict with the current state.",
    412: "The resource changed since the version given in If-Match.",
    415: "Unsupported media type.",
    428: "If-Match required.",
    429: "Too many requests.",
}


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag of the version being changed; a stale one is refused with 412.",
)


class ProblemAutoSchema(AutoSchema):
    """AutoSchema that adds the problem-details responses each operation can produce.

    A view may list more statuses in ``extra_problem_statuses`` (e.g. 409, 412).
    """

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        versioned_write = self.method.upper() != "GET" and "{" in self.path
        if getattr(self.view, "versioned", False) and versioned_write:
            parameters.append(IF_MATCH)
        return parameters

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        statuses = {401, 403, 405, 429}
        method = self.method.upper()
        if method in ("POST", "PUT", "PATCH"):
            statuses |= {400, 415}
        if method == "DELETE" or "{" in self.path:
            statuses.add(404)
        if method == "GET" and self._is_list_view():
            # DRF answers a page past the end, or a cursor it did not hand out, with 404.
            # (drf-spectacular leaves its AutoSchema helpers unannotated.)
            if self._get_paginator() is not None:  # type: ignore[no-untyped-call]
                statuses.add(404)
            # django-filter refuses a value that is not one of the filter's (400).
            if _has_filterset(self.view):
                statuses.add(400)
        statuses |= set(getattr(self.view, "extra_problem_statuses", ()))
        if getattr(self.view, "versioned", False) and "{" in self.path and method != "GET":
            statuses.add(412)  # If-Match names a version that is no longer current
        handler = getattr(
            self.view, getattr(self.view, "action", None) or self.method.lower(), None
        )
        if getattr(handler, "idempotent", False):
            statuses.add(409)  # an Idempotency-Key reused with another body
        if not self.view.permission_classes or _allows_any(self.view):
            statuses.discard(401)
            statuses.discard(403)
        for code in sorted(statuses):
            if str(code) in responses:
                continue
            problem = OpenApiResponse(response=ProblemSerializer, description=_DESCRIPTIONS[code])
            # drf-spectacular leaves its AutoSchema helpers unannotated.
            responses[str(code)] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                problem, str(code), ["application/problem+json"], direction
            )
        return responses


def _has_filterset(view: Any) -> bool:
    backends = getattr(view, "filter_backends", None) or ()
    uses_django_filter = any(
        isinstance(backend, type) and issubclass(backend, DjangoFilterBackend)
        for backend in backends
    )
    declared = getattr(view, "filterset_class", None) or getattr(view, "filterset_fields", None)
    return uses_django_filter and bool(declared)


def _allows_any(view: Any) -> bool:
    from rest_framework.permissions import AllowAny

    return all(perm is AllowAny for perm in view.permission_classes)


class PartialTimeField(OpenApiSerializerFieldExtension):
    """A time as DRF writes and reads it: ``07:00:00`` (RFC 3339 partial-time, no offset).

    drf-spectacular says ``format: time``, which JSON Schema defines as RFC 3339 full-time
    with a required offset (``07:00:00Z``), so a validating client refuses every time the
    API sends. A pattern says what is really exchanged.
    """

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {
            "type": "string",
            "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$",
            "example": "07:00:00",
        }
