"""Test data for assignments: exercises, programs with sessions and items (rows made
directly, not through the program services), assignments through the service, and logs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory

from careboard.builder import assignments
from careboard.builder.models import (
    ActivityLog,
    Assignment,
    Exercise,
    Program,
    ProgramItem,
    ProgramSession,
    ProgramStatus,
)
from careboard.organizations.models import Organization
from careboard.organizations.tests.factories import OrganizationFactory
from careboard.patients.models import Patient
from careboard.users.models import User


class ExerciseFactory(factory.django.DjangoModelFactory[Exercise]):
    class Meta:
        model = Exercise

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Exercise {n}")
    instructions = factory.LazyFunction(lambda: ["Stand tall.", "Move slowly."])
    difficulty = "easy"
    position = "standing"
    video_url = factory.Sequence(lambda n: f"https://www.youtube.com/watch?v=vid{n:08d}")
    video_provider = "youtube"
    video_id = factory.Sequence(lambda n: f"vid{n:08d}")
    embed_url = factory.Sequence(lambda n: f"https://www.youtube-nocookie.com/embed/vid{n:08d}")
    thumbnail_url = factory.Sequence(lambda n: f"https://i.ytimg.com/vi/vid{n:08d}/hqdefault.jpg")


class ProgramFactory(factory.django.DjangoModelFactory[Program]):
    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    status = ProgramStatus.PUBLISHED
    duration_weeks = 4


class ProgramSessionFactory(factory.django.DjangoModelFactory[ProgramSession]):
    class Meta:
        model = ProgramSession

    program = factory.SubFactory(ProgramFactory)
    position = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Session {n}")
    times_per_day = 1
    days_of_week = factory.LazyFunction(lambda: [0, 2, 4])


class ProgramItemFactory(factory.django.DjangoModelFactory[ProgramItem]):
    class Meta:
        model = ProgramItem

    session = factory.SubFactory(ProgramSessionFactory)
    position = factory.Sequence(lambda n: n + 1)
    exercise = factory.SubFactory(
        ExerciseFactory, organization=factory.SelfAttribute("..session.program.organization")
    )
    sets = 3
    reps = 10


def make_program(organization: Organization, **fields: Any) -> Program:
    """A published 4-week program of two sessions:

    - "Strength", Monday, Wednesday and Friday, once: squats (3 × 10 repetitions, two more
      each week up to 14) and a wall sit (hold 30 s);
    - "Walk", every day, twice: walking for 10 minutes.
    """
    program = ProgramFactory.create(organization=organization, **fields)
    strength = ProgramSessionFactory.create(
        program=program, position=1, name="Strength", times_per_day=1, days_of_week=[0, 2, 4]
    )
    ProgramItemFactory.create(
        session=strength,
        position=1,
        exercise=ExerciseFactory.create(organization=organization, name="Squat"),
        sets=3,
        reps=10,
        rest_seconds=30,
        progression_field="reps",
        progression_step=Decimal(2),
        progression_cap=Decimal(14),
    )
    ProgramItemFactory.create(
        session=strength,
        position=2,
        exercise=ExerciseFactory.create(organization=organization, name="Wall sit"),
        sets=2,
        reps=None,
        hold_seconds=30,
    )
    walk = ProgramSessionFactory.create(
        program=program, position=2, name="Walk", times_per_day=2, days_of_week=[]
    )
    ProgramItemFactory.create(
        session=walk,
        position=1,
        exercise=ExerciseFactory.create(organization=organization, name="Walking"),
        sets=None,
        reps=None,
        duration_seconds=600,
    )
    return program


def assign(
    *,
    program: Program,
    patient: Patient,
    by: User,
    start_date: dt.date,
    end_date: dt.date | None = None,
) -> tuple[Assignment, str]:
    """Assign through the service: (assignment, portal token secret)."""
    return assignments.assignment_assign(
        program=program, patient=patient, by=by, start_date=start_date, end_date=end_date
    )


def session_of(assignment: Assignment, name: str) -> dict[str, Any]:
    return next(s for s in assignment.snapshot["sessions"] if s["name"] == name)


def item_of(assignment: Assignment, session: str, exercise: str) -> dict[str, Any]:
    items = session_of(assignment, session)["items"]
    return next(i for i in items if i["exercise"]["name"] == exercise)


def log(
    assignment: Assignment,
    *,
    session: str,
    on: dt.date,
    item: str | None = None,
    **fields: Any,
) -> ActivityLog:
    """A log row made directly (no validation): ``session``/``item`` by name."""
    session_id = session_of(assignment, session)["id"]
    item_id = item_of(assignment, session, item)["id"] if item else None
    return ActivityLog.objects.create(
        assignment=assignment, session_id=session_id, item_id=item_id, performed_on=on, **fields
    )
