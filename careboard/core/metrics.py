"""Prometheus metrics: ``/metrics`` and what feeds it.

- ``careboard_http_requests_total{method, route, status}``: requests, by the resolver's route
  pattern (``/api/v1/admissions/<uuid:admission_id>/observations/``) and status class
  (``2xx``). Never the raw path: ids and query strings may be personal data.
- ``careboard_http_request_duration_seconds{method, route}``: latency (histogram).
- ``careboard_db_queries_per_request{method, route}``: database queries each request ran
  (histogram, counted with ``connection.execute_wrapper``).
- ``careboard_websocket_connections``: open board websockets (gauge).
- ``careboard_events_published_total{type}`` and ``careboard_event_publish_failures_total{type}``:
  live events sent to the channel layer, and those it could not take.

Worker processes (gunicorn's, ``uvicorn --workers``) each count their own: with
``PROMETHEUS_MULTIPROC_DIR`` set, every process writes its values to files in that directory
and ``/metrics`` adds up all of them (prometheus_client's multiprocess mode); without it, one
process's own registry is served. See docs/operations.md, "Monitoring".

``/metrics`` answers only callers from ``METRICS_ALLOWED_NETWORKS`` and, when ``METRICS_TOKEN``
is set, only with ``Authorization: Bearer <token>``; anyone else gets the same 404 as an
unknown URL.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hmac
import ipaddress
import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

# No "<name>_created" series beside every counter and histogram: noise for a dashboard.
disable_created_metrics()

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    # A missing directory would fail every request that records a value.
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

    @atexit.register
    def _forget_this_process() -> None:
        # A worker that exits holds no websockets any more: drop its live gauges. (A worker
        # killed outright cannot; gunicorn's child_exit hook calls mark_process_dead.)
        mark_process_dead(os.getpid())


# Only these methods get their own label value: a client can send any method name, and
# every distinct label value is a new time series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Requests no URL pattern answered (a 404 from the resolver, a redirect before resolution).
UNMATCHED = "<unmatched>"
STATIC = "<static>"

HTTP_REQUESTS = Counter(
    "careboard_http_requests_total",
    "HTTP requests answered, by route pattern and status class.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "careboard_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by route pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DB_QUERIES = Histogram(
    "careboard_db_queries_per_request",
    "Database queries one request ran, by route pattern.",
    ["method", "route"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144),
)
WEBSOCKET_CONNECTIONS = Gauge(
    "careboard_websocket_connections",
    "Board websockets open now.",
    multiprocess_mode="livesum",
)
EVENTS_PUBLISHED = Counter(
    "careboard_events_published_total",
    "Live events sent to every group through the channel layer, by event type.",
    ["type"],
)
EVENT_PUBLISH_FAILURES = Counter(
    "careboard_event_publish_failures_total",
    "Live events the channel layer did not take for at least one group, by event type.",
    ["type"],
)


def mark_process_dead(pid: int) -> None:
    """Forget the live gauges of a worker that exited (gunicorn's ``child_exit`` hook)."""
    if MULTIPROC_DIR:
        with contextlib.suppress(OSError):
            multiprocess.mark_process_dead(pid, MULTIPROC_DIR)


def exposition() -> bytes:
    """Every metric in the Prometheus text format: all processes' in multiprocess mode."""
    if MULTIPROC_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


# Recording -------------------------------------------------------------------------------


def route_label(request: Any) -> str:
    """The route pattern that answered ``request``, never its path."""
    match = getattr(request, "resolver_match", None)
    route: str | None = getattr(match, "route", None)
    if not route:
        static_url = settings.STATIC_URL or ""
        if static_url.startswith("/") and request.path.startswith(static_url):
            return STATIC
        return UNMATCHED
    route = route.removeprefix("^").removesuffix("$")
    # The admin's address may be kept secret (DJANGO_ADMIN_URL): not in the metrics either.
    admin = settings.ADMIN_URL
    if admin and route.startswith(admin):
        route = "<admin>/" + route.removeprefix(admin)
    return "/" + route


def method_label(method: str | None) -> str:
    return method if method in _METHODS else "other"


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class _QueryCounter:
    """An ``execute_wrapper``: counts the statements run through a connection."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


class MetricsMiddleware:
    """Times each request and counts its database queries. First in MIDDLEWARE, so the time
    covers the whole stack. Sync like the rest of the stack: under ASGI the middleware and
    the view run in one thread, so the wrapper sees the view's connection."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        queries = _QueryCounter()
        status = 500  # unless a response says otherwise
        started = time.perf_counter()
        try:
            with contextlib.ExitStack() as stack:
                for connection in connections.all():
                    stack.enter_context(connection.execute_wrapper(queries))
                response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            elapsed = time.perf_counter() - started
            method, route = method_label(request.method), route_label(request)
            HTTP_REQUESTS.labels(method, route, status_class(status)).inc()
            HTTP_DURATION.labels(method, route).observe(elapsed)
            DB_QUERIES.labels(method, route).observe(queries.count)


def websocket_opened(consumer: Any) -> None:
    """Count ``consumer``'s connection (once, however often it is called)."""
    if not getattr(consumer, "_metrics_counted", False):
        consumer._metrics_counted = True
        WEBSOCKET_CONNECTIONS.inc()


def websocket_closed(consumer: Any) -> None:
    """Stop counting ``consumer``'s connection (only if it was counted, only once)."""
    if getattr(consumer, "_metrics_counted", False):
        consumer._metrics_counted = False
        WEBSOCKET_CONNECTIONS.dec()


def event_published(event_type: Any, *, ok: bool) -> None:
    counter = EVENTS_PUBLISHED if ok else EVENT_PUBLISH_FAILURES
    counter.labels(str(event_type)).inc()


# The endpoint ----------------------------------------------------------------------------


@functools.cache
def _networks(
    cidrs: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"METRICS_ALLOWED_NETWORKS: {cidr!r} is not a network (CIDR)"
            ) from exc
    return tuple(networks)


def _address_allowed(remote_addr: str, cidrs: tuple[str, ...]) -> bool:
    if not cidrs:
        return True
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False  # no address (a unix socket) or a malformed one
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _networks(cidrs))


def _token_given(request: Any, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def caller_allowed(request: Any) -> bool:
    """From an allowed network and, when a token is configured, holding it. With neither a
    network list nor a token nobody is allowed: the metrics are never public by mistake."""
    token = settings.METRICS_TOKEN
    cidrs = tuple(c for c in settings.METRICS_ALLOWED_NETWORKS if c.strip())
    if not token and not cidrs:
        return False
    if not _address_allowed(request.META.get("REMOTE_ADDR", ""), cidrs):
        return False
    return not token or _token_given(request, token)


# No transaction (ATOMIC_REQUESTS): the metrics need no database, and must answer while it
# is down.
@transaction.non_atomic_requests
def metrics_view(request: HttpRequest) -> HttpResponse:
    # The same answer as an unknown URL: a caller who may not read the metrics does not
    # learn that they are here.
    if request.method not in ("GET", "HEAD") or not caller_allowed(request):
        raise Http404
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
