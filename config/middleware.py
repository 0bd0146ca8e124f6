"""Project-wide middleware: request ids and problem details for API crashes and outages."""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from careboard.core.request_context import (
    bind_request_id,
    current_request_id,
    unbind_request_id,
)

logger = logging.getLogger("careboard.request")

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id (a proxy's, a client's retry) only when it is short and plain, so it
# cannot inject anything into the logs.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id, exposes it to logs and sends it back in ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = bind_request_id(request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            return response
        finally:
            unbind_request_id(token)


def is_api_path(path: str) -> bool:
    """Paths whose errors must be problem details, never HTML."""
    return path.startswith("/api/")


# How long a client should wait before retrying when the database is unreachable: about as
# long as a PostgreSQL restart or a failover takes.
DATABASE_RETRY_AFTER_SECONDS = 5


class ApiProblemMiddleware:
    """Turns an unhandled exception on an API path into a problem-details response: 503 with
    ``Retry-After`` when the database is unreachable, a logged 500 for anything else.

    The transaction has already rolled back when this runs (ATOMIC_REQUESTS wraps the view).
    An unreachable database can also fail the transaction's opening or its commit, outside the
    view's own code: both happen inside the atomic wrapper Django puts around the view, so they
    arrive here too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api_path(request.path):
            return None
        from careboard.core.problems import problem_response

        if isinstance(exception, (OperationalError, InterfaceError)):
            # Connection refused or lost, a pool timeout, a deadlock: transient, so the client
            # should retry (a create with the same Idempotency-Key: a commit cut off midway may
            # have landed). One line, not a stack, for each request during an outage.
            logger.warning(
                "database unavailable (%s) on %s %s",
                type(exception).__name__,
                request.method,
                getattr(request.resolver_match, "route", "?"),
            )
            return problem_response(
                503,
                detail="The service is temporarily unavailable. Retry in a few seconds.",
                extra={
                    "request_id": current_request_id(),
                    "retry_after": DATABASE_RETRY_AFTER_SECONDS,
                },
                headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
            )
        # The route, the exception type and the stack, but not the exception's message nor
        # the URL: either may carry personal data (a name in a query, a value in an error).
        logger.error(
            "unhandled %s on %s %s\n%s",
            type(exception).__name__,
            request.method,
            getattr(request.resolver_match, "route", "?"),
            "".join(traceback.format_tb(exception.__traceback__)),
        )
        return problem_response(
            500,
            detail="An unexpected error occurred. It has been logged with the request id.",
            extra={"request_id": current_request_id()},
        )
