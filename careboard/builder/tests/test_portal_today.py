"""GET /api/v1/portal/today/: serialised by ``portal_today.today_data``, the same bytes as
``PortalTodaySerializer`` (which stays the schema), in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from careboard.builder import portal_today
from careboard.builder.api.portal_serializers import PortalTodaySerializer
from careboard.builder.assignments import organization_today
from careboard.builder.models import ActivityLog, Assignment
from careboard.builder.tests.assignment_factories import (
    ExerciseFactory,
    ProgramFactory,
    ProgramItemFactory,
    ProgramSessionFactory,
    assign,
    item_of,
    log,
)
from careboard.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

TODAY_URL = "/api/v1/portal/today/"


@pytest.fixture
def today(organization) -> dt.date:
    return organization_today(organization)


def realistic_program(organization, today: dt.date, *, items: int = 3):
    """Two sessions due today (one twice a day) and one that is not, each of ``items``
    exercises with every kind of dosage: sets and reps, holds, durations, decimal and
    whole loads, sides, tempo, notes, with and without progression, translated or not."""
    program = ProgramFactory.create(organization=organization, name="Knee", duration_weeks=8)
    translated = ExerciseFactory.create(
        organization=organization,
        name="Squat",
        instructions=["Feet apart.", "Sit back."],
        translations={"de": {"name": "Kniebeuge", "instructions": ["Langsam.", "Zurück."]}},
    )
    name_only = ExerciseFactory.create(
        organization=organization, name="Bridge", translations={"de": {"name": "Brücke"}}
    )
    plain = ExerciseFactory.create(organization=organization, name="Walk", instructions=[])
    sessions = [
        ProgramSessionFactory.create(
            program=program, position=1, name="Strength", days_of_week=[today.weekday()]
        ),
        ProgramSessionFactory.create(
            program=program, position=2, name="Daily", times_per_day=2, days_of_week=[]
        ),
        ProgramSessionFactory.create(
            program=program, position=3, name="Later", days_of_week=[(today.weekday() + 1) % 7]
        ),
    ]
    variants: list[dict[str, Any]] = [
        {
            "exercise": translated,
            "sets": 3,
            "reps": 10,
            "rest_seconds": 45,
            "load_kg": Decimal("2.5"),
            "side": "left",
            "tempo": "3-1-1",
            "notes": "Stop if the knee swells.",
            "progression_field": "reps",
            "progression_step": Decimal(2),
            "progression_cap": Decimal(14),
        },
        {
            "exercise": name_only,
            "sets": 2,
            "reps": None,
            "hold_seconds": 30,
            "load_kg": Decimal(4),
            "side": "alternating",
            "progression_field": "load_kg",
            "progression_step": Decimal("0.5"),
            "progression_cap": Decimal(6),
        },
        {"exercise": plain, "sets": None, "reps": None, "duration_seconds": 600},
    ]
    for session in sessions:
        for position in range(1, items + 1):
            ProgramItemFactory.create(
                session=session, position=position, **variants[(position - 1) % len(variants)]
            )
    return program


def _assigned(organization, therapist, today, *, language="de", start_days_ago=9, items=3):
    patient = PatientFactory.create(organization=organization, preferred_language=language)
    return assign(
        program=realistic_program(organization, today, items=items),
        patient=patient,
        by=therapist,
        start_date=today - dt.timedelta(days=start_days_ago),
    )


def _client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _log_today(assignment: Assignment, today: dt.date) -> None:
    log(assignment, session="Daily", on=today, pain=3, difficulty=4, comment="Fine.")
    log(assignment, session="Strength", on=today, item="Squat", sets_done=3, reps_done=12)
    log(assignment, session="Strength", on=today, item="Bridge", completed=False)
    log(assignment, session="Daily", on=today - dt.timedelta(days=1))


def _serializer_bytes(assignment: Assignment, language: str) -> bytes:
    assignment = Assignment.objects.select_related("organization", "patient").get(pk=assignment.pk)
    today = organization_today(assignment.organization)
    logs = list(assignment.logs.filter(performed_on=today).order_by("performed_at"))
    body = portal_today.today_body(assignment, today=today, language=language, logs=logs)
    rendered: bytes = JSONRenderer().render(PortalTodaySerializer(body).data)
    return rendered


@pytest.mark.parametrize(("language", "start_days_ago"), [("de", 9), ("en", 9), ("de", 0)])
def test_same_bytes_as_the_today_serializer(
    organization, therapist, today, language, start_days_ago
):
    assignment, secret = _assigned(
        organization, therapist, today, language=language, start_days_ago=start_days_ago
    )
    _log_today(assignment, today)

    response = _client(secret).get(TODAY_URL)

    assert response.status_code == 200
    assert response.content == _serializer_bytes(assignment, language)
    body = response.json()
    assert [s["name"] for s in body["sessions"]] == ["Strength", "Daily"]
    assert len(body["logs"]) == 3


def test_realistic_day_shows_every_field(organization, therapist, today):
    assignment, secret = _assigned(organization, therapist, today)
    _log_today(assignment, today)

    body = _client(secret).get(TODAY_URL).json()

    assert body["week"] == 2
    assert body["language"] == "de"
    strength, daily = body["sessions"]
    assert (daily["times_per_day"], daily["done"]) == (2, 1)
    squat, bridge, walk = strength["items"]
    assert squat["exercise"]["name"] == "Kniebeuge"
    assert squat["exercise"]["instructions"] == ["Langsam.", "Zurück."]
    assert set(squat["exercise"]) == {
        "id",
        "name",
        "instructions",
        "provider",
        "video_url",
        "embed_url",
        "thumbnail_url",
    }
    assert squat["exercise"]["embed_url"].startswith("https://www.youtube-nocookie.com/embed/")
    # Week 2: one progression step applied, decimal and whole loads as JSON numbers.
    assert squat["dosage"] == {
        "sets": 3,
        "reps": 12,
        "hold_seconds": None,
        "duration_seconds": None,
        "rest_seconds": 45,
        "load_kg": 2.5,
        "side": "left",
        "tempo": "3-1-1",
        "notes": "Stop if the knee swells.",
    }
    assert squat["progression"] == {"field": "reps", "step": 2.0, "cap": 14.0}
    assert squat["done"] == 1
    assert bridge["exercise"]["name"] == "Brücke"
    # Only the name is translated: the instructions stay as written.
    english = item_of(assignment, "Strength", "Bridge")["exercise"]["instructions"]
    assert bridge["exercise"]["instructions"] == english != []
    assert bridge["dosage"]["load_kg"] == 4.5
    assert bridge["progression"] == {"field": "load_kg", "step": 0.5, "cap": 6.0}
    assert bridge["done"] == 0  # logged, but not completed
    assert walk["exercise"]["instructions"] == []
    assert walk["progression"] is None
    first = body["logs"][0]
    assert first["pain"] == 3
    assert first["comment"] == "Fine."
    assert first["item_id"] is None


def test_plain_data_equals_the_serializer_data_before_the_start(organization, therapist, today):
    assignment, _secret = _assigned(organization, therapist, today, start_days_ago=-3)
    body = portal_today.today_body(assignment, today=today, language="en", logs=[])

    data = portal_today.today_data(body)

    assert data == PortalTodaySerializer(body).data
    assert (data["week"], data["sessions"], data["logs"]) == (None, [], [])


def test_activity_log_data_equals_the_log_serializer(organization, therapist, today):
    from careboard.builder.api.portal_serializers import ActivityLogSerializer

    assignment, _secret = _assigned(organization, therapist, today)
    _log_today(assignment, today)

    for row in ActivityLog.objects.filter(assignment=assignment):
        assert portal_today.activity_log_data(row) == ActivityLogSerializer(row).data


def test_query_count_does_not_grow_with_the_program(organization, therapist, today):
    _small, small_secret = _assigned(organization, therapist, today, items=1)
    large, large_secret = _assigned(organization, therapist, today, items=10)
    _log_today(large, today)
    small_client, large_client = _client(small_secret), _client(large_secret)
    small_client.get(TODAY_URL)  # the first use of a token is recorded
    large_client.get(TODAY_URL)

    with CaptureQueriesContext(connection) as one:
        assert small_client.get(TODAY_URL).status_code == 200
    with CaptureQueriesContext(connection) as many:
        assert len(large_client.get(TODAY_URL).json()["sessions"][0]["items"]) == 10

    assert len(many) == len(one)


def test_token_lookup_is_one_query_without_the_patients_personal_data(
    organization, therapist, today
):
    from careboard.builder.portal_auth import token_for_secret

    assignment, secret = _assigned(organization, therapist, today)
    token_for_secret(secret)  # the first use of a token is recorded

    with CaptureQueriesContext(connection) as queries:
        token = token_for_secret(secret)

    # The token (with its assignment, organisation and patient), then the consent.
    assert len(queries) == 2
    patient = token.assignment.patient
    assert {"given_name", "family_name", "mrn", "phone", "email"} <= patient.get_deferred_fields()
    assert patient.preferred_language == "de"
    assert token.assignment.organization.tz == organization.tz
    assert token.assignment.snapshot == assignment.snapshot
