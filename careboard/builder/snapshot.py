"""Freeze a program into the JSON an assignment keeps.

The snapshot holds everything the patient's portal, the handout and adherence need, so
that later edits of the program, its sessions, items or exercises change nothing for a
patient until the therapist re-assigns. Shape (``SNAPSHOT_SCHEMA`` 1)::

    {"schema": 1, "program_id": "…", "version": 3, "name": "…", "description": "…",
     "duration_weeks": 4,
     "sessions": [{"id": "…", "position": 1, "name": "…", "times_per_day": 1,
                   "days_of_week": [0, 2, 4],
                   "items": [{"id": "…", "position": 1,
                              "exercise": {"id", "name", "instructions", "provider",
                                           "video_url", "embed_url", "thumbnail_url",
                                           "translations"},
                              "dosage": {"sets", "reps", "hold_seconds",
                                         "duration_seconds", "rest_seconds", "load_kg",
                                         "side", "tempo", "notes"},
                              "progression": {"field", "step", "cap"} | null}]}]}

Ids are strings, decimals are JSON numbers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch

from careboard.builder.models import Exercise, Program, ProgramItem, ProgramSession

SNAPSHOT_SCHEMA = 1


def _number(value: Decimal | int | None) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def exercise_snapshot(exercise: Exercise) -> dict[str, Any]:
    return {
        "id": str(exercise.pk),
        "name": exercise.name,
        "instructions": list(exercise.instructions or []),
        "provider": exercise.video_provider,
        "video_url": exercise.video_url,
        "embed_url": exercise.embed_url,
        "thumbnail_url": exercise.thumbnail_url,
        "translations": dict(exercise.translations or {}),
    }


def item_snapshot(item: ProgramItem) -> dict[str, Any]:
    progression = None
    if item.progression_field and item.progression_step:
        progression = {
            "field": item.progression_field,
            "step": _number(item.progression_step),
            "cap": _number(item.progression_cap),
        }
    return {
        "id": str(item.pk),
        "position": item.position,
        "exercise": exercise_snapshot(item.exercise),
        "dosage": {
            "sets": item.sets,
            "reps": item.reps,
            "hold_seconds": item.hold_seconds,
            "duration_seconds": item.duration_seconds,
            "rest_seconds": item.rest_seconds,
            "load_kg": _number(item.load_kg),
            "side": item.side,
            "tempo": item.tempo,
            "notes": item.notes,
        },
        "progression": progression,
    }


def session_snapshot(session: ProgramSession) -> dict[str, Any]:
    return {
        "id": str(session.pk),
        "position": session.position,
        "name": session.name,
        "times_per_day": session.times_per_day,
        "days_of_week": sorted({int(day) for day in session.days_of_week or []}),
        "items": [item_snapshot(item) for item in session.items.all()],
    }


def program_snapshot(program: Program) -> dict[str, Any]:
    """The program as it is now, with its sessions, items and exercises (two queries)."""
    sessions = ProgramSession.objects.filter(program=program).order_by("position")
    sessions = sessions.prefetch_related(
        Prefetch(
            "items",
            queryset=ProgramItem.objects.select_related("exercise").order_by("position"),
        )
    )
    return {
        "schema": SNAPSHOT_SCHEMA,
        "program_id": str(program.pk),
        "version": program.version,
        "name": program.name,
        "description": program.description,
        "duration_weeks": program.duration_weeks,
        "sessions": [session_snapshot(session) for session in sessions],
    }


def has_exercises(snapshot: dict[str, Any]) -> bool:
    """Whether the snapshot schedules anything at all."""
    return any(session["items"] for session in snapshot["sessions"])


def same_program(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two snapshots freeze the same content (the version number aside)."""
    ignored = ("version",)
    return {k: v for k, v in a.items() if k not in ignored} == {
        k: v for k, v in b.items() if k not in ignored
    }


def localized_exercise(exercise: dict[str, Any], language: str) -> dict[str, Any]:
    """The exercise's name and instructions in ``language`` when translated, else as is."""
    translation = (exercise.get("translations") or {}).get(language) or {}
    result = {k: v for k, v in exercise.items() if k != "translations"}
    if translation.get("name"):
        result["name"] = translation["name"]
    if translation.get("instructions"):
        result["instructions"] = list(translation["instructions"])
    return result
