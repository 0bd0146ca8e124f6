"""No personal data in logs: requests carrying a patient's name and MRN (a search, a
registration, a refused duplicate, a crash) leave neither in any log output.

Everything is captured: every logger at DEBUG through the root (caplog), and what the
console handler of the logging configuration writes, with the text formatter and with the
JSON formatter production uses (which writes out a record's extra attributes too).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIRequestHandler
from django.test import RequestFactory
from django.utils.module_loading import import_string

from careboard.patients.models import PatientQuerySet
from careboard.patients.tests.factories import PatientFactory

GIVEN = "Philippa"
FAMILY = "Zimmerwald"
MRN = "ZW-314159"
SECRETS = (GIVEN, FAMILY, MRN, MRN.lower())


def configured_formatter(name: str) -> logging.Formatter:
    """The formatter ``name`` exactly as settings.LOGGING declares it."""
    logging_config: dict[str, Any] = settings.LOGGING
    spec = dict(logging_config["formatters"][name])
    factory = spec.pop("()", None)
    if factory is None:
        return logging.Formatter(spec["format"])
    formatter: logging.Formatter = import_string(factory)(**spec)
    return formatter


@pytest.fixture(params=["text", "json"])
def console(request) -> Iterator[io.StringIO]:
    """The configured console handler, writing to a buffer with the given formatter."""
    [handler] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    old_stream, old_formatter = handler.setStream(stream), handler.formatter
    handler.setFormatter(configured_formatter(request.param))
    yield stream
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)


def assert_clean(text: str) -> None:
    leaked = [secret for secret in SECRETS if secret in text]
    assert leaked == [], text


@pytest.mark.django_db
def test_requests_with_a_name_and_mrn_leave_neither_in_any_log(
    client_for, nurse, organization, caplog, console, monkeypatch
):
    PatientFactory.create(organization=organization, given_name=GIVEN, family_name=FAMILY, mrn=MRN)
    client = client_for(nurse)
    caplog.set_level(logging.DEBUG)

    search = client.get("/api/v1/patients/", {"search": FAMILY})
    duplicate = client.post(
        "/api/v1/patients/",
        {"mrn": MRN, "given_name": GIVEN, "family_name": FAMILY, "birth_date": "1970-01-01",
         "sex": "female"},
    )  # fmt: skip
    created = client.post(
        "/api/v1/patients/",
        {"mrn": MRN + "-2", "given_name": GIVEN, "family_name": FAMILY,
         "birth_date": "1970-01-01", "sex": "female"},
    )  # fmt: skip
    unknown = client.get(f"/api/v1/no-such-thing/?q={FAMILY}")

    def crash(self, term):
        raise RuntimeError("search failed for " + term)

    monkeypatch.setattr(PatientQuerySet, "search", crash)
    crashed = client.get("/api/v1/patients/", {"search": f"{GIVEN} {MRN}"})

    assert [r.status_code for r in (search, duplicate, created, unknown, crashed)] == [
        200, 400, 201, 404, 500,
    ]  # fmt: skip
    written = console.getvalue()
    # The crash was logged (so the capture works), by route and exception type only.
    assert "unhandled RuntimeError on GET api/v1/patients/" in caplog.text
    assert "Internal Server Error: /api/v1/patients/" in written
    assert_clean(caplog.text)
    assert_clean(written)


def test_the_development_servers_request_line_loses_its_query_string(caplog, console):
    caplog.set_level(logging.DEBUG)
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = None  # type: ignore[assignment]  # no socket: only the log line is used

    # What runserver does for every 4xx and 5xx.
    handler.log_message(
        '"%s" %s %s', f"GET /api/v1/patients/?search={FAMILY}&mrn={MRN} HTTP/1.1", "404", "120"
    )

    assert '"GET /api/v1/patients/ HTTP/1.1" 404 120' in caplog.text
    assert_clean(caplog.text)
    assert_clean(console.getvalue())


def test_json_logs_leave_out_the_request_and_its_url():
    formatter = configured_formatter("json")
    request = RequestFactory().get("/api/v1/patients/", {"search": FAMILY})
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", (), None)
    record.request = request
    record.status_code = 500
    record.request_id = "-"

    line = json.loads(formatter.format(record))

    assert (line["message"], line["status_code"], "request" in line) == ("boom", 500, False)
    assert_clean(json.dumps(line))
