"""Exercises and programs for tests. Rows are created directly (not through the services)
so that a test sets up exactly the state it needs."""

from __future__ import annotations

from typing import Any

import factory

from careboard.builder.models import (
    Exercise,
    Program,
    ProgramItem,
    ProgramSession,
)
from careboard.builder.services import exercise_refresh_derived
from careboard.builder.vocabulary import BodyRegion, Difficulty, Equipment, Position
from careboard.organizations.tests.factories import OrganizationFactory


class ExerciseFactory(factory.django.DjangoModelFactory[Exercise]):
    """An exercise of the global library unless ``organization`` is given."""

    class Meta:
        model = Exercise

    organization = None
    name = factory.Sequence(lambda n: f"Exercise {n}")
    instructions = factory.LazyFunction(lambda: ["Start position.", "Move.", "Return slowly."])
    body_regions = factory.LazyFunction(lambda: [BodyRegion.KNEE])
    equipment = factory.LazyFunction(lambda: [Equipment.NONE])
    difficulty = Difficulty.EASY
    position = Position.SITTING
    default_sets = 3
    default_reps = 10
    video_url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"

    @classmethod
    def _create(cls, model_class: type[Exercise], *args: Any, **kwargs: Any) -> Exercise:
        exercise = model_class(**kwargs)
        exercise_refresh_derived(exercise=exercise)
        exercise.save()
        return exercise


class ProgramFactory(factory.django.DjangoModelFactory[Program]):
    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    description = "Daily home exercises."
    duration_weeks = 6


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
    exercise = factory.SubFactory(ExerciseFactory)
    sets = 3
    reps = 10


def program_with(
    *,
    organization: Any,
    sessions: int = 1,
    items: int = 1,
    exercise: Exercise | None = None,
    **fields: Any,
) -> Program:
    """A program of ``sessions`` sessions of ``items`` items each (positions 1…n)."""
    program = ProgramFactory.create(organization=organization, **fields)
    exercise = exercise or ExerciseFactory.create()
    for s in range(1, sessions + 1):
        session = ProgramSessionFactory.create(program=program, position=s, name=f"Session {s}")
        for i in range(1, items + 1):
            ProgramItemFactory.create(session=session, position=i, exercise=exercise, reps=10 + i)
    return program
