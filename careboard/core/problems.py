"""RFC 9457 problem details: the one shape of every error the API returns.

``exception_handler`` is DRF's hook; ``problem_response`` is used by Django-level handlers
(404 for unknown API paths, crashes) so that no API path ever answers with an HTML page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

PROBLEM_CONTENT_TYPE = "application/problem+json"
NON_FIELD_KEY = "non_field_errors"

# One type URI per kind of problem; documented in docs/api.md.
_TYPES: dict[int, str] = {
    400: "validation-error",
    401: "not-authenticated",
    403: "permission-denied",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    415: "unsupported-media-type",
    428: "precondition-required",
    429: "throttled",
    500: "server-error",
    503: "service-unavailable",
}


def problem_type(status_code: int, slug: str | None = None) -> str:
    """The problem ``type`` URI for a status (or an explicit slug)."""
    return f"urn:careboard:problem:{slug or _TYPES.get(status_code, 'http-' + str(status_code))}"


def problem_body(
    status_code: int,
    *,
    detail: str,
    title: str | None = None,
    slug: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build a problem-details document."""
    body: dict[str, Any] = {
        "type": problem_type(status_code, slug),
        "title": title or HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "errors": dict(errors or {}),
    }
    if extra:
        body.update(extra)
    return body


def problem_response(status_code: int, *, detail: str, **kwargs: Any) -> JsonResponse:
    """A Django ``JsonResponse`` carrying problem details (for non-DRF code paths)."""
    headers = kwargs.pop("headers", None)
    return JsonResponse(
        problem_body(status_code, detail=detail, **kwargs),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error structure into ``{"sessions[1].items[3].reps": [msg]}``.

    Non-field errors of a nested object are reported under the object's own path; at the top
    level they go under ``non_field_errors``.
    """
    out: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        out.setdefault(path or NON_FIELD_KEY, []).append(message)

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key in (NON_FIELD_KEY, "detail"):
                    walk(value, path)
                elif isinstance(key, int):  # a list field's child errors, keyed by index
                    walk(value, f"{path}[{key}]")
                else:
                    walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, Sequence) and not isinstance(node, str):
            # A list is either messages for this path or per-index errors of a list field.
            if all(isinstance(item, str) for item in node):
                for item in node:
                    add(path, str(item))
            else:
                for index, item in enumerate(node):
                    if item:
                        walk(item, f"{path}[{index}]")
        else:
            add(path, str(node))

    walk(detail, prefix)
    return out


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource was changed since you read it; reload and try again."
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "This update must carry the version it edits in an If-Match header."
    default_code = "precondition_required"


_DETAIL_FOR_VALIDATION = "The request has invalid fields; see errors."


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF exception handler producing problem details for every APIException.

    Anything else is left to propagate so that the transaction rolls back and
    ``config.middleware.ApiProblemMiddleware`` answers a logged 500 problem.
    """
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None

    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = _DETAIL_FOR_VALIDATION
        if list(errors) == [NON_FIELD_KEY] and len(errors[NON_FIELD_KEY]) == 1:
            detail = errors[NON_FIELD_KEY][0]
    else:
        errors = {}
        detail = str(exc.detail) if not isinstance(exc.detail, (list, dict)) else str(exc)
        if isinstance(exc.detail, (list, dict)):
            errors = flatten_errors(exc.detail)
    if isinstance(exc, exceptions.ParseError):
        detail = str(exc.detail)
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(int(wait) + (0 if float(wait).is_integer() else 1))
        extra["retry_after"] = int(headers["Retry-After"])
    status_code = exc.status_code
    # DRF answers a failed authentication with 403 when no WWW-Authenticate can be sent.
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        status_code = 401
        headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    set_rollback()
    return Response(
        problem_body(status_code, detail=detail, errors=errors, extra=extra),
        status=status_code,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )
