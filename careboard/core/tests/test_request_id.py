"""Request ids: sent back on every response and carried by every log line."""

from __future__ import annotations

import json
import logging

import pytest
from pythonjsonlogger.json import JsonFormatter

from careboard.core.request_context import RequestIdLogFilter

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_generated_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_a_plain_incoming_request_id_is_kept(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-2f1c9a7e")
    assert response["X-Request-ID"] == "lb-2f1c9a7e"


@pytest.mark.parametrize("incoming", ["short", "x" * 65, "evil\nINFO forged", "a b c d e f g h"])
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


def test_json_log_lines_carry_the_request_id(client, monkeypatch):
    records: list[str] = []
    handler = logging.Handler()
    handler.addFilter(RequestIdLogFilter())
    formatter = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
    handler.emit = lambda record: records.append(formatter.format(record))  # type: ignore[method-assign]
    logger = logging.getLogger("careboard.core.health")
    logger.addHandler(handler)
    monkeypatch.setattr(
        "careboard.core.health._check_database",
        lambda: (_ for _ in ()).throw(OSError("down")),
    )
    try:
        response = client.get("/readyz", HTTP_X_REQUEST_ID="trace-12345678")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 503
    line = json.loads(records[-1])
    assert line["request_id"] == "trace-12345678"
    assert line["levelname"] == "WARNING"
    assert line["message"] == "readiness check database failed: OSError"
