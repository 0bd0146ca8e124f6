"""GET /api/v1/programs/{id}/: the program tree, serialised without nested serializers, the
same bytes as ``ProgramSerializer``, in a fixed number of queries, always current."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from careboard.builder import selectors, services
from careboard.builder.api.serializers import ProgramSerializer
from careboard.builder.models import Program, ProgramItem
from careboard.builder.tests.factories import ExerciseFactory, program_with

pytestmark = pytest.mark.django_db


def url(program: Program) -> str:
    return f"/api/v1/programs/{program.pk}/"


def _serializer_bytes(program: Program, language: str) -> bytes:
    tree = Program.objects.prefetch_related("sessions__items__exercise").get(pk=program.pk)
    rendered: bytes = JSONRenderer().render(
        ProgramSerializer(tree, context={"language": language}).data
    )
    return rendered


@pytest.fixture
def program(organization, therapist):
    exercise = ExerciseFactory.create(
        translations={"de": {"name": "Kniebeuge", "instructions": ["Langsam."]}},
    )
    program = program_with(
        organization=organization, sessions=3, items=4, exercise=exercise, created_by=therapist
    )
    ProgramItem.objects.filter(session__program=program, position=2).update(
        load_kg=Decimal("2.5"),
        tempo="3-1-1",
        progression_field="reps",
        progression_step=Decimal("2.0"),
        progression_cap=Decimal("20.0"),
        notes="Stop if the knee swells.",
    )
    return program


@pytest.mark.parametrize("language", ["en", "de"])
def test_same_bytes_as_the_program_serializer(client_for, therapist, program, language):
    response = client_for(therapist).get(url(program), HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 200
    assert response.content == _serializer_bytes(program, language)
    assert response["ETag"] == f'"{program.version}"'


def test_translation_follows_the_callers_language(client_for, therapist, program):
    client = client_for(therapist)

    german = client.get(url(program), HTTP_ACCEPT_LANGUAGE="de").json()
    english = client.get(url(program), HTTP_ACCEPT_LANGUAGE="en").json()

    assert german["sessions"][0]["items"][0]["exercise_summary"]["display"]["name"] == "Kniebeuge"
    assert english["sessions"][0]["items"][0]["exercise_summary"]["display"]["language"] is None


def test_changes_show_at_once(client_for, therapist, program):
    client = client_for(therapist)
    client.get(url(program))
    program.refresh_from_db()
    program = services.program_update(
        program=program, expected_version=program.version, name="Renamed"
    )
    item = ProgramItem.objects.filter(session__program=program).first()
    assert item is not None
    exercise = item.exercise
    # An exercise edit does not change the program's version: still shown at once.
    services.exercise_update(exercise=exercise, name="Wall squat")

    body = client.get(url(program)).json()

    assert body["name"] == "Renamed"
    assert body["version"] == program.version == 2
    assert body["sessions"][0]["items"][0]["exercise_summary"]["name"] == "Wall squat"


def test_query_count_does_not_grow_with_the_program(client_for, therapist, organization):
    client = client_for(therapist)
    small = program_with(organization=organization, sessions=1, items=1)
    large = program_with(organization=organization, sessions=5, items=10)
    client.get(url(small))  # warm the token (its first use is recorded)

    with CaptureQueriesContext(connection) as one:
        assert client.get(url(small)).status_code == 200
    with CaptureQueriesContext(connection) as fifty:
        assert len(client.get(url(large)).json()["sessions"]) == 5

    assert len(fifty) == len(one)


def test_tree_is_two_queries(program):
    with CaptureQueriesContext(connection) as queries:
        sessions = selectors.program_tree_values(program=program)

    assert [len(s["items"]) for s in sessions] == [4, 4, 4]
    assert len(queries) == 2


def test_outsider_gets_404(client_for, outsider, program):
    assert client_for(outsider).get(url(program)).status_code == 404


def test_the_lists_filters_do_not_apply_to_one_program(client_for, therapist, program):
    # The detail finds the program among those the caller may see; a list filter in the
    # query string neither hides it nor is parsed for it.
    response = client_for(therapist).get(url(program), {"status": "archived", "mine": "x"})
    assert response.status_code == 200
    assert response.json()["id"] == str(program.pk)
