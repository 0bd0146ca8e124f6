"""What an assignment schedules on a day, and the week's dosage (pure, table-driven)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from careboard.builder import schedule

MONDAY = date(2025, 3, 3)

SQUAT_DOSAGE = {
    "sets": 3,
    "reps": 10,
    "hold_seconds": None,
    "duration_seconds": None,
    "rest_seconds": 30,
    "load_kg": None,
    "side": "both",
    "tempo": "",
    "notes": "",
}


def item(item_id: str, **dosage: Any) -> dict[str, Any]:
    progression = dosage.pop("progression", None)
    return {
        "id": item_id,
        "position": 1,
        "exercise": {"id": f"ex-{item_id}", "name": item_id},
        "dosage": {**SQUAT_DOSAGE, **dosage},
        "progression": progression,
    }


def snapshot(weeks: int = 4) -> dict[str, Any]:
    return {
        "name": "Knee",
        "duration_weeks": weeks,
        "sessions": [
            {
                "id": "strength",
                "position": 1,
                "name": "Strength",
                "times_per_day": 1,
                "days_of_week": [0, 2, 4],
                "items": [item("squat", progression={"field": "reps", "step": 2, "cap": 14})],
            },
            {
                "id": "walk",
                "position": 2,
                "name": "Walk",
                "times_per_day": 2,
                "days_of_week": [],
                "items": [item("walk", sets=None, reps=None, duration_seconds=600)],
            },
        ],
    }


# ------------------------------------------------------------------------------ days


@pytest.mark.parametrize(
    ("offset", "sessions", "week"),
    [
        (0, ["strength", "walk"], 1),  # Monday, the start
        (1, ["walk"], 1),  # Tuesday: the daily walk only
        (2, ["strength", "walk"], 1),  # Wednesday
        (5, ["walk"], 1),  # Saturday
        (6, ["walk"], 1),  # Sunday, the last day of week 1
        (7, ["strength", "walk"], 2),  # Monday of week 2
        (27, ["walk"], 4),  # the last day of 4 weeks (a Sunday)
        (28, [], None),  # the day after: the program is over
        (-1, [], None),  # the day before the start
    ],
)
def test_sessions_follow_the_weekdays_from_the_start(offset, sessions, week):
    plan = schedule.plan_for_day(
        snapshot(), start=MONDAY, end_date=None, day=MONDAY + timedelta(days=offset)
    )
    assert [s.id for s in plan.sessions] == sessions
    assert plan.week == week


def test_times_per_day_make_the_planned_count():
    plan = schedule.plan_for_day(snapshot(), start=MONDAY, end_date=None, day=MONDAY)
    assert [s.times_per_day for s in plan.sessions] == [1, 2]
    assert plan.planned_sessions == 3


def test_an_end_date_replaces_the_program_weeks():
    early = MONDAY + timedelta(days=9)
    assert schedule.last_day(snapshot(), start=MONDAY, end_date=early) == early
    after = schedule.plan_for_day(
        snapshot(), start=MONDAY, end_date=early, day=early + timedelta(days=1)
    )
    assert after.sessions == ()
    late = MONDAY + timedelta(days=40)
    plan = schedule.plan_for_day(snapshot(), start=MONDAY, end_date=late, day=late)
    assert [s.id for s in plan.sessions] == ["walk"]
    assert plan.week == 6


def test_weeks_count_from_the_start_date_not_the_calendar():
    thursday = date(2025, 3, 6)
    assert schedule.week_of(thursday, thursday + timedelta(days=6)) == 1  # Wednesday
    assert schedule.week_of(thursday, thursday + timedelta(days=7)) == 2  # Thursday


# ------------------------------------------------------------------------------ dosage


@pytest.mark.parametrize(
    ("dosage", "progression", "steps", "expected"),
    [
        # No progression, or week 1: the dosage as written.
        ({"reps": 10}, None, 3, {"reps": 10}),
        ({"reps": 10}, {"field": "reps", "step": 2, "cap": 14}, 0, {"reps": 10}),
        # Two more repetitions a week, capped at 14.
        ({"reps": 10}, {"field": "reps", "step": 2, "cap": 14}, 1, {"reps": 12}),
        ({"reps": 10}, {"field": "reps", "step": 2, "cap": 14}, 2, {"reps": 14}),
        ({"reps": 10}, {"field": "reps", "step": 2, "cap": 14}, 3, {"reps": 14}),
        # A cap between two steps stops there.
        ({"reps": 10}, {"field": "reps", "step": 3, "cap": 14}, 2, {"reps": 14}),
        # No cap: no ceiling.
        ({"reps": 10}, {"field": "reps", "step": 3, "cap": None}, 3, {"reps": 19}),
        # Whole-number fields take whole steps: half a set a week is one set every 2 weeks.
        ({"sets": 2}, {"field": "sets", "step": 0.5, "cap": 5}, 1, {"sets": 2}),
        ({"sets": 2}, {"field": "sets", "step": 0.5, "cap": 5}, 2, {"sets": 3}),
        ({"sets": 2}, {"field": "sets", "step": 0.5, "cap": 5}, 3, {"sets": 3}),
        # Load in tenths of a kilogram, exactly (no float drift).
        ({"load_kg": 2.5}, {"field": "load_kg", "step": 0.1, "cap": 3}, 3, {"load_kg": 2.8}),
        ({"load_kg": 2.5}, {"field": "load_kg", "step": 0.5, "cap": 3}, 3, {"load_kg": 3.0}),
        # Seconds.
        (
            {"hold_seconds": 20},
            {"field": "hold_seconds", "step": 5, "cap": 45},
            2,
            {"hold_seconds": 30},
        ),
        # A base already beyond the cap is kept, not lowered.
        ({"reps": 16}, {"field": "reps", "step": 2, "cap": 14}, 2, {"reps": 16}),
        # A field without a base value is not progressed.
        ({"reps": 10, "load_kg": None}, {"field": "load_kg", "step": 1, "cap": 5}, 2, None),
        # A negative step (tapering) stops at the cap as a floor, never below zero.
        (
            {"duration_seconds": 600},
            {"field": "duration_seconds", "step": -120, "cap": 300},
            2,
            {"duration_seconds": 360},
        ),
        (
            {"duration_seconds": 600},
            {"field": "duration_seconds", "step": -120, "cap": 300},
            5,
            {"duration_seconds": 300},
        ),
        ({"reps": 4}, {"field": "reps", "step": -2, "cap": None}, 5, {"reps": 0}),
    ],
)
def test_dosage_for_week(dosage, progression, steps, expected):
    result = schedule.dosage_for_week(dosage, progression, steps=steps)
    assert result == {**dosage, **(expected or {})}


def test_progression_stops_after_the_planned_weeks():
    two_weeks = snapshot(weeks=2)
    end = MONDAY + timedelta(days=30)
    reps = [
        schedule.plan_for_day(
            two_weeks, start=MONDAY, end_date=end, day=MONDAY + timedelta(days=7 * week)
        )
        .sessions[0]
        .items[0]
        .dosage["reps"]
        for week in range(4)
    ]
    assert reps == [10, 12, 12, 12]


def test_the_plan_carries_this_weeks_dosage():
    plan = schedule.plan_for_day(
        snapshot(), start=MONDAY, end_date=None, day=MONDAY + timedelta(days=14)
    )
    squat = plan.sessions[0].items[0]
    assert squat.dosage == {**SQUAT_DOSAGE, "reps": 14}
    assert squat.progression == {"field": "reps", "step": 2, "cap": 14}


# ------------------------------------------------------------------------------ periods


def test_each_day_uses_the_snapshot_in_force_then():
    old = snapshot()
    new = snapshot()
    new["sessions"] = [new["sessions"][1]]  # the walk only, from the re-assignment on
    periods = schedule.periods(
        snapshot=new,
        start=MONDAY,
        snapshot_from=MONDAY + timedelta(days=7),
        past_snapshots=[
            {"from": "2025-03-03", "until": "2025-03-09", "version": 1, "snapshot": old}
        ],
    )
    before = schedule.planned_on(periods, start=MONDAY, end_date=None, day=MONDAY)
    after = schedule.planned_on(
        periods, start=MONDAY, end_date=None, day=MONDAY + timedelta(days=7)
    )
    assert [s.id for s in before.sessions] == ["strength", "walk"]
    assert [s.id for s in after.sessions] == ["walk"]
    assert schedule.snapshot_on(periods, MONDAY + timedelta(days=6)) is old
    assert schedule.snapshot_on(periods, MONDAY + timedelta(days=7)) is new


def test_find_session_and_item():
    snap = snapshot()
    strength = schedule.find_session(snap, "strength")
    assert strength is not None
    squat = schedule.find_item(strength, "squat")
    assert squat is not None
    assert squat["id"] == "squat"
    assert schedule.find_item(strength, "walk") is None
    assert schedule.find_session(snap, "nope") is None
