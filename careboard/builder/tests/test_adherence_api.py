"""GET /api/v1/assignments/{id}/adherence/."""

from __future__ import annotations

import datetime as dt

import pytest

from careboard.builder.assignments import organization_today
from careboard.builder.models import ActivityLog, ProgramSession
from careboard.builder.tests.assignment_factories import (
    ExerciseFactory,
    ProgramFactory,
    ProgramItemFactory,
    ProgramSessionFactory,
    assign,
    log,
)
from careboard.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(organization) -> dt.date:
    return organization_today(organization)


def daily_program(organization, **fields):
    """Every day: "Exercises" once and "Walk" twice (the weekday does not matter)."""
    program = ProgramFactory.create(organization=organization, duration_weeks=4, **fields)
    exercises = ProgramSessionFactory.create(
        program=program, position=1, name="Exercises", days_of_week=[]
    )
    ProgramItemFactory.create(
        session=exercises, position=1, exercise=ExerciseFactory.create(organization=organization)
    )
    walk = ProgramSessionFactory.create(
        program=program, position=2, name="Walk", times_per_day=2, days_of_week=[]
    )
    ProgramItemFactory.create(
        session=walk,
        position=1,
        exercise=ExerciseFactory.create(organization=organization),
        sets=None,
        reps=None,
        duration_seconds=900,
    )
    return program


@pytest.fixture
def assignment(organization, therapist, today):
    """Started nine days ago: a full week 1 and three days of week 2, today included."""
    return assign(
        program=daily_program(organization),
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=today - dt.timedelta(days=9),
    )[0]


def url(assignment) -> str:
    return f"/api/v1/assignments/{assignment.pk}/adherence/"


def fill(assignment, today: dt.date) -> None:
    start = assignment.start_date

    def day(n: int) -> dt.date:
        day: dt.date = start + dt.timedelta(days=n)
        return day

    log(assignment, session="Exercises", on=day(0), pain=2, difficulty=5)
    log(assignment, session="Walk", on=day(0))
    log(assignment, session="Walk", on=day(0))
    log(assignment, session="Walk", on=day(1))
    log(assignment, session="Exercises", on=day(4), pain=4, difficulty=6)
    log(assignment, session="Walk", on=day(7), pain=3)
    log(assignment, session="Walk", on=day(7))
    log(assignment, session="Exercises", on=day(7), pain=5)
    log(assignment, session="Exercises", on=day(8), pain=6, difficulty=7)
    log(assignment, session="Walk", on=today)


def test_adherence_of_an_assignment(client_for, therapist, assignment, today):
    fill(assignment, today)
    start = assignment.start_date

    response = client_for(therapist).get(url(assignment))

    assert response.status_code == 200
    body = response.json()
    assert body["assignment"] == str(assignment.pk)
    assert (body["today"], body["first_day"], body["last_day"]) == (
        str(today),
        str(start),
        str(start + dt.timedelta(days=27)),
    )
    assert [(d["planned"], d["done"]) for d in body["days"]] == [
        (3, 3),
        (3, 1),
        (3, 0),
        (3, 0),
        (3, 1),
        (3, 0),
        (3, 0),
        (3, 3),
        (3, 1),
        (3, 1),
    ]
    assert body["days"][0]["date"] == str(start)
    assert body["weeks"] == [
        {
            "week": 1,
            "start": str(start),
            "end": str(start + dt.timedelta(days=6)),
            "planned": 21,
            "done": 5,
            "percent": 23.8,
        },
        {
            "week": 2,
            "start": str(start + dt.timedelta(days=7)),
            "end": str(start + dt.timedelta(days=13)),
            "planned": 7,
            "done": 5,
            "percent": 71.4,
        },
    ]
    assert (body["planned"], body["done"], body["percent"]) == (28, 10, 35.7)
    assert body["pain"] == [
        {"date": str(start), "mean": 2.0, "max": 2, "count": 1},
        {"date": str(start + dt.timedelta(days=4)), "mean": 4.0, "max": 4, "count": 1},
        {"date": str(start + dt.timedelta(days=7)), "mean": 4.0, "max": 5, "count": 2},
        {"date": str(start + dt.timedelta(days=8)), "mean": 6.0, "max": 6, "count": 1},
    ]
    assert [(p["mean"], p["count"]) for p in body["difficulty"]] == [(5.0, 1), (6.0, 1), (7.0, 1)]
    assert body["flags"] == [
        {
            "code": "pain_rising",
            "severity": "medium",
            "detail": "Pain rose over the last three reports: 3 → 5 → 6.",
        }
    ]
    assert body["last_activity_on"] == str(today)


def test_no_activity_for_three_days_is_flagged(client_for, therapist, assignment, today):
    log(assignment, session="Walk", on=today - dt.timedelta(days=3))
    body = client_for(therapist).get(url(assignment)).json()
    assert body["flags"] == [
        {"code": "inactive", "severity": "low", "detail": "No activity for 3 days."}
    ]


def test_the_inactivity_threshold_is_a_setting(client_for, therapist, assignment, today, settings):
    settings.ADHERENCE_INACTIVE_DAYS = 5
    log(assignment, session="Walk", on=today - dt.timedelta(days=3))
    assert client_for(therapist).get(url(assignment)).json()["flags"] == []


def test_a_reassigned_program_keeps_the_earlier_days(client_for, therapist, organization, today):
    program = ProgramFactory.create(organization=organization)
    old_session = ProgramSessionFactory.create(program=program, name="Old", days_of_week=[])
    ProgramItemFactory.create(session=old_session)
    assignment, _ = assign(
        program=program,
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=today - dt.timedelta(days=3),
    )
    for days_ago in (3, 2, 1):
        log(assignment, session="Old", on=today - dt.timedelta(days=days_ago))
    # The therapist replaces the session (new ids) and re-assigns.
    ProgramSession.objects.filter(pk=old_session.pk).delete()
    ProgramItemFactory.create(
        session=ProgramSessionFactory.create(program=program, name="New", days_of_week=[])
    )
    program.version += 1
    program.save()
    client = client_for(therapist)
    assert client.post(f"/api/v1/assignments/{assignment.pk}/reassign/").status_code == 200

    body = client.get(url(assignment)).json()

    assert [(d["planned"], d["done"]) for d in body["days"]] == [(1, 1), (1, 1), (1, 1), (1, 0)]
    assert (body["planned"], body["done"], body["percent"]) == (3, 3, 100.0)


def test_ended_assignment_is_measured_up_to_its_end(client_for, therapist, assignment, today):
    log(assignment, session="Walk", on=today - dt.timedelta(days=9))
    client = client_for(therapist)
    client.post(f"/api/v1/assignments/{assignment.pk}/end/")
    body = client.get(url(assignment)).json()
    assert body["last_day"] == str(today)
    assert len(body["days"]) == 10
    assert body["flags"] == []  # ended: no inactivity to report


def test_before_the_start_there_is_nothing_yet(client_for, therapist, organization, today):
    future, _ = assign(
        program=daily_program(organization),
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=today + dt.timedelta(days=1),
    )
    body = client_for(therapist).get(url(future)).json()
    assert (body["days"], body["weeks"], body["planned"], body["percent"]) == ([], [], 0, None)


def test_viewer_may_read_adherence(client_for, viewer, assignment):
    assert client_for(viewer).get(url(assignment)).status_code == 200


def test_outsider_gets_404(client_for, outsider, assignment, today):
    log(assignment, session="Walk", on=today)
    response = client_for(outsider).get(url(assignment))
    assert response.status_code == 404
    assert response.json()["type"] == "urn:careboard:problem:not-found"
    assert ActivityLog.objects.count() == 1


def test_anonymous_caller_gets_401(api_client, assignment):
    response = api_client.get(url(assignment))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_refused_write_methods_change_nothing(client_for, therapist, assignment, today):
    log(assignment, session="Walk", on=today)
    response = client_for(therapist).post(url(assignment), {})
    assert response.status_code == 405
    assert ActivityLog.objects.count() == 1


def test_queries_do_not_grow_with_logs(
    client_for, therapist, assignment, today, django_assert_num_queries
):
    client = client_for(therapist)
    log(assignment, session="Walk", on=today, pain=1)
    client.get(url(assignment))  # the token's first use is recorded once
    # Savepoint and release, token, assignment, roles, logs.
    with django_assert_num_queries(6):
        assert client.get(url(assignment)).json()["done"] == 1
    for days_ago in range(1, 10):
        for _ in range(2):
            log(assignment, session="Walk", on=today - dt.timedelta(days=days_ago), pain=2)
    log(assignment, session="Walk", on=today)
    assert ActivityLog.objects.count() == 20
    with django_assert_num_queries(6):
        assert client.get(url(assignment)).json()["done"] == 20
