"""The portal's today view: what is due today, and its JSON without nested serializers.

``today_body`` gathers the day (the schedule, this week's dosage, the patient's language,
today's logs); ``today_data`` turns it into exactly what ``PortalTodaySerializer`` would
output. The serializer stays the schema (drf-spectacular); the plain function exists
because the serializer ran about 170 nested ``to_representation`` calls per request, more
than half of the endpoint's CPU. A test holds the two to the same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from rest_framework import serializers

from careboard.builder import adherence, schedule
from careboard.builder.models import ActivityLog, Assignment
from careboard.builder.snapshot import localized_exercise

# DRF's own field for datetimes: the time zone and format settings apply as in the serializer.
_DATETIME = serializers.DateTimeField()
_EXERCISE_STRINGS = ("provider", "video_url", "embed_url", "thumbnail_url")
_DOSAGE_INTEGERS = ("sets", "reps", "hold_seconds", "duration_seconds", "rest_seconds")
_LOG_INTEGERS = ("sets_done", "reps_done", "pain", "difficulty")


def program_ref(assignment: Assignment) -> dict[str, Any]:
    """The program's name and dates, as the today view shows them."""
    snapshot = assignment.snapshot
    return {
        "name": snapshot["name"],
        "duration_weeks": snapshot["duration_weeks"],
        "start_date": assignment.start_date,
        "end_date": assignment.end_date,
        "last_day": schedule.last_day(
            snapshot, start=assignment.start_date, end_date=assignment.end_date
        ),
    }


def today_body(
    assignment: Assignment, *, today: date, language: str, logs: list[ActivityLog]
) -> dict[str, Any]:
    """``PortalTodaySerializer``'s input: the sessions scheduled on ``today`` with this
    week's dosage, the exercises in ``language``, what ``logs`` (today's) mark as done."""
    plan = schedule.plan_for_day(
        assignment.snapshot, start=assignment.start_date, end_date=assignment.end_date, day=today
    )
    entries = [
        adherence.LogEntry(
            session_id=str(log.session_id),
            item_id=str(log.item_id) if log.item_id else None,
            performed_on=log.performed_on,
            completed=log.completed,
        )
        for log in logs
    ]
    sessions_done = adherence.sessions_done(plan, entries)
    items_done = Counter((entry.session_id, entry.item_id) for entry in entries if entry.completed)
    return {
        "date": today,
        "week": plan.week,
        "language": language,
        "program": program_ref(assignment),
        "sessions": [
            {
                "id": session.id,
                "name": session.name,
                "position": session.position,
                "times_per_day": session.times_per_day,
                "done": sessions_done[session.id],
                "items": [
                    {
                        "id": item.id,
                        "position": item.position,
                        "exercise": localized_exercise(dict(item.exercise), language),
                        "dosage": item.dosage,
                        "progression": item.progression,
                        "done": items_done[(session.id, item.id)],
                    }
                    for item in session.items
                ],
            }
            for session in plan.sessions
        ],
        "logs": logs,
    }


# The helpers below do what the serializer's fields do to a value: ``str`` for CharField
# and UUIDField, ``int``, ``float``, ISO dates; a null is passed through by every field.


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _date(value: date | str | None) -> str | None:
    if not value:
        return None
    return value if isinstance(value, str) else value.isoformat()


def _exercise(exercise: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if exercise is None:
        return None
    instructions = exercise["instructions"]
    return {
        "id": _str(exercise["id"]),
        "name": _str(exercise["name"]),
        "instructions": None if instructions is None else [_str(line) for line in instructions],
        **{name: _str(exercise[name]) for name in _EXERCISE_STRINGS},
    }


def _dosage(dosage: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if dosage is None:
        return None
    return {
        **{name: _int(dosage[name]) for name in _DOSAGE_INTEGERS},
        "load_kg": _float(dosage["load_kg"]),
        # ChoiceField: a known choice is its own value; anything else is passed as is.
        "side": dosage["side"],
        "tempo": _str(dosage["tempo"]),
        "notes": _str(dosage["notes"]),
    }


def _progression(progression: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if progression is None:
        return None
    return {
        "field": progression["field"],
        "step": _float(progression["step"]),
        "cap": _float(progression["cap"]),
    }


def activity_log_data(log: ActivityLog) -> dict[str, Any]:
    """``ActivityLogSerializer``'s output for one log."""
    return {
        "id": str(log.id),
        "session_id": str(log.session_id),
        "item_id": None if log.item_id is None else str(log.item_id),
        "performed_on": _date(log.performed_on),
        "performed_at": _DATETIME.to_representation(log.performed_at),
        "completed": bool(log.completed),
        **{name: _int(getattr(log, name)) for name in _LOG_INTEGERS},
        "comment": str(log.comment),
        "created_at": _DATETIME.to_representation(log.created_at),
    }


def today_data(body: Mapping[str, Any]) -> dict[str, Any]:
    """``PortalTodaySerializer(body).data``, built by plain code (see the module docstring)."""
    program = body["program"]
    sessions: Iterable[Mapping[str, Any]] = body["sessions"]
    return {
        "date": _date(body["date"]),
        "week": _int(body["week"]),
        "language": str(body["language"]),
        "program": {
            "name": str(program["name"]),
            "duration_weeks": int(program["duration_weeks"]),
            "start_date": _date(program["start_date"]),
            "end_date": _date(program["end_date"]),
            "last_day": _date(program["last_day"]),
        },
        "sessions": [
            {
                "id": str(session["id"]),
                "name": str(session["name"]),
                "position": int(session["position"]),
                "times_per_day": int(session["times_per_day"]),
                "done": int(session["done"]),
                "items": [
                    {
                        "id": str(item["id"]),
                        "position": int(item["position"]),
                        "exercise": _exercise(item["exercise"]),
                        "dosage": _dosage(item["dosage"]),
                        "progression": _progression(item["progression"]),
                        "done": int(item["done"]),
                    }
                    for item in session["items"]
                ],
            }
            for session in sessions
        ],
        "logs": [activity_log_data(log) for log in body["logs"]],
    }
