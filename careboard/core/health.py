"""Liveness and readiness probes for the orchestrator and the load balancer."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from careboard.core.problems import problem_response

logger = logging.getLogger(__name__)


@transaction.non_atomic_requests
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and answering; touches no dependency."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> None:
    key = "readyz:probe"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache round trip returned a different value")


# Not wrapped in ATOMIC_REQUESTS: opening the transaction would fail before the check runs.
@transaction.non_atomic_requests
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: the database answers and, when configured, Redis does too.

    Answers 503 naming the failing part, so an operator sees at once what is down.
    """
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    results: dict[str, str] = {}
    failing: list[str] = []
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # any failure means not ready; the type is in the log
            logger.warning("readiness check %s failed: %s", name, type(exc).__name__)
            results[name] = "unavailable"
            failing.append(name)
        else:
            results[name] = "ok"
    if failing:
        return problem_response(
            503,
            detail=f"Not ready: {', '.join(failing)} unavailable.",
            extra={"checks": results},
        )
    return JsonResponse({"status": "ok", "checks": results})
