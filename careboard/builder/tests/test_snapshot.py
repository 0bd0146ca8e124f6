"""Freezing a program into an assignment's snapshot."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from careboard.builder.models import ProgramItem, ProgramSession
from careboard.builder.snapshot import (
    has_exercises,
    localized_exercise,
    program_snapshot,
    same_program,
)
from careboard.builder.tests.assignment_factories import (
    ExerciseFactory,
    ProgramFactory,
    ProgramItemFactory,
    ProgramSessionFactory,
    assign,
    make_program,
)
from careboard.patients.tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_snapshot_holds_the_whole_program(organization):
    program = make_program(organization, name="Knee, week 1-4", description="After ACL repair")
    strength, walk = ProgramSession.objects.filter(program=program).order_by("position")
    squat, wall_sit = ProgramItem.objects.filter(session=strength).order_by("position")
    (walking,) = ProgramItem.objects.filter(session=walk)

    snapshot = program_snapshot(program)

    assert snapshot == {
        "schema": 1,
        "program_id": str(program.pk),
        "version": 1,
        "name": "Knee, week 1-4",
        "description": "After ACL repair",
        "duration_weeks": 4,
        "sessions": [
            {
                "id": str(strength.pk),
                "position": 1,
                "name": "Strength",
                "times_per_day": 1,
                "days_of_week": [0, 2, 4],
                "items": [
                    {
                        "id": str(squat.pk),
                        "position": 1,
                        "exercise": {
                            "id": str(squat.exercise.pk),
                            "name": "Squat",
                            "instructions": ["Stand tall.", "Move slowly."],
                            "provider": "youtube",
                            "video_url": squat.exercise.video_url,
                            "embed_url": squat.exercise.embed_url,
                            "thumbnail_url": squat.exercise.thumbnail_url,
                            "translations": {},
                        },
                        "dosage": {
                            "sets": 3,
                            "reps": 10,
                            "hold_seconds": None,
                            "duration_seconds": None,
                            "rest_seconds": 30,
                            "load_kg": None,
                            "side": "both",
                            "tempo": "",
                            "notes": "",
                        },
                        "progression": {"field": "reps", "step": 2, "cap": 14},
                    },
                    {
                        "id": str(wall_sit.pk),
                        "position": 2,
                        "exercise": {
                            "id": str(wall_sit.exercise.pk),
                            "name": "Wall sit",
                            "instructions": ["Stand tall.", "Move slowly."],
                            "provider": "youtube",
                            "video_url": wall_sit.exercise.video_url,
                            "embed_url": wall_sit.exercise.embed_url,
                            "thumbnail_url": wall_sit.exercise.thumbnail_url,
                            "translations": {},
                        },
                        "dosage": {
                            "sets": 2,
                            "reps": None,
                            "hold_seconds": 30,
                            "duration_seconds": None,
                            "rest_seconds": None,
                            "load_kg": None,
                            "side": "both",
                            "tempo": "",
                            "notes": "",
                        },
                        "progression": None,
                    },
                ],
            },
            {
                "id": str(walk.pk),
                "position": 2,
                "name": "Walk",
                "times_per_day": 2,
                "days_of_week": [],
                "items": [
                    {
                        "id": str(walking.pk),
                        "position": 1,
                        "exercise": {
                            "id": str(walking.exercise.pk),
                            "name": "Walking",
                            "instructions": ["Stand tall.", "Move slowly."],
                            "provider": "youtube",
                            "video_url": walking.exercise.video_url,
                            "embed_url": walking.exercise.embed_url,
                            "thumbnail_url": walking.exercise.thumbnail_url,
                            "translations": {},
                        },
                        "dosage": {
                            "sets": None,
                            "reps": None,
                            "hold_seconds": None,
                            "duration_seconds": 600,
                            "rest_seconds": None,
                            "load_kg": None,
                            "side": "both",
                            "tempo": "",
                            "notes": "",
                        },
                        "progression": None,
                    }
                ],
            },
        ],
    }


def test_decimals_become_json_numbers(organization):
    item = ProgramItemFactory.create(
        session=ProgramSessionFactory.create(
            program=ProgramFactory.create(organization=organization)
        ),
        load_kg=Decimal("2.5"),
        progression_field="load_kg",
        progression_step=Decimal("0.5"),
        progression_cap=Decimal("4.0"),
    )
    frozen = program_snapshot(item.session.program)["sessions"][0]["items"][0]
    assert frozen["dosage"]["load_kg"] == 2.5
    assert frozen["progression"] == {"field": "load_kg", "step": 0.5, "cap": 4}


def test_sessions_and_items_keep_their_order_and_days_are_sorted(organization):
    program = ProgramFactory.create(organization=organization)
    second = ProgramSessionFactory.create(
        program=program, position=2, name="B", days_of_week=[4, 0]
    )
    first = ProgramSessionFactory.create(program=program, position=1, name="A")
    ProgramItemFactory.create(session=first, position=2, exercise__name="Two")
    ProgramItemFactory.create(session=first, position=1, exercise__name="One")
    snapshot = program_snapshot(program)
    assert [s["id"] for s in snapshot["sessions"]] == [str(first.pk), str(second.pk)]
    assert [i["exercise"]["name"] for i in snapshot["sessions"][0]["items"]] == ["One", "Two"]
    assert snapshot["sessions"][1]["days_of_week"] == [0, 4]
    assert has_exercises(snapshot)


def test_a_program_without_items_has_no_exercises(organization):
    program = ProgramFactory.create(organization=organization)
    ProgramSessionFactory.create(program=program)
    assert not has_exercises(program_snapshot(program))


def test_freezing_takes_two_queries_whatever_the_size(organization, django_assert_num_queries):
    program = make_program(organization)
    for _ in range(5):
        session = ProgramSessionFactory.create(program=program)
        ProgramItemFactory.create_batch(4, session=session)
    with django_assert_num_queries(2):
        program_snapshot(program)


def test_later_edits_of_the_program_do_not_reach_the_assignment(organization, therapist):
    program = make_program(organization)
    assignment, _secret = assign(
        program=program,
        patient=PatientFactory.create(organization=organization),
        by=therapist,
        start_date=dt.date.today(),  # noqa: DTZ011
    )
    before = program_snapshot(program)
    squat = ProgramItem.objects.get(session__program=program, exercise__name="Squat")
    squat.reps = 20
    squat.save()
    squat.exercise.name = "Deep squat"
    squat.exercise.save()
    ProgramSession.objects.filter(program=program, name="Walk").delete()

    assignment.refresh_from_db()
    assert assignment.snapshot == before
    assert assignment.snapshot_version == 1
    assert not same_program(program_snapshot(program), assignment.snapshot)


def test_same_program_ignores_the_version_number(organization):
    program = make_program(organization)
    snapshot = program_snapshot(program)
    assert same_program(snapshot, {**snapshot, "version": 7})
    assert not same_program(snapshot, {**snapshot, "name": "Other"})


def test_localized_exercise_falls_back_to_the_original():
    exercise = ExerciseFactory.build()
    frozen = {
        "name": "Squat",
        "instructions": ["Stand."],
        "embed_url": exercise.embed_url,
        "translations": {"de": {"name": "Kniebeuge", "instructions": ["Stehen."]}},
    }
    assert localized_exercise(frozen, "de") == {
        "name": "Kniebeuge",
        "instructions": ["Stehen."],
        "embed_url": exercise.embed_url,
    }
    assert localized_exercise(frozen, "th") == {
        "name": "Squat",
        "instructions": ["Stand."],
        "embed_url": exercise.embed_url,
    }
