"""Every operation of the served OpenAPI document, exercised by schemathesis.

The document is drf-spectacular's, rendered as ``/api/schema/?format=json`` serves it (at
collection time, when there is no test database yet, and every request, the schema's too,
opens a transaction: ``ATOMIC_REQUESTS``); ``test_the_served_document_is_the_one_tested``
checks that the served one is the same. Requests go to the WSGI application. Each
operation becomes one test (``test_api[GET /api/v1/patients/{id}/]``) in its own test
transaction, on a fresh ``authz_fixtures.World``. No answer may be a 5xx, and every
answer must be documented: its status, its content type and its body (the front end's
types are generated from this document).

To reach past authentication and validation, each operation is called:

- by a caller the authorization matrix lets through (``EXPECTATIONS``): an admin where an
  admin may, else the first clinical role that may (a physician: observations, admissions,
  programs, assignments), and the portal token for the portal;
- with the real ids of the world's rows in its path, and in the body where the matrix's
  minimal request names rows (a patient, a ward, a session), the rest being generated;
- with the program's current version as ``If-Match``;
- once with the matrix's minimal request unchanged, which must succeed (2xx) and so checks
  a success answer against the schema for every operation, then with generated data
  (positive mode, derandomized).

Select these tests alone with ``-m schemathesis``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from careboard.core.tests import conftest
from careboard.core.tests.authz_fixtures import (
    PORTAL,
    ROLES,
    Caller,
    World,
    build_world,
    caller_for,
)
from careboard.core.tests.test_authorization_matrix import EXPECTATIONS, OWN, Ctx, Expect

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

# Small enough for the whole run to stay within a few minutes on SQLite, large enough to
# vary every field of a body a few times.
MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20240601,
        "generation": {"mode": "positive", "database": "none", "deterministic": True},
        # The coverage phase's hundreds of boundary cases per operation would take the run
        # well past its budget; the stateful phase needs links the schema does not declare.
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
    }
)


def _document() -> dict[str, Any]:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    schema: dict[str, Any] = json.loads(OpenApiJsonRenderer().render(generated))
    return schema


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
schema.app = get_wsgi_application()

_SOME_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Plan:
    """How to call one operation: who, and the matrix entry that knows its rows."""

    role: str
    expect: Expect | None


def plan_for(operation: Any) -> Plan:
    path = re.sub(r"\{[^}]+\}", _SOME_ID, operation.path)
    try:
        key = (resolve(path).view_name, operation.method.upper())
    except Resolver404:
        key = ("", "")
    expect = EXPECTATIONS.get(key)
    if expect is not None:
        role = next(r for r in ROLES if 200 <= expect.status[r] < 300)
        return Plan(role=role, expect=expect)
    # Not in the matrix yet (its own test says so): call it as the schema says.
    security = {name for item in operation.definition.raw.get("security", []) for name in item}
    return Plan(role=PORTAL if "portalToken" in security else "admin", expect=None)


@dataclass
class ApiSession:
    """One operation's world and callers; hypothesis reuses it for every example."""

    world: World
    callers: dict[str, Caller] = field(default_factory=dict)
    started: bool = False  # the first example has run (and the minimal request was sent)

    def caller(self, role: str) -> Caller:
        if role not in self.callers:
            self.callers[role] = caller_for(role, self.world)
        return self.callers[role]


@pytest.fixture
def api_session() -> ApiSession:
    return ApiSession(world=build_world())


@pytest.fixture(autouse=True)
def _keep_the_test_transaction() -> Iterator[None]:
    """The WSGI handler closes "obsolete" connections around each request, and a connection
    inside the test's transaction looks obsolete (autocommit is off): on PostgreSQL that
    would end the transaction. Django's test client unhooks the same signal handler."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _tally(role: str) -> Counter[str]:
    return conftest.schemathesis_tally.setdefault(role, Counter())


def _is_id(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _path_parameters(expect: Expect, ctx: Ctx) -> dict[str, str]:
    # drf-spectacular names a router's ``pk`` ``id`` in the document.
    return {
        ("id" if name == "pk" else name): str(value(ctx)) for name, value in expect.kwargs.items()
    }


def _headers(expect: Expect, ctx: Ctx) -> dict[str, str]:
    if expect.headers is None:
        return {}
    # Each success moves the version on; If-Match must name the current one.
    ctx.own.program.refresh_from_db(fields=["version"])
    return expect.headers(ctx)


def test_the_served_document_is_the_one_tested(client: Any) -> None:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json() == DOCUMENT


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        hypothesis.HealthCheck.function_scoped_fixture,
        hypothesis.HealthCheck.too_slow,
        hypothesis.HealthCheck.filter_too_much,
        hypothesis.HealthCheck.data_too_large,
    ],
)
def test_api(case: schemathesis.Case[Any], api_session: ApiSession) -> None:
    plan = plan_for(case.operation)
    caller = api_session.caller(plan.role)
    tally = _tally(plan.role)
    auth = {"Authorization": caller.authorization or ""}
    ctx = Ctx(world=api_session.world, caller=caller, scope=OWN)
    expect = plan.expect

    if not api_session.started:
        api_session.started = True
        tally["operations"] += 1
        if expect is not None:
            # The matrix's minimal request first: it must succeed, so that a success answer
            # is checked against the schema for every operation.
            minimal = case.operation.Case(
                path_parameters=_path_parameters(expect, ctx),
                headers=_headers(expect, ctx),
                query=dict(expect.query) or None,
                body=expect.body(ctx) if expect.body else schemathesis.core.NOT_SET,
                media_type="application/json" if expect.body else None,
            )
            tally["examples"] += 1
            response = minimal.call_and_validate(headers=auth, checks=CHECKS)
            assert 200 <= response.status_code < 300, (
                f"the matrix's minimal request answered {response.status_code}: "
                f"{response.text[:500]}"
            )

    if expect is not None:
        case.path_parameters = {**(case.path_parameters or {}), **_path_parameters(expect, ctx)}
        case.headers.update(_headers(expect, ctx))
        if expect.body is not None and isinstance(case.body, dict):
            # The generated body with the rows the minimal one names (ids that exist).
            rows = {k: v for k, v in expect.body(ctx).items() if _is_id(v)}
            case.body = {**case.body, **rows}
    tally["examples"] += 1
    case.call_and_validate(headers=auth, checks=CHECKS)
