"""Adherence: planned against done, trends and flags, on a fixed scenario (pure)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from careboard.builder import schedule
from careboard.builder.adherence import (
    Flag,
    LogEntry,
    Severity,
    compute_adherence,
    flags_for,
    percent,
    urgency_key,
)
from careboard.builder.tests.test_schedule import snapshot

START = date(2025, 3, 3)  # a Monday
TODAY = date(2025, 3, 12)  # the Wednesday of week 2


def entry(day: int, session: str, item: str | None = None, *, hour: int = 9, **fields) -> LogEntry:
    on = date(2025, 3, day)
    return LogEntry(
        session_id=session,
        item_id=item,
        performed_on=on,
        performed_at=datetime(2025, 3, day, hour),  # noqa: DTZ001  (only the order matters)
        **fields,
    )


# Strength (squat) is planned Mon/Wed/Fri once, the walk every day twice; 2 weeks.
SCENARIO = [
    # Mon 3: everything (3 of 3).
    entry(3, "strength", pain=2, difficulty=4),
    entry(3, "walk"),
    entry(3, "walk", hour=18),
    # Tue 4: one walk of two.
    entry(4, "walk"),
    # Wed 5: strength by its item, three walks (counted twice), two pain reports.
    entry(5, "strength", "squat", pain=3),
    entry(5, "walk"),
    entry(5, "walk", hour=12, pain=2),
    entry(5, "walk", hour=18),
    # Thu 6: nothing.
    # Fri 7: a session marked not completed does not count.
    entry(7, "strength", completed=False, pain=4),
    # Sat 8: strength is not planned on Saturdays (activity, not adherence); one walk.
    entry(8, "strength", pain=5),
    entry(8, "walk"),
    # Sun 9: nothing.
    # Mon 10: everything.
    entry(10, "strength", pain=6, difficulty=6),
    entry(10, "walk"),
    entry(10, "walk", hour=18),
    # Tue 11: one walk.
    entry(11, "walk", pain=7, difficulty=5),
    # Wed 12, today: one walk so far.
    entry(12, "walk"),
    # A log dated after today is ignored.
    entry(13, "walk", pain=0),
]


@pytest.fixture
def result():
    periods = [schedule.Period(snapshot=snapshot(weeks=2), start=START)]
    return compute_adherence(
        periods=periods,
        start=START,
        end_date=None,
        today=TODAY,
        logs=SCENARIO,
        active=True,
        inactive_days=3,
    )


def test_planned_and_done_per_day(result):
    assert [(d.day.day, d.planned, d.done) for d in result.days] == [
        (3, 3, 3),
        (4, 2, 1),
        (5, 3, 3),
        (6, 2, 0),
        (7, 3, 0),
        (8, 2, 1),
        (9, 2, 0),
        (10, 3, 3),
        (11, 2, 1),
        (12, 3, 1),  # today: the day is not over
    ]


def test_planned_and_done_per_week(result):
    assert [(w.week, w.start, w.end, w.planned, w.done, w.percent) for w in result.weeks] == [
        (1, date(2025, 3, 3), date(2025, 3, 9), 17, 8, 47.1),
        # Today's three sessions count as planned only once done (one so far).
        (2, date(2025, 3, 10), date(2025, 3, 16), 6, 5, 83.3),
    ]


def test_overall(result):
    assert (result.planned, result.done, result.percent) == (23, 13, 56.5)
    assert (result.first_day, result.last_day, result.today) == (START, date(2025, 3, 16), TODAY)
    assert result.last_activity_on == date(2025, 3, 12)


def test_pain_and_difficulty_per_day(result):
    assert [(p.day.day, p.mean, p.max, p.count) for p in result.pain] == [
        (3, 2.0, 2, 1),
        (5, 2.5, 3, 2),
        (7, 4.0, 4, 1),
        (8, 5.0, 5, 1),
        (10, 6.0, 6, 1),
        (11, 7.0, 7, 1),
    ]
    assert [(p.day.day, p.mean, p.max) for p in result.difficulty] == [
        (3, 4.0, 4),
        (10, 6.0, 6),
        (11, 5.0, 5),
    ]


def test_flags_of_the_scenario(result):
    assert [(f.code, f.level, f.detail) for f in result.flags] == [
        ("pain_high", "high", "Pain 7/10 reported on 2025-03-11."),
        ("pain_rising", "medium", "Pain rose over the last three reports: 5 → 6 → 7."),
    ]


def test_each_item_round_counts_once_and_a_missing_item_none():
    two_items = snapshot(weeks=1)
    two_items["sessions"][0]["items"].append(
        {**two_items["sessions"][0]["items"][0], "id": "bridge"}
    )
    periods = [schedule.Period(snapshot=two_items, start=START)]
    logs = [
        entry(3, "strength", "squat"),
        entry(3, "strength", "bridge"),
        entry(5, "strength", "squat"),  # the bridge is missing
    ]
    result = compute_adherence(
        periods=periods,
        start=START,
        end_date=None,
        today=date(2025, 3, 6),
        logs=logs,
        active=True,
        inactive_days=3,
    )
    assert [(d.day.day, d.planned, d.done) for d in result.days] == [
        (3, 3, 1),
        (4, 2, 0),
        (5, 3, 0),
        (6, 2, 0),
    ]


def test_before_the_start_there_is_nothing_to_measure():
    periods = [schedule.Period(snapshot=snapshot(), start=START)]
    result = compute_adherence(
        periods=periods,
        start=START,
        end_date=None,
        today=START - timedelta(days=1),
        logs=[],
        active=True,
        inactive_days=3,
    )
    assert (result.days, result.weeks, result.planned, result.percent) == ([], [], 0, None)
    assert result.flags == []


def test_days_after_the_end_are_not_counted():
    periods = [schedule.Period(snapshot=snapshot(), start=START)]
    result = compute_adherence(
        periods=periods,
        start=START,
        end_date=date(2025, 3, 4),
        today=TODAY,
        logs=[entry(3, "strength"), entry(3, "walk"), entry(4, "walk"), entry(4, "walk")],
        active=True,
        inactive_days=3,
    )
    assert [(d.day.day, d.planned, d.done) for d in result.days] == [(3, 3, 2), (4, 2, 2)]
    assert (result.planned, result.done, result.percent) == (5, 4, 80.0)
    assert result.flags == []  # over: no inactivity flag


# ------------------------------------------------------------------------------ flags


def flags(**kwargs) -> list[tuple[str, str]]:
    arguments = {
        "recent_pains": [],
        "last_activity_on": TODAY - timedelta(days=1),
        "start": START,
        "last_day": date(2025, 3, 30),
        "today": TODAY,
        "active": True,
        "inactive_days": 3,
        **kwargs,
    }
    return [(flag.code, flag.detail) for flag in flags_for(**arguments)]


def pains(*values: int) -> list[tuple[date, int]]:
    return [(START + timedelta(days=i), value) for i, value in enumerate(values)]


@pytest.mark.parametrize(
    ("recent", "expected"),
    [
        ((), []),
        ((7,), [("pain_high", "Pain 7/10 reported on 2025-03-03.")]),
        ((6,), []),
        ((9, 3), []),  # only the latest report counts
        ((3, 4, 6), [("pain_rising", "Pain rose over the last three reports: 3 → 4 → 6.")]),
        ((3, 3, 4), []),  # not strictly rising
        ((2, 5), []),  # two reports are not a trend
        ((6, 3, 4, 5), [("pain_rising", "Pain rose over the last three reports: 3 → 4 → 5.")]),
        (
            (4, 6, 8),
            [
                ("pain_high", "Pain 8/10 reported on 2025-03-05."),
                ("pain_rising", "Pain rose over the last three reports: 4 → 6 → 8."),
            ],
        ),
    ],
)
def test_pain_flags(recent, expected):
    assert flags(recent_pains=pains(*recent)) == expected


@pytest.mark.parametrize(
    ("last_activity", "today", "active", "expected"),
    [
        (date(2025, 3, 11), TODAY, True, []),
        (date(2025, 3, 10), TODAY, True, []),  # 2 days
        (date(2025, 3, 9), TODAY, True, [("inactive", "No activity for 3 days.")]),
        # Never logged: counted from the day before the start.
        (None, date(2025, 3, 4), True, []),
        (None, date(2025, 3, 5), True, [("inactive", "No activity for 3 days.")]),
        (None, TODAY, True, [("inactive", "No activity for 10 days.")]),
        # Ended, not started, or over: no inactivity to report.
        (date(2025, 3, 1), TODAY, False, []),
        (None, date(2025, 3, 2), True, []),
        (date(2025, 3, 20), date(2025, 3, 31), True, []),
    ],
)
def test_inactivity_flag(last_activity, today, active, expected):
    assert flags(last_activity_on=last_activity, today=today, active=active) == expected


def test_an_ended_program_has_no_flags():
    assert flags(recent_pains=pains(4, 6, 8), last_activity_on=None, active=False) == []


def test_the_inactivity_threshold_is_a_parameter():
    quiet = date(2025, 3, 7)
    assert flags(last_activity_on=quiet, inactive_days=6) == []
    assert flags(last_activity_on=quiet, inactive_days=5) == [
        ("inactive", "No activity for 5 days.")
    ]


def test_most_urgent_first():
    high = Flag("pain_high", Severity.HIGH, "")
    rising = Flag("pain_rising", Severity.MEDIUM, "")
    idle = Flag("inactive", Severity.LOW, "")
    rows = {
        "calm, active yesterday": urgency_key([], date(2025, 3, 11)),
        "calm, active long ago": urgency_key([], date(2025, 3, 1)),
        "idle": urgency_key([idle], None),
        "rising": urgency_key([rising], date(2025, 3, 11)),
        "high": urgency_key([high], date(2025, 3, 11)),
        "high and rising": urgency_key([high, rising], date(2025, 3, 11)),
        "high and rising, quieter": urgency_key([high, rising], date(2025, 3, 9)),
    }
    assert sorted(rows, key=rows.__getitem__) == [
        "high and rising, quieter",
        "high and rising",
        "high",
        "rising",
        "idle",
        "calm, active long ago",
        "calm, active yesterday",
    ]


@pytest.mark.parametrize(
    ("done", "planned", "expected"),
    [(0, 0, None), (0, 3, 0.0), (1, 3, 33.3), (2, 3, 66.7), (1, 8, 12.5), (3, 3, 100.0)],
)
def test_percent_rounds_half_up_to_a_tenth(done, planned, expected):
    assert percent(done, planned) == expected
