"""Next-observation schedule, overdue minutes and nursing shifts (DST-safe)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from careboard.patients.scoring.schedule import (
    DEFAULT_INTERVALS,
    DueSource,
    Intervals,
    Shift,
    ShiftTimes,
    next_due,
    overdue_minutes,
    shift_for,
    shift_window,
)

WARD = ZoneInfo("Asia/Ho_Chi_Minh")  # no daylight saving
LONDON = ZoneInfo("Europe/London")  # clocks change at 01:00 UTC, last Sunday Mar/Oct
RECORDED = datetime(2024, 6, 1, 10, 0, tzinfo=WARD)


def _elapsed(start: datetime, end: datetime) -> timedelta:
    return end.astimezone(UTC) - start.astimezone(UTC)


# ---------------------------------------------------------------------------- next_due


@pytest.mark.parametrize(
    ("band", "total", "minutes", "source"),
    [
        ("low", 0, 720, DueSource.BAND),  # RCP: score 0, minimum 12-hourly
        ("low", 1, 240, DueSource.BAND),  # RCP: 1-4, minimum 4-6-hourly
        ("low", 4, 240, DueSource.BAND),
        ("low-medium", 3, 60, DueSource.BAND),  # RCP: single 3, minimum hourly
        ("low-medium", 4, 60, DueSource.BAND),
        ("medium", 5, 60, DueSource.BAND),  # RCP: 5-6, minimum hourly
        ("medium", 6, 60, DueSource.BAND),
        ("high", 7, 15, DueSource.BAND),  # RCP: 7+, continuous monitoring
        ("high", 20, 15, DueSource.BAND),
        (None, None, 240, DueSource.DEFAULT),  # not applicable / not computed
    ],
)
def test_interval_follows_the_news2_band(
    band: str | None, total: int | None, minutes: int, source: DueSource
) -> None:
    result = next_due(recorded_at=RECORDED, band=band, total=total, intervals=DEFAULT_INTERVALS)
    assert result.interval_minutes == minutes
    assert result.source == source
    assert result.due_at == RECORDED + timedelta(minutes=minutes)
    assert result.due_at.tzinfo is WARD


def test_incomplete_score_of_0_is_treated_as_low_not_12_hourly() -> None:
    result = next_due(recorded_at=RECORDED, band="low", total=0, complete=False)
    assert result.interval_minutes == 240
    assert result.source == DueSource.BAND


@pytest.mark.parametrize(
    ("band", "total", "minutes", "source"),
    [
        ("low", 0, 120, DueSource.DENGUE_CRITICAL),
        ("low", 2, 120, DueSource.DENGUE_CRITICAL),
        (None, None, 120, DueSource.DENGUE_CRITICAL),
        ("low-medium", 3, 60, DueSource.BAND),
        ("medium", 5, 60, DueSource.BAND),
        ("high", 9, 15, DueSource.BAND),
    ],
)
def test_dengue_critical_phase_is_due_at_least_every_2_hours(
    band: str | None, total: int | None, minutes: int, source: DueSource
) -> None:
    result = next_due(recorded_at=RECORDED, band=band, total=total, dengue_critical=True)
    assert result.interval_minutes == minutes
    assert result.source == source


def test_dengue_cap_equal_to_band_interval_keeps_band_as_source() -> None:
    intervals = Intervals(low_minutes=120)
    result = next_due(
        recorded_at=RECORDED, band="low", total=2, intervals=intervals, dengue_critical=True
    )
    assert result.interval_minutes == 120
    assert result.source == DueSource.BAND


@pytest.mark.parametrize(
    ("band", "total", "dengue_critical"),
    [("high", 8, False), ("low", 0, True), (None, None, True), ("medium", 5, False)],
)
def test_physician_override_wins_over_band_and_dengue(
    band: str | None, total: int | None, dengue_critical: bool
) -> None:
    result = next_due(
        recorded_at=RECORDED,
        band=band,
        total=total,
        override_minutes=180,
        dengue_critical=dengue_critical,
    )
    assert result.interval_minutes == 180
    assert result.source == DueSource.OVERRIDE
    assert result.due_at == datetime(2024, 6, 1, 13, 0, tzinfo=WARD)


def test_intervals_are_configurable_per_organisation() -> None:
    intervals = Intervals(score_zero_minutes=480, low_minutes=360, high_minutes=30)
    assert (
        next_due(recorded_at=RECORDED, band="low", total=0, intervals=intervals).interval_minutes
        == 480
    )
    assert (
        next_due(recorded_at=RECORDED, band="low", total=3, intervals=intervals).interval_minutes
        == 360
    )
    assert (
        next_due(recorded_at=RECORDED, band="high", total=7, intervals=intervals).interval_minutes
        == 30
    )


def test_reason_and_to_dict() -> None:
    result = next_due(recorded_at=RECORDED, band="medium", total=5)
    assert result.to_dict() == {
        "due_at": "2024-06-01T11:00:00+07:00",
        "interval_minutes": 60,
        "source": "band",
        "reason": "NEWS2 medium: every 1 h",
    }
    assert next_due(recorded_at=RECORDED, band="low", total=0).reason == "NEWS2 0: every 12 h"
    assert next_due(recorded_at=RECORDED, band="high", total=7).reason == "NEWS2 high: every 15 min"


def test_due_time_is_real_elapsed_time_when_clocks_go_forward() -> None:
    recorded = datetime(2024, 3, 31, 0, 30, tzinfo=LONDON)  # GMT; BST from 01:00 GMT
    result = next_due(recorded_at=recorded, band="low", total=0)
    assert _elapsed(recorded, result.due_at) == timedelta(hours=12)
    assert result.due_at == datetime(2024, 3, 31, 13, 30, tzinfo=LONDON)


def test_due_time_is_real_elapsed_time_when_clocks_go_back() -> None:
    recorded = datetime(2024, 10, 27, 0, 30, tzinfo=LONDON)  # BST; GMT from 01:00 GMT
    result = next_due(recorded_at=recorded, band="low", total=2)
    assert _elapsed(recorded, result.due_at) == timedelta(hours=4)
    assert result.due_at == datetime(2024, 10, 27, 3, 30, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"recorded_at": datetime(2024, 6, 1, 10, 0)}, ValueError, "aware"),  # noqa: DTZ001
        ({"override_minutes": 0}, ValueError, "override_minutes"),
        ({"override_minutes": -15}, ValueError, "override_minutes"),
        ({"override_minutes": 1.5}, TypeError, "override_minutes"),
        ({"band": "critical"}, ValueError, "band"),
    ],
)
def test_invalid_schedule_input_is_rejected(
    kwargs: dict[str, object], error: type, match: str
) -> None:
    arguments: dict[str, object] = {"recorded_at": RECORDED, "band": "low", "total": 2}
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        next_due(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["score_zero_minutes", "high_minutes", "unscored_minutes"])
def test_intervals_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Intervals(**{field: 0})


# ------------------------------------------------------------------------ overdue_minutes


DUE = datetime(2024, 6, 1, 12, 0, tzinfo=WARD)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (DUE - timedelta(hours=3), 0),
        (DUE - timedelta(seconds=1), 0),
        (DUE, 0),
        (DUE + timedelta(seconds=59), 0),
        (DUE + timedelta(seconds=60), 1),
        (DUE + timedelta(minutes=1, seconds=59), 1),
        (DUE + timedelta(minutes=90, seconds=30), 90),
        (DUE.astimezone(UTC) + timedelta(minutes=5), 5),  # other time zone, same instant
    ],
)
def test_overdue_minutes_counts_whole_minutes_past_due(now: datetime, expected: int) -> None:
    assert overdue_minutes(due_at=DUE, now=now) == expected


def test_overdue_minutes_is_real_elapsed_time_across_clock_change() -> None:
    due = datetime(2024, 3, 31, 0, 30, tzinfo=LONDON)
    now = datetime(2024, 3, 31, 3, 30, tzinfo=LONDON)  # wall clock says 3 h
    assert overdue_minutes(due_at=due, now=now) == 120


def test_overdue_minutes_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        overdue_minutes(due_at=DUE, now=datetime(2024, 6, 1, 13, 0))  # noqa: DTZ001


# ------------------------------------------------------------------------------ shift_for


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        (time(0, 0), Shift.NIGHT),
        (time(6, 59), Shift.NIGHT),
        (time(6, 59, 59, 999999), Shift.NIGHT),
        (time(7, 0), Shift.DAY),
        (time(14, 59, 59), Shift.DAY),
        (time(15, 0), Shift.EVENING),
        (time(22, 59, 59), Shift.EVENING),
        (time(23, 0), Shift.NIGHT),
        (time(23, 59, 59, 999999), Shift.NIGHT),
    ],
)
def test_default_shifts_are_d_7_to_15_e_15_to_23_n_23_to_7(
    local_time: time, expected: Shift
) -> None:
    assert shift_for(local_time) == expected
    assert shift_for(local_time) == str(expected)  # plain 'D' / 'E' / 'N' compares equal


def test_shift_codes_are_d_e_n() -> None:
    assert [str(shift) for shift in Shift] == ["D", "E", "N"]


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        (time(7, 59), Shift.NIGHT),
        (time(8, 0), Shift.DAY),
        (time(15, 59), Shift.DAY),
        (time(16, 0), Shift.EVENING),
        (time(23, 59), Shift.EVENING),
        (time(0, 0), Shift.NIGHT),
    ],
)
def test_custom_shifts_with_night_starting_at_midnight(local_time: time, expected: Shift) -> None:
    shifts = ShiftTimes(day_start=time(8), evening_start=time(16), night_start=time(0))
    assert shift_for(local_time, shifts) == expected


def test_shift_for_ignores_tzinfo_on_the_time() -> None:
    assert shift_for(time(7, 0, tzinfo=UTC)) == Shift.DAY


@pytest.mark.parametrize(
    ("day", "evening", "night"),
    [
        (time(7), time(23), time(15)),  # E and N swapped
        (time(7), time(7), time(23)),  # duplicate start
        (time(7), time(15), time(7)),
    ],
)
def test_shift_times_must_be_distinct_and_in_d_e_n_order(
    day: time, evening: time, night: time
) -> None:
    with pytest.raises(ValueError, match="ordered"):
        ShiftTimes(day_start=day, evening_start=evening, night_start=night)


def test_shift_times_must_be_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        ShiftTimes(day_start=time(7, tzinfo=UTC))


# --------------------------------------------------------------------------- shift_window


def _ward(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WARD)


@pytest.mark.parametrize(
    ("moment", "shift", "start", "end"),
    [
        (_ward(2024, 6, 1, 7, 0), Shift.DAY, _ward(2024, 6, 1, 7, 0), _ward(2024, 6, 1, 15, 0)),
        (_ward(2024, 6, 1, 10, 0), Shift.DAY, _ward(2024, 6, 1, 7, 0), _ward(2024, 6, 1, 15, 0)),
        (_ward(2024, 6, 1, 14, 59), Shift.DAY, _ward(2024, 6, 1, 7, 0), _ward(2024, 6, 1, 15, 0)),
        (
            _ward(2024, 6, 1, 15, 0),
            Shift.EVENING,
            _ward(2024, 6, 1, 15, 0),
            _ward(2024, 6, 1, 23, 0),
        ),
        (
            _ward(2024, 6, 1, 22, 59),
            Shift.EVENING,
            _ward(2024, 6, 1, 15, 0),
            _ward(2024, 6, 1, 23, 0),
        ),
        (_ward(2024, 6, 1, 23, 0), Shift.NIGHT, _ward(2024, 6, 1, 23, 0), _ward(2024, 6, 2, 7, 0)),
        (_ward(2024, 6, 1, 23, 59), Shift.NIGHT, _ward(2024, 6, 1, 23, 0), _ward(2024, 6, 2, 7, 0)),
        (_ward(2024, 6, 2, 0, 0), Shift.NIGHT, _ward(2024, 6, 1, 23, 0), _ward(2024, 6, 2, 7, 0)),
        (_ward(2024, 6, 2, 6, 59), Shift.NIGHT, _ward(2024, 6, 1, 23, 0), _ward(2024, 6, 2, 7, 0)),
        (_ward(2024, 1, 1, 2, 0), Shift.NIGHT, _ward(2023, 12, 31, 23, 0), _ward(2024, 1, 1, 7, 0)),
    ],
)
def test_shift_window_contains_the_moment_and_wraps_midnight(
    moment: datetime, shift: Shift, start: datetime, end: datetime
) -> None:
    window = shift_window(moment)
    assert window.shift == shift
    assert window.start == start
    assert window.end == end
    assert window.contains(moment)
    assert window.contains(window.start)
    assert not window.contains(window.end)
    assert not window.contains(window.start - timedelta(microseconds=1))


def test_consecutive_shift_windows_meet_without_gap() -> None:
    window = shift_window(datetime(2024, 6, 1, 10, 0, tzinfo=WARD))
    following = shift_window(window.end)
    assert following.shift == Shift.EVENING
    assert following.start == window.end


def test_shift_window_uses_the_time_zone_of_the_datetime() -> None:
    # 20:00 UTC is 03:00 the next day in the ward: the night shift that began at 23:00.
    moment = datetime(2024, 6, 1, 20, 0, tzinfo=UTC).astimezone(WARD)
    window = shift_window(moment)
    assert window.shift == Shift.NIGHT
    assert window.start == datetime(2024, 6, 1, 23, 0, tzinfo=WARD)
    assert window.to_dict() == {
        "shift": "N",
        "start": "2024-06-01T23:00:00+07:00",
        "end": "2024-06-02T07:00:00+07:00",
    }


def test_night_shift_is_7_hours_when_clocks_go_forward() -> None:
    window = shift_window(datetime(2024, 3, 31, 3, 0, tzinfo=LONDON))
    assert window.start == datetime(2024, 3, 30, 23, 0, tzinfo=LONDON)
    assert window.end == datetime(2024, 3, 31, 7, 0, tzinfo=LONDON)
    assert window.start.utcoffset() == timedelta(0)
    assert window.end.utcoffset() == timedelta(hours=1)
    assert _elapsed(window.start, window.end) == timedelta(hours=7)


def test_night_shift_is_9_hours_when_clocks_go_back() -> None:
    # 01:30 happens twice; fold=1 is the second time, already on GMT.
    moment = datetime(2024, 10, 27, 1, 30, fold=1, tzinfo=LONDON)
    window = shift_window(moment)
    assert window.shift == Shift.NIGHT
    assert _elapsed(window.start, window.end) == timedelta(hours=9)
    assert window.contains(moment)
    assert window.contains(datetime(2024, 10, 27, 1, 30, fold=0, tzinfo=LONDON))


def test_day_shift_after_clock_change_is_8_hours() -> None:
    window = shift_window(datetime(2024, 3, 31, 12, 0, tzinfo=LONDON))
    assert window.shift == Shift.DAY
    assert _elapsed(window.start, window.end) == timedelta(hours=8)


# Shifts whose night starts at 01:30 meet London's clock changes head-on.
EARLY_NIGHT = ShiftTimes(day_start=time(9, 30), evening_start=time(17, 30), night_start=time(1, 30))


def test_shift_starting_in_a_skipped_hour_starts_when_the_clock_resumes() -> None:
    window = shift_window(datetime(2024, 3, 31, 5, 0, tzinfo=LONDON), EARLY_NIGHT)
    assert window.shift == Shift.NIGHT
    assert (window.start.hour, window.start.minute) == (2, 30)  # 01:30 never happened
    assert window.start.utcoffset() == timedelta(hours=1)
    assert window.start.astimezone(UTC) == datetime(2024, 3, 31, 1, 30, tzinfo=UTC)


def test_shift_starting_at_a_repeated_time_starts_at_its_first_occurrence() -> None:
    window = shift_window(datetime(2024, 10, 27, 5, 0, tzinfo=LONDON), EARLY_NIGHT)
    assert window.shift == Shift.NIGHT
    assert window.start.astimezone(UTC) == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # BST
    assert _elapsed(window.start, window.end) == timedelta(hours=9)


def test_shift_window_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        shift_window(datetime(2024, 6, 1, 10, 0))  # noqa: DTZ001
