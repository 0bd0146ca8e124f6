"""The authorization matrix: every API route × method × caller × organisation.

The routes come from the URLconf (every pattern under ``api/v1/``, with the methods its view
implements); the expected answers come from ``EXPECTATIONS`` below, one entry per
(route name, method) giving the status for each caller on the own organisation's objects
and the rule for the other organisation's (``Other``). A route without an entry, or an
entry without a route, fails ``test_every_api_route_has_an_expectation``.

Each cell is its own test, on the rows of ``authz_fixtures.World`` as they were built:
the world is built once per module inside an outer transaction, and every cell runs in a
savepoint that pytest-django rolls back (Django's ``setUpTestData`` pattern), so a
successful write never reaches another cell, and the 1,000-odd cells do not each pay
for building two organisations. Each cell makes its own caller (a new member with a new
token). Beyond the status, every cell checks that no id of the other organisation appears
in the response, that lists show the own rows to the roles that may see them, and that a
refused write changed nothing in the database.

Deliberately left out: HEAD and OPTIONS (answered by DRF itself for every view), and the
DefaultRouter's format-suffix duplicates (``/patients.json``), which resolve to the same
views as the plain paths. ``test_unlisted_method_answers_405`` checks that the methods the
matrix leaves out are really refused.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.response import Response

from careboard.core.tests.authz_fixtures import (
    ANONYMOUS,
    PORTAL,
    ROLES,
    STAFF_ROLES,
    Caller,
    OrgWorld,
    World,
    build_world,
    caller_for,
    invitation_token_for,
)
from careboard.patients.tests.factories import vitals

API_PREFIX = "api/v1/"
MATRIX_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
OWN, OTHER = "own", "other"

# Discovering the routes -------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the URL name ("api:patient-detail"), or the pattern where it has none
    pattern: str
    kwargs: frozenset[str]
    methods: frozenset[str]


def _walk(patterns: list[Any], prefix: str, namespace: str) -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield prefix + str(entry.pattern), name or "", entry


def view_methods(callback: Any) -> frozenset[str]:
    """What the view answers: a ViewSet's mapped actions, an APIView's implemented handlers;
    both within the view's ``http_method_names``. "?" when the view is not a class (a
    plain function), so that the expectation check names it instead of guessing."""
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return frozenset({"?"})
    initkwargs = getattr(callback, "initkwargs", {}) or {}
    allowed = set(initkwargs.get("http_method_names") or cls.http_method_names)
    actions = getattr(callback, "actions", None)
    implemented = set(actions) if actions else {name for name in allowed if hasattr(cls, name)}
    return frozenset(
        name.upper() for name in implemented & allowed if name.upper() in MATRIX_METHODS
    )


def api_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for pattern, name, entry in _walk(get_resolver().url_patterns, "", ""):
        if not pattern.startswith(API_PREFIX):
            continue
        kwargs = frozenset(entry.pattern.regex.groupindex)
        if "format" in kwargs:  # the DefaultRouter's `.json` twin of a route listed anyway
            continue
        key = name or pattern
        route = Route(key, pattern, kwargs, view_methods(entry.callback))
        known = routes.get(key)
        if known is not None and known != route:
            raise AssertionError(f"Two API routes share the name {key!r}: give them their own.")
        routes[key] = route
    return routes


ROUTES = api_routes()

# The request context ---------------------------------------------------------------------


@dataclass
class Ctx:
    world: World
    caller: Caller
    scope: str

    @property
    def org(self) -> OrgWorld:
        """The organisation whose objects the request names."""
        return self.world.own if self.scope == OWN else self.world.other

    @property
    def own(self) -> OrgWorld:
        return self.world.own

    def token_id(self) -> Any:
        """An API token: the caller's own spare one, or the other organisation's member's."""
        if self.scope == OWN and self.caller.token is not None:
            return self.caller.token.pk
        return self.org.token.pk

    def if_match(self) -> dict[str, str]:
        return {"If-Match": f'"{self.org.program.version}"'}


def at(name: str) -> Callable[[Ctx], Any]:
    """The id of the named fixture row, in the organisation the request names."""
    return lambda c: getattr(c.org, name).pk


def own_id(name: str) -> Callable[[Ctx], Any]:
    """The id of the named row of the own organisation (what a list must show)."""
    return lambda c: getattr(c.own, name).pk


# The expectation table -------------------------------------------------------------------


class Other(enum.Enum):
    """What changes when the request names the other organisation's objects."""

    # The URL names an object: the other organisation's is 404 to every staff role, never
    # 403 (its existence is not revealed); callers the route does not authenticate keep 401.
    OBJECT = "object"
    # Nothing of an organisation in the URL or body (lists, the caller's own things): the
    # same status, and none of the other organisation's rows in the answer.
    COLLECTION = "collection"
    # The body names objects (an organisation, a ward, a patient, a session): the other
    # organisation's read as unknown, 400, to every caller the route authenticates.
    REFERENCES = "references"


@dataclass(frozen=True)
class Expect:
    status: Mapping[str, int]  # role → status on the own organisation's objects
    other: Other
    kwargs: Mapping[str, Callable[[Ctx], Any]] = field(default_factory=dict)
    body: Callable[[Ctx], Any] | None = None
    headers: Callable[[Ctx], dict[str, str]] | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    # For lists: an own row whose id a 200 must contain, for the roles that may see it.
    shows: Callable[[Ctx], Any] | None = None
    shows_to: tuple[str, ...] = STAFF_ROLES

    def expected(self, role: str, scope: str) -> int:
        own = self.status[role]
        if scope == OWN or own == 401:
            return own
        if self.other is Other.OBJECT:
            return 404
        if self.other is Other.REFERENCES:
            return 400
        return own


def staff(ok: int, *allowed: str, refused: int = 403) -> dict[str, int]:
    """``ok`` for the ``allowed`` staff roles (every staff role when none is named),
    ``refused`` for the other staff roles; 401 for the portal token and for nobody."""
    granted = set(allowed or STAFF_ROLES)
    unknown = granted - set(STAFF_ROLES)
    assert not unknown, unknown
    statuses = {role: ok if role in granted else refused for role in STAFF_ROLES}
    return {**statuses, PORTAL: 401, ANONYMOUS: 401}


def portal(ok: int) -> dict[str, int]:
    """The portal's routes: only the portal token; a staff token is an unknown one there."""
    return {**dict.fromkeys(STAFF_ROLES, 401), PORTAL: ok, ANONYMOUS: 401}


def detail(status: dict[str, int], **fields: Any) -> Expect:
    return Expect(status=status, other=Other.OBJECT, **fields)


def collection(status: dict[str, int], **fields: Any) -> Expect:
    return Expect(status=status, other=Other.COLLECTION, **fields)


def references(status: dict[str, int], **fields: Any) -> Expect:
    return Expect(status=status, other=Other.REFERENCES, **fields)


def _later(c: Ctx, days: int) -> str:
    return (c.org.today() + dt.timedelta(days=days)).isoformat()


def export_job_of_caller(c: Ctx) -> Any:
    """A ready export job the caller asked for, of the named organisation's patient (an
    unknown id for callers without a user: they are refused before it is looked at)."""
    from careboard.privacy import export_jobs

    if c.caller.user is None:
        return uuid.uuid4()
    job = export_jobs.export_job_create(patient=c.org.patient, by=c.caller.user)
    export_jobs.export_job_build(job.id)
    return job.id


ADMISSION = {"admission_id": at("admission")}
PK = {
    name: {"pk": at(name)}
    for name in (
        "organization",
        "ward",
        "membership",
        "invitation",
        "patient",
        "admission",
        "observation",
        "exercise",
        "program",
        "template",
        "assignment",
    )
}
ITEM = {"program_id": at("program"), "session_id": at("session"), "item_id": at("item")}

# Role names are spelled out rather than read from ``roles.RULES``: this table is the
# specification the code is checked against, not a copy of it.
EXPECTATIONS: dict[tuple[str, str], Expect] = {
    # The caller, their tokens, invitations -----------------------------------------------
    ("api:me", "GET"): collection(staff(200), shows=own_id("organization")),
    ("api:apitoken-list", "GET"): collection(staff(200), shows=lambda c: c.caller.token.pk),
    ("api:apitoken-list", "POST"): collection(staff(201), body=lambda c: {"name": "matrix"}),
    ("api:apitoken-detail", "GET"): detail(staff(200), kwargs={"pk": Ctx.token_id}),
    ("api:apitoken-detail", "DELETE"): detail(staff(204), kwargs={"pk": Ctx.token_id}),
    ("api:invitation-accept", "POST"): collection(
        staff(201),
        body=lambda c: {
            "token": invitation_token_for(
                c.caller.user.email if c.caller.user else "nobody@example.test",
                c.own.organization,
            )
        },
    ),
    # Organisations, wards, members, invitations ------------------------------------------
    ("api:organization-list", "GET"): collection(staff(200), shows=own_id("organization")),
    ("api:organization-detail", "GET"): detail(staff(200), kwargs=PK["organization"]),
    ("api:organization-detail", "PUT"): detail(
        staff(200, "admin"),
        kwargs=PK["organization"],
        body=lambda c: {"name": "Renamed", "time_zone": "Europe/Vienna"},
    ),
    ("api:organization-detail", "PATCH"): detail(
        staff(200, "admin"), kwargs=PK["organization"], body=lambda c: {"name": "Renamed"}
    ),
    ("api:ward-list", "GET"): collection(staff(200), shows=own_id("ward")),
    ("api:ward-list", "POST"): references(
        staff(201, "admin"),
        body=lambda c: {"organization": str(c.org.organization.pk), "name": "Matrix ward"},
    ),
    ("api:ward-detail", "GET"): detail(staff(200), kwargs=PK["ward"]),
    ("api:ward-detail", "PATCH"): detail(
        staff(200, "admin"), kwargs=PK["ward"], body=lambda c: {"name": "Renamed ward"}
    ),
    # Who works here is the admins' business: to anyone else a membership does not exist.
    ("api:membership-list", "GET"): collection(
        staff(200), shows=own_id("membership"), shows_to=("admin",)
    ),
    ("api:membership-detail", "GET"): detail(
        staff(200, "admin", refused=404), kwargs=PK["membership"]
    ),
    ("api:membership-detail", "PATCH"): detail(
        staff(200, "admin", refused=404), kwargs=PK["membership"], body=lambda c: {"role": "nurse"}
    ),
    ("api:membership-detail", "DELETE"): detail(
        staff(204, "admin", refused=404), kwargs=PK["membership"]
    ),
    ("api:invitation-list", "GET"): collection(
        staff(200), shows=own_id("invitation"), shows_to=("admin",)
    ),
    # The organisation resolves for every member, so that a non-admin learns "403", not
    # "your organisation does not exist".
    ("api:invitation-list", "POST"): references(
        staff(201, "admin"),
        body=lambda c: {
            "organization": str(c.org.organization.pk),
            "email": "new.colleague@example.test",
            "role": "nurse",
        },
    ),
    ("api:invitation-detail", "GET"): detail(
        staff(200, "admin", refused=404), kwargs=PK["invitation"]
    ),
    ("api:invitation-detail", "DELETE"): detail(
        staff(204, "admin", refused=404), kwargs=PK["invitation"]
    ),
    # Patients, admissions, observations --------------------------------------------------
    ("api:patient-list", "GET"): collection(staff(200), shows=own_id("patient")),
    ("api:patient-list", "POST"): references(
        staff(201, "admin", "physician", "nurse", "therapist"),
        body=lambda c: {
            "organization": str(c.org.organization.pk),
            "mrn": "MATRIX-1",
            "given_name": "Ada",
            "family_name": "Matrix",
            "birth_date": "1970-01-01",
            "sex": "female",
        },
    ),
    ("api:patient-detail", "GET"): detail(staff(200), kwargs=PK["patient"]),
    ("api:patient-detail", "PATCH"): detail(
        staff(200, "admin", "physician", "nurse", "therapist"),
        kwargs=PK["patient"],
        body=lambda c: {"phone": "+49 30 1234567"},
    ),
    ("api:patient-timeline", "GET"): detail(staff(200), kwargs={"patient_id": at("patient")}),
    ("api:admission-list", "GET"): collection(staff(200), shows=own_id("admission")),
    ("api:admission-list", "POST"): references(
        staff(201, "physician", "nurse"),
        body=lambda c: {"patient": str(c.org.free_patient.pk), "ward": str(c.org.ward.pk)},
    ),
    ("api:admission-detail", "GET"): detail(staff(200), kwargs=PK["admission"]),
    ("api:admission-detail", "PATCH"): detail(
        staff(200, "physician", "nurse"), kwargs=PK["admission"], body=lambda c: {"pregnant": True}
    ),
    ("api:admission-transfer", "POST"): detail(
        staff(200, "physician", "nurse"),
        kwargs=PK["admission"],
        body=lambda c: {"ward": str(c.org.spare_ward.pk), "bed": "7"},
    ),
    ("api:admission-discharge", "POST"): detail(
        staff(200, "physician", "nurse"), kwargs=PK["admission"], body=lambda c: {"outcome": "home"}
    ),
    # A medical decision: physicians only.
    ("api:admission-phase", "POST"): detail(
        staff(200, "physician"), kwargs=PK["admission"], body=lambda c: {"phase": "critical"}
    ),
    ("api:admission-moves", "GET"): detail(staff(200), kwargs=PK["admission"]),
    ("api:admission-phase-changes", "GET"): detail(staff(200), kwargs=PK["admission"]),
    ("api:admission-observations", "GET"): detail(staff(200), kwargs=ADMISSION),
    ("api:admission-observations", "POST"): detail(
        staff(201, "physician", "nurse"), kwargs=ADMISSION, body=lambda c: vitals()
    ),
    ("api:admission-observations-preview", "POST"): detail(
        staff(200, "physician", "nurse"), kwargs=ADMISSION, body=lambda c: vitals()
    ),
    ("api:admission-series", "GET"): detail(
        staff(200), kwargs=ADMISSION, query={"fields": "heart_rate,temperature"}
    ),
    ("api:observation-detail", "GET"): detail(staff(200), kwargs=PK["observation"]),
    ("api:observation-detail", "PATCH"): detail(
        staff(200, "physician", "nurse"),
        kwargs=PK["observation"],
        body=lambda c: {"heart_rate": 74, "reason": "Misread the monitor."},
    ),
    ("api:observation-entered-in-error", "POST"): detail(
        staff(200, "physician", "nurse"),
        kwargs=PK["observation"],
        body=lambda c: {"reason": "Wrong patient."},
    ),
    ("api:ward-board", "GET"): detail(staff(200), kwargs={"ward_id": at("ward")}),
    ("api:board-critical", "GET"): collection(staff(200)),
    # Exercise library ---------------------------------------------------------------------
    ("api:exercise-list", "GET"): collection(staff(200), shows=own_id("exercise")),
    ("api:exercise-list", "POST"): references(
        staff(201, "admin", "therapist"),
        body=lambda c: {
            "organization": str(c.org.organization.pk),
            "name": "Matrix bridge",
            "instructions": ["Lie on your back.", "Lift the hips."],
            "difficulty": "easy",
            "position": "lying_back",
        },
    ),
    ("api:exercise-detail", "GET"): detail(staff(200), kwargs=PK["exercise"]),
    ("api:exercise-detail", "PATCH"): detail(
        staff(200, "admin", "therapist"), kwargs=PK["exercise"], body=lambda c: {"name": "Renamed"}
    ),
    # Programs -----------------------------------------------------------------------------
    ("api:program-list", "GET"): collection(staff(200), shows=own_id("program")),
    ("api:program-list", "POST"): references(
        staff(201, "physician", "therapist"),
        body=lambda c: {"organization": str(c.org.organization.pk), "name": "Matrix program"},
    ),
    ("api:program-detail", "GET"): detail(staff(200), kwargs=PK["program"]),
    ("api:program-detail", "PUT"): detail(
        staff(200, "physician", "therapist"),
        kwargs=PK["program"],
        headers=Ctx.if_match,
        body=lambda c: {
            "name": "Replaced",
            "status": "published",
            "sessions": [
                {
                    "id": str(c.org.session.pk),
                    "name": "Session",
                    "items": [
                        {"id": str(c.org.item.pk), "exercise": str(c.org.exercise.pk), "reps": 8}
                    ],
                }
            ],
        },
    ),
    ("api:program-detail", "PATCH"): detail(
        staff(200, "physician", "therapist"),
        kwargs=PK["program"],
        headers=Ctx.if_match,
        body=lambda c: {"name": "Renamed"},
    ),
    ("api:program-duplicate", "POST"): detail(
        staff(201, "physician", "therapist"), kwargs=PK["program"], body=lambda c: {}
    ),
    ("api:program-instantiate", "POST"): detail(
        staff(201, "physician", "therapist"), kwargs=PK["template"], body=lambda c: {}
    ),
    ("api:program-reorder", "POST"): detail(
        staff(200, "physician", "therapist"),
        kwargs=PK["program"],
        headers=Ctx.if_match,
        body=lambda c: {"sessions": [str(c.org.session.pk)]},
    ),
    ("api:program-session-items", "POST"): detail(
        staff(201, "physician", "therapist"),
        kwargs={"program_id": at("program"), "session_id": at("session")},
        headers=Ctx.if_match,
        body=lambda c: {"exercise": str(c.org.exercise.pk), "sets": 2, "reps": 8},
    ),
    ("api:program-session-item", "PATCH"): detail(
        staff(200, "physician", "therapist"),
        kwargs=ITEM,
        headers=Ctx.if_match,
        body=lambda c: {"reps": 12},
    ),
    ("api:program-session-item", "DELETE"): detail(
        staff(204, "physician", "therapist"), kwargs=ITEM, headers=Ctx.if_match
    ),
    # Assignments --------------------------------------------------------------------------
    ("api:program-assign", "POST"): detail(
        staff(201, "physician", "therapist"),
        kwargs={"program_id": at("program")},
        body=lambda c: {
            "patient": str(c.org.free_patient.pk),
            "start_date": c.org.today().isoformat(),
        },
    ),
    ("api:assignment-list", "GET"): collection(staff(200), shows=own_id("assignment")),
    ("api:assignment-detail", "GET"): detail(staff(200), kwargs=PK["assignment"]),
    ("api:assignment-detail", "PATCH"): detail(
        staff(200, "physician", "therapist"),
        kwargs=PK["assignment"],
        body=lambda c: {"end_date": _later(c, 60)},
    ),
    ("api:assignment-adherence", "GET"): detail(staff(200), kwargs=PK["assignment"]),
    ("api:assignment-logs", "GET"): detail(staff(200), kwargs=PK["assignment"]),
    ("api:assignment-reassign", "POST"): detail(
        staff(200, "physician", "therapist"), kwargs=PK["assignment"]
    ),
    ("api:assignment-end", "POST"): detail(
        staff(200, "physician", "therapist"), kwargs=PK["assignment"]
    ),
    ("api:assignment-portal-token", "POST"): detail(
        staff(201, "physician", "therapist"), kwargs=PK["assignment"]
    ),
    ("api:assignment-portal-token-revoke", "POST"): detail(
        staff(204, "physician", "therapist"), kwargs=PK["assignment"]
    ),
    # Privacy: the organisation answers GDPR requests through its admins ------------------
    ("api:access-log", "GET"): collection(
        staff(200, "admin"), shows=own_id("patient"), shows_to=("admin",)
    ),
    ("api:patient-export", "GET"): detail(
        staff(200, "admin"), kwargs={"patient_id": at("patient")}
    ),
    ("api:patient-export", "POST"): detail(
        staff(202, "admin"), kwargs={"patient_id": at("patient")}
    ),
    # A built export job of the caller's, of the named organisation's patient: only an admin
    # who asked sees it; to anyone else it does not exist.
    ("api:export-job", "GET"): detail(
        staff(200, "admin", refused=404), kwargs={"job_id": export_job_of_caller}
    ),
    ("api:export-job", "DELETE"): detail(
        staff(204, "admin", refused=404), kwargs={"job_id": export_job_of_caller}
    ),
    ("api:export-job-download", "GET"): detail(
        staff(200, "admin", refused=404), kwargs={"job_id": export_job_of_caller}
    ),
    # Of a patient who is not admitted (an admitted one is a 409).
    ("api:patient-erase", "POST"): detail(
        staff(200, "admin"),
        kwargs={"patient_id": at("free_patient")},
        body=lambda c: {"reason": "The patient's written request."},
    ),
    ("api:patient-consents", "GET"): detail(staff(200), kwargs={"patient_id": at("patient")}),
    ("api:patient-consents", "POST"): detail(
        staff(201, "admin", "physician", "nurse", "therapist"),
        kwargs={"patient_id": at("patient")},
        body=lambda c: {"purpose": "program", "decision": "given"},
    ),
    # The patient portal: the token's own assignment, no ids to guess ---------------------
    ("api:portal-today", "GET"): collection(
        portal(200), shows=lambda c: c.own.session.pk, shows_to=(PORTAL,)
    ),
    ("api:portal-program", "GET"): collection(
        portal(200), shows=lambda c: c.own.session.pk, shows_to=(PORTAL,)
    ),
    # The body names a session: another assignment's is "no such session".
    ("api:portal-logs", "POST"): references(
        portal(201), body=lambda c: {"session_id": c.org.session_in_snapshot()}
    ),
}

CELLS = [
    (key, role, scope)
    for key in EXPECTATIONS
    if key[0] in ROUTES and key[1] in ROUTES[key[0]].methods
    for role in ROLES
    for scope in (OWN, OTHER)
]


def _cell_id(cell: tuple[tuple[str, str], str, str]) -> str:
    (route, method), role, scope = cell
    return f"{route}|{method}|{role}|{scope}"


# Checks -----------------------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Written by authentication itself (at most once a minute), whatever the answer.
_VOLATILE_FIELDS = frozenset({"last_used_at"})


def ids_in(response: Response) -> set[str]:
    return set(_UUID.findall(response.content.decode(errors="replace").lower()))


def database_state() -> dict[str, list[str]]:
    """Every row of the project's tables, for "a refused write changed nothing". Plain SQL:
    the ORM's query compilation would cost more than the queries."""
    state: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if not model.__module__.startswith("careboard."):
                continue
            columns = ", ".join(
                connection.ops.quote_name(f.column)
                for f in model._meta.concrete_fields
                if f.name not in _VOLATILE_FIELDS
            )
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT {columns} FROM {table}")  # noqa: S608 (names from models)
            state[model._meta.label] = sorted(repr(row) for row in cursor.fetchall())
    return state


def _changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    return [label for label in before if before[label] != after.get(label)]


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any

    def send(self, caller: Caller) -> Response:
        if self.method == "GET":
            return caller.client.get(self.url, self.query, headers=self.headers)
        return caller.client.generic(
            self.method,
            self.url,
            json.dumps(self.body) if self.body is not None else "",
            content_type="application/json",
            headers=self.headers,
        )


def prepare(expect: Expect, key: tuple[str, str], ctx: Ctx) -> Request:
    """The request of a cell. Built before the "changed nothing" snapshot, since a body
    may need rows of its own (an invitation to accept)."""
    route, method = key
    kwargs = {name: str(value(ctx)) for name, value in expect.kwargs.items()}
    if "/" in route:  # a route without a name: fill its pattern
        url = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: kwargs[str(m.group(1))], route)
    else:
        url = reverse(route, kwargs=kwargs)
    return Request(
        method=method,
        url=url,
        headers=expect.headers(ctx) if expect.headers else {},
        query=dict(expect.query),
        body=expect.body(ctx) if expect.body and method != "GET" else None,
    )


# Tests ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """The two organisations, built once in a transaction that is rolled back after the
    module; each test's own transaction is a savepoint within it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        built = build_world()
    try:
        yield built
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def test_every_api_route_has_an_expectation() -> None:
    """The table and the URLconf name the same (route, method) pairs."""
    routed = {(route.key, method) for route in ROUTES.values() for method in route.methods}
    declared = set(EXPECTATIONS)
    missing = sorted(routed - declared)
    stale = sorted(declared - routed)
    problems = []
    if missing:
        lines = [f"  {r} {m}  ({ROUTES[r].pattern})" for r, m in missing]
        problems.append("API routes without an expectation in EXPECTATIONS:\n" + "\n".join(lines))
    if stale:
        lines = [f"  {r} {m}" for r, m in stale]
        problems.append("EXPECTATIONS entries for no API route:\n" + "\n".join(lines))
    assert not problems, "\n".join(problems)


def test_every_expectation_is_complete() -> None:
    """Every entry gives a status for every caller and fills exactly the route's kwargs."""
    for (route, method), expect in EXPECTATIONS.items():
        assert set(expect.status) == set(ROLES), (route, method)
        if route in ROUTES:
            assert set(expect.kwargs) == ROUTES[route].kwargs, (route, method)
        if expect.other is Other.OBJECT:
            assert expect.kwargs, f"{route} {method}: an OBJECT rule needs an object in the URL"


@pytest.mark.django_db
@pytest.mark.parametrize("cell", CELLS, ids=_cell_id)
def test_authorization(cell: tuple[tuple[str, str], str, str], world: World) -> None:
    key, role, scope = cell
    expect = EXPECTATIONS[key]
    ctx = Ctx(world=world, caller=caller_for(role, world), scope=scope)
    request = prepare(expect, key, ctx)
    wanted = expect.expected(role, scope)
    # A write expected to succeed is checked by its status; one expected to be refused
    # must also leave every row as it was.
    refused_write = key[1] != "GET" and wanted >= 400
    before = database_state() if refused_write else {}

    response = request.send(ctx.caller)

    assert response.status_code == wanted, (
        f"{key[1]} {key[0]} as {role} ({scope} organisation): expected {wanted}, got "
        f"{response.status_code}: {response.content[:500]!r}"
    )
    seen = ids_in(response)
    if not (scope == OTHER and expect.other is Other.REFERENCES):
        # (A 400 about another organisation's id may quote the id the caller sent.)
        leaked = seen & world.other.ids()
        assert not leaked, f"the other organisation's ids in the answer: {leaked}"
    if expect.shows and wanted == 200 and role in expect.shows_to:
        assert str(expect.shows(ctx)) in seen, "the list does not show the own row"
    if refused_write:
        changed = _changed(before, database_state())
        assert not changed, f"a refused {key[1]} changed {changed}"


def _disallowed() -> list[tuple[str, str]]:
    """The matrix methods a declared route does not offer."""
    declared = {route for route, _method in EXPECTATIONS}
    cells = []
    for route in ROUTES.values():
        if route.key not in declared:
            continue  # reported by test_every_api_route_has_an_expectation
        cells += [(route.key, method) for method in MATRIX_METHODS if method not in route.methods]
    return sorted(cells)


def _authenticated_role(route: str) -> str:
    """A role the route lets in (so that the method, not the caller, is refused)."""
    statuses = [expect.status for (r, _m), expect in EXPECTATIONS.items() if r == route]
    for role in ROLES:
        if any(200 <= status[role] < 300 for status in statuses):
            return role
    return "admin"


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "method"), _disallowed(), ids="|".join)
def test_unlisted_method_answers_405(route: str, method: str, world: World) -> None:
    caller = caller_for(_authenticated_role(route), world)
    ctx = Ctx(world=world, caller=caller, scope=OWN)
    # Any declared entry of the route knows how to fill its URL.
    expect = next(e for (r, _m), e in EXPECTATIONS.items() if r == route)
    request = prepare(
        Expect(status={}, other=expect.other, kwargs=expect.kwargs), (route, method), ctx
    )
    response = request.send(caller)
    assert response.status_code == 405, (method, route, response.content[:300])
