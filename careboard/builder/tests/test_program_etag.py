"""Concurrent edits of a program: ETag on every response, If-Match on every change
(428 without, 412 when stale, nothing changed either way), one version per change; and a
program's detail costs the same queries whatever its size."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from careboard.builder import services
from careboard.builder.models import Program, ProgramItem, ProgramSession
from careboard.builder.tests.factories import ExerciseFactory, program_with
from careboard.core.problems import PreconditionFailed

pytestmark = pytest.mark.django_db

URL = "/api/v1/programs/"


def detail(program: Program) -> str:
    return f"{URL}{program.pk}/"


@pytest.fixture
def program(organization) -> Program:
    return program_with(organization=organization, sessions=2, items=2, name="Original")


def state(program: Program) -> tuple[Any, ...]:
    program.refresh_from_db()
    rows = ProgramItem.objects.filter(session__program=program).order_by(
        "session__position", "position"
    )
    return (
        program.name,
        program.version,
        [(s.pk, s.position) for s in program.sessions.order_by("position")],
        [(i.pk, i.session_id, i.position, i.reps) for i in rows],
    )


# Each change the API offers, as (method, url, body) for a program.
def _put(p: Program) -> tuple[str, str, dict[str, Any]]:
    return "put", detail(p), {"name": "Changed"}


def _patch(p: Program) -> tuple[str, str, dict[str, Any]]:
    return "patch", detail(p), {"name": "Changed"}


def _reorder(p: Program) -> tuple[str, str, dict[str, Any]]:
    ids = [str(s.pk) for s in p.sessions.order_by("-position")]
    return "post", f"{detail(p)}reorder/", {"sessions": ids}


def _session(p: Program) -> ProgramSession:
    session = p.sessions.order_by("position").first()
    assert session is not None
    return session


def _add_item(p: Program) -> tuple[str, str, dict[str, Any]]:
    exercise = ExerciseFactory.create()
    return (
        "post",
        f"{detail(p)}sessions/{_session(p).pk}/items/",
        {"exercise": str(exercise.pk), "reps": 5},
    )


def _patch_item(p: Program) -> tuple[str, str, dict[str, Any]]:
    item = _session(p).items.first()
    assert item is not None
    return "patch", f"{detail(p)}sessions/{item.session_id}/items/{item.pk}/", {"reps": 99}


def _delete_item(p: Program) -> tuple[str, str, dict[str, Any]]:
    item = _session(p).items.first()
    assert item is not None
    return "delete", f"{detail(p)}sessions/{item.session_id}/items/{item.pk}/", {}


CHANGES: list[Callable[[Program], tuple[str, str, dict[str, Any]]]] = [
    _put,
    _patch,
    _reorder,
    _add_item,
    _patch_item,
    _delete_item,
]


def send(client: APIClient, change: tuple[str, str, dict[str, Any]], **headers: Any) -> Any:
    method, url, body = change
    if method == "delete":
        return client.delete(url, **headers)
    return getattr(client, method)(url, body, **headers)


def test_detail_carries_the_version_as_etag(client_for, viewer, program):
    response = client_for(viewer).get(detail(program))
    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_a_change_without_if_match_is_428_and_changes_nothing(
    client_for, therapist, program, change
):
    before = state(program)
    response = send(client_for(therapist), change(program))

    assert response.status_code == 428
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "urn:careboard:problem:precondition-required"
    assert state(program) == before


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_a_stale_change_is_412_and_changes_nothing(client_for, therapist, program, change):
    Program.objects.filter(pk=program.pk).update(version=2)  # someone saved meanwhile
    before = state(program)

    response = send(client_for(therapist), change(program), HTTP_IF_MATCH='"1"')

    assert response.status_code == 412
    assert response.json()["type"] == "urn:careboard:problem:precondition-failed"
    assert state(program) == before


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_each_change_is_one_new_version(client_for, therapist, program, change):
    response = send(client_for(therapist), change(program), HTTP_IF_MATCH='"1"')

    assert response.status_code in (200, 201, 204), response.content
    assert response["ETag"] == '"2"'
    program.refresh_from_db()
    assert program.version == 2
    assert program.history.first().history_user == therapist


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('W/"1"', 200),
        ('"0", "1"', 200),
        ('"7", W/"1"', 200),
        ("1", 412),
        ('"2"', 412),
        ('"abc"', 412),
        ("*", 428),
        ("", 428),
    ],
)
def test_if_match_forms(client_for, therapist, program, header, expected):
    response = client_for(therapist).patch(
        detail(program), {"name": "Changed"}, HTTP_IF_MATCH=header
    )
    assert response.status_code == expected
    program.refresh_from_db()
    assert program.name == ("Changed" if expected == 200 else "Original")


def test_two_editors_one_wins_the_other_reloads(client_for, therapist, physician, program):
    alice, bob = client_for(therapist), client_for(physician)
    alice_tag = alice.get(detail(program))["ETag"]
    bob_tag = bob.get(detail(program))["ETag"]

    saved = alice.patch(detail(program), {"name": "Alice's"}, HTTP_IF_MATCH=alice_tag)
    lost = bob.patch(detail(program), {"name": "Bob's"}, HTTP_IF_MATCH=bob_tag)

    assert (saved.status_code, lost.status_code) == (200, 412)
    reloaded = bob.get(detail(program))
    assert (reloaded["ETag"], reloaded.json()["name"]) == ('"2"', "Alice's")
    again = bob.patch(detail(program), {"name": "Bob's"}, HTTP_IF_MATCH=reloaded["ETag"])
    assert (again.status_code, again["ETag"]) == (200, '"3"')


def test_successive_edits_each_bump_the_version(client_for, therapist, program):
    client = client_for(therapist)
    tag = client.get(detail(program))["ETag"]
    for name in ("A", "B", "C"):
        response = client.patch(detail(program), {"name": name}, HTTP_IF_MATCH=tag)
        tag = response["ETag"]
    assert tag == '"4"'
    assert client.get(detail(program))["ETag"] == '"4"'


def test_the_version_is_checked_again_under_the_lock(program):
    # The view checked version 1; another request committed version 2 before the lock.
    stale = Program.objects.get(pk=program.pk)
    services.program_update(program=program, expected_version=1, name="First")
    with pytest.raises(PreconditionFailed):
        services.program_update(program=stale, expected_version=1, name="Second")
    program.refresh_from_db()
    assert (program.name, program.version) == ("First", 2)


def test_copies_need_no_if_match_and_leave_the_source_alone(client_for, therapist, program):
    client = client_for(therapist)
    response = client.post(f"{detail(program)}duplicate/", {})
    assert (response.status_code, response["ETag"]) == (201, '"1"')
    program.refresh_from_db()
    assert program.version == 1


def test_refused_callers_get_their_status_before_the_precondition(
    client_for, viewer, outsider, program
):
    # No If-Match at all: the caller's right to the program is decided first.
    assert client_for(viewer).patch(detail(program), {"name": "X"}).status_code == 403
    assert client_for(outsider).patch(detail(program), {"name": "X"}).status_code == 404
    assert client_for(None).patch(detail(program), {"name": "X"}).status_code == 401


def test_detail_query_count_does_not_grow_with_the_program(client_for, viewer, organization):
    small = program_with(organization=organization, sessions=1, items=1)
    large = program_with(organization=organization, sessions=5, items=10)
    # Ten different exercises in the large program: each item's exercise is fetched too.
    exercises = ExerciseFactory.create_batch(10)
    for item in ProgramItem.objects.filter(session__program=large):
        item.exercise = exercises[item.position - 1]
        item.save()
    client = client_for(viewer)
    client.get(detail(small))

    with CaptureQueriesContext(connection) as one:
        assert client.get(detail(small)).status_code == 200
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(detail(large))

    assert sum(len(s["items"]) for s in response.json()["sessions"]) == 50
    assert len(fifty) == len(one)
