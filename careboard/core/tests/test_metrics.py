"""`/metrics` (careboard/core/metrics.py): counts by route pattern, never by path; who may read
them; websocket and event counts; and worker processes adding up in multiprocess mode."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from careboard.core import metrics
from careboard.core.tests.processes import ROOT
from careboard.patients import services
from careboard.patients.tests.factories import PatientFactory
from careboard.realtime import publish
from careboard.realtime.tests.communicator import WebsocketCommunicator
from careboard.users.services import api_token_create
from config.asgi import application

OBSERVATIONS_ROUTE = "/api/v1/admissions/<uuid:admission_id>/observations/"
WAIT = 3


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client: Client, **extra: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics and parse it: {(sample name, sorted labels): value}."""
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


@pytest.fixture
def admission(ward, nurse):
    return services.admission_admit(
        patient=PatientFactory.create(organization=ward.organization),
        ward=ward,
        by=nurse,
        admitted_at=timezone.now() - timedelta(hours=1),
    )


# Counting requests ------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_timed_and_their_queries_counted_by_route_pattern(
    client_for, nurse, admission
):
    api = client_for(nurse)
    url = f"/api/v1/admissions/{admission.pk}/observations/"
    labels = {"method": "GET", "route": OBSERVATIONS_ROUTE}
    before = {
        "requests": sample("careboard_http_requests_total", **labels, status="2xx"),
        "timed": sample("careboard_http_request_duration_seconds_count", **labels),
        "measured": sample("careboard_db_queries_per_request_count", **labels),
        "queries": sample("careboard_db_queries_per_request_sum", **labels),
        "posts": sample(
            "careboard_http_requests_total", method="POST", route=OBSERVATIONS_ROUTE, status="2xx"
        ),
        "bad": sample(
            "careboard_http_requests_total", method="POST", route=OBSERVATIONS_ROUTE, status="4xx"
        ),
    }

    assert api.get(url, {"search": "Berg"}).status_code == 200
    assert api.get(url).status_code == 200
    assert api.post(url, {"heart_rate": 80, "spo2": 97}, format="json").status_code == 201
    assert api.post(url, {"heart_rate": "fast"}, format="json").status_code == 400

    assert sample("careboard_http_requests_total", **labels, status="2xx") == before["requests"] + 2
    assert sample("careboard_http_request_duration_seconds_count", **labels) == before["timed"] + 2
    assert sample("careboard_db_queries_per_request_count", **labels) == before["measured"] + 2
    # Each read authenticates the token and reads the admission and its observations.
    assert sample("careboard_db_queries_per_request_sum", **labels) >= before["queries"] + 2 * 3
    assert (
        sample(
            "careboard_http_requests_total", method="POST", route=OBSERVATIONS_ROUTE, status="2xx"
        )
        == before["posts"] + 1
    )
    assert (
        sample(
            "careboard_http_requests_total", method="POST", route=OBSERVATIONS_ROUTE, status="4xx"
        )
        == before["bad"] + 1
    )


@pytest.mark.django_db
def test_metrics_name_the_route_pattern_never_the_path_ids_or_query(
    client, client_for, nurse, admission
):
    client_for(nurse).get(f"/api/v1/admissions/{admission.pk}/observations/?search=Berg")
    client.get(f"/api/v1/patients/{admission.patient.pk}/")
    client.get("/no/such/page/record-zq4711/?name=Anna")
    client.get("/admin/login/")

    scraped = scrape(client)
    text = client.get("/metrics").content.decode()

    routes = {dict(labels).get("route") for _name, labels in scraped}
    assert OBSERVATIONS_ROUTE in routes
    # DRF's router patterns are regular expressions; the anchors are dropped.
    assert "/api/v1/patients/(?P<pk>[^/.]+)/" in routes
    assert metrics.UNMATCHED in routes
    # The admin's address may be a secret (DJANGO_ADMIN_URL).
    assert "/<admin>/login/" in routes
    assert "/admin/login/" not in routes
    for personal in (
        str(admission.pk),
        str(admission.patient.pk),
        # Long enough never to turn up inside a timing value by chance.
        "record-zq4711",
        "Berg",
        "Anna",
        "search=",
    ):
        assert personal not in text


def test_unknown_methods_share_one_label():
    assert metrics.method_label("GET") == "GET"
    assert metrics.method_label("BREW") == "other"
    assert metrics.status_class(204) == "2xx"
    assert metrics.status_class(503) == "5xx"


# Who may read them ------------------------------------------------------------------------


@pytest.mark.django_db
def test_loopback_may_read_other_addresses_get_the_same_404_as_an_unknown_url(client):
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:127.0.0.1").status_code == 200

    unknown = client.get("/no-such-page", REMOTE_ADDR="203.0.113.9")
    for address in ("203.0.113.9", "10.0.0.5", "2001:db8::1", ""):
        refused = client.get("/metrics", REMOTE_ADDR=address)
        assert refused.status_code == 404
        assert refused.content == unknown.content
    assert client.post("/metrics").status_code == 404


@pytest.mark.django_db
def test_a_token_is_required_when_set(client, settings):
    settings.METRICS_TOKEN = "s3cret-metrics-token"

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="s3cret-metrics-token").status_code == 404
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert ok.status_code == 200
    assert b"careboard_http_requests_total" in ok.content
    # The token does not open it to other networks while the network list applies.
    outside = client.get(
        "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token"
    )
    assert outside.status_code == 404


@pytest.mark.django_db
def test_networks_and_token_settings(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is not in the list any more

    # No network list: any address, with the token.
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = "t0ken"
    auth = {"HTTP_AUTHORIZATION": "Bearer t0ken"}
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", **auth).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404

    # Neither: nobody, not even loopback.
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


def test_a_malformed_network_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="METRICS_ALLOWED_NETWORKS"):
        metrics._address_allowed("127.0.0.1", ("127.0.0.1/32", "not-a-network"))


# Websockets and events ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_websocket_connections_gauge_goes_up_and_down(nurse):
    _token, secret = await database_sync_to_async(api_token_create)(user=nurse, name="metrics")
    before = sample("careboard_websocket_connections")
    headers = [(b"host", b"localhost")]

    first = WebsocketCommunicator(application, "/ws/", headers, subprotocols=["bearer", secret])
    second = WebsocketCommunicator(application, "/ws/", headers, subprotocols=["bearer", secret])
    assert (await first.connect(timeout=WAIT))[0] is True
    assert (await second.connect(timeout=WAIT))[0] is True
    assert sample("careboard_websocket_connections") == before + 2

    await first.disconnect(timeout=WAIT)
    assert sample("careboard_websocket_connections") == before + 1
    await second.disconnect(timeout=WAIT)
    assert sample("careboard_websocket_connections") == before

    # Not signed in: accepted, closed with 4401, and not counted once it is gone.
    anonymous = WebsocketCommunicator(application, "/ws/", headers)
    assert (await anonymous.connect(timeout=WAIT))[0] is True
    assert (await anonymous.receive_output(timeout=WAIT))["code"] == 4401
    await anonymous.disconnect(timeout=WAIT)
    assert sample("careboard_websocket_connections") == before


class _Layer:
    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.failing = failing

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if group in self.failing:
            raise ConnectionError("redis went away")


def test_events_published_and_failures_are_counted_by_type(monkeypatch):
    event = {"type": "observation.recorded", "admission": str(uuid.uuid4())}
    published = sample("careboard_events_published_total", type="observation.recorded")
    failed = sample("careboard_event_publish_failures_total", type="observation.recorded")

    monkeypatch.setattr(publish, "get_channel_layer", _Layer)
    publish.send_now(["ward.1", "org.1"], event)
    assert sample("careboard_events_published_total", type="observation.recorded") == published + 1

    monkeypatch.setattr(publish, "get_channel_layer", lambda: _Layer(frozenset({"org.1"})))
    publish.send_now(["ward.1", "org.1"], event)
    assert sample("careboard_events_published_total", type="observation.recorded") == published + 1
    assert (
        sample("careboard_event_publish_failures_total", type="observation.recorded") == failed + 1
    )


# Several worker processes -------------------------------------------------------------------

WORKER = """
import sys
from careboard.core import metrics
metrics.EVENTS_PUBLISHED.labels("observation.recorded").inc(int(sys.argv[1]))
metrics.WEBSOCKET_CONNECTIONS.inc()
if sys.argv[2] == "report":
    sys.stdout.write(metrics.exposition().decode())
"""


def test_worker_processes_add_up_in_multiprocess_mode(tmp_path):
    """Two processes sharing PROMETHEUS_MULTIPROC_DIR, as gunicorn's workers do: counters add
    up, and the gauge of open websockets forgets a worker once it has exited."""
    directory = tmp_path / "prometheus"  # created by the metrics module itself
    env = {"PATH": "/usr/bin:/bin", "PROMETHEUS_MULTIPROC_DIR": str(directory)}

    def worker(count: int, mode: str) -> str:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-c", WORKER, str(count), mode],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout

    worker(2, "quiet")  # exits: its websocket is no longer open
    report = worker(1, "report")  # reports while still running

    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(report)
        for s in family.samples
    }
    assert values[("careboard_events_published_total", (("type", "observation.recorded"),))] == 3
    assert values[("careboard_websocket_connections", ())] == 1
