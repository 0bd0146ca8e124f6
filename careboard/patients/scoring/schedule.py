"""When the next set of observations is due, and which nursing shift a moment belongs to.

Default observation frequencies follow the RCP 2017 NEWS2 clinical-response chart
(minimum frequency of monitoring): score 0 at least 12-hourly, 1-4 at least 4-6-hourly
(Careboard uses 4 h), a single red score (3) or 5-6 at least hourly, 7 or more
continuous monitoring (Careboard schedules a check every 15 minutes). Organisations can
change every interval through :class:`Intervals`.

All arithmetic on instants is done in UTC, so intervals are real elapsed time across
daylight-saving changes. Shift boundaries are wall-clock times in the ward's time zone.

Pure Python: no Django imports.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Final

from careboard.patients.scoring.news2 import Band


class DueSource(StrEnum):
    """What decided the interval to the next observation."""

    OVERRIDE = "override"  # a physician's order on the admission
    DENGUE_CRITICAL = "dengue_critical"  # dengue critical phase capped the interval
    BAND = "band"  # the NEWS2 band (and score 0)
    DEFAULT = "default"  # NEWS2 not applicable or not computed


def _require_positive_minutes(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of minutes")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")


@dataclass(frozen=True)
class Intervals:
    """Observation intervals in minutes; the defaults are Careboard's reading of RCP 2017.

    ``unscored_minutes`` applies when NEWS2 is not applicable (under 16, pregnancy) or
    could not be computed: the same 4 h as a low score, the routine ward round.
    ``score_zero_minutes`` only applies to a *complete* NEWS2 of 0: a total of 0 from a
    partial set is treated as 'low'. ``dengue_critical_max_minutes`` caps the interval of
    a dengue admission in the critical phase (Careboard default, every 2 h).
    """

    score_zero_minutes: int = 12 * 60
    low_minutes: int = 4 * 60
    low_medium_minutes: int = 60
    medium_minutes: int = 60
    high_minutes: int = 15
    unscored_minutes: int = 4 * 60
    dengue_critical_max_minutes: int = 2 * 60

    def __post_init__(self) -> None:
        for name in (
            "score_zero_minutes",
            "low_minutes",
            "low_medium_minutes",
            "medium_minutes",
            "high_minutes",
            "unscored_minutes",
            "dengue_critical_max_minutes",
        ):
            _require_positive_minutes(getattr(self, name), name)

    def for_band(self, band: str, *, total: int | None = None, complete: bool = True) -> int:
        """Return the interval in minutes for a NEWS2 band (and total, for score 0)."""
        if band == Band.LOW:
            if total == 0 and complete:
                return self.score_zero_minutes
            return self.low_minutes
        if band == Band.LOW_MEDIUM:
            return self.low_medium_minutes
        if band == Band.MEDIUM:
            return self.medium_minutes
        if band == Band.HIGH:
            return self.high_minutes
        raise ValueError(f"unknown NEWS2 band {band!r}")


DEFAULT_INTERVALS: Final = Intervals()


@dataclass(frozen=True)
class DueResult:
    """When the next observation is due, the interval used and why."""

    due_at: datetime
    interval_minutes: int
    source: DueSource
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``due_at`` as ISO 8601 with offset)."""
        return {
            "due_at": self.due_at.isoformat(),
            "interval_minutes": self.interval_minutes,
            "source": str(self.source),
            "reason": self.reason,
        }


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def add_elapsed(moment: datetime, minutes: int) -> datetime:
    """Add real elapsed minutes to an aware datetime, keeping its time zone.

    Python adds timedeltas to aware datetimes on the wall clock; going through UTC
    makes 12 h mean 12 h even on a night when the clocks change.
    """
    _require_aware(moment, "moment")
    tz = moment.tzinfo
    return (moment.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(tz)


def _describe(minutes: int) -> str:
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def next_due(
    *,
    recorded_at: datetime,
    band: str | None,
    total: int | None,
    intervals: Intervals = DEFAULT_INTERVALS,
    override_minutes: int | None = None,
    dengue_critical: bool = False,
    complete: bool = True,
) -> DueResult:
    """Return when the next observation is due after one recorded at ``recorded_at``.

    Precedence: a physician's ``override_minutes`` wins outright; otherwise the NEWS2
    band sets the interval (``band`` ``None`` = not applicable / not computed: the
    ``unscored`` default), and a dengue admission in the critical phase is then capped
    at ``dengue_critical_max_minutes``. ``complete`` says whether the NEWS2 had all
    seven parameters: only a complete score of 0 earns the 12-hour interval.
    ``recorded_at`` must be timezone-aware; ``due_at`` is in the same time zone.
    """
    _require_aware(recorded_at, "recorded_at")
    if override_minutes is not None:
        _require_positive_minutes(override_minutes, "override_minutes")
        return DueResult(
            due_at=add_elapsed(recorded_at, override_minutes),
            interval_minutes=override_minutes,
            source=DueSource.OVERRIDE,
            reason=f"Physician order: every {_describe(override_minutes)}",
        )

    if band is None:
        minutes = intervals.unscored_minutes
        source = DueSource.DEFAULT
        reason = f"NEWS2 not scored: every {_describe(minutes)}"
    else:
        minutes = intervals.for_band(band, total=total, complete=complete)
        source = DueSource.BAND
        label = "0" if band == Band.LOW and total == 0 and complete else str(band)
        reason = f"NEWS2 {label}: every {_describe(minutes)}"

    if dengue_critical and minutes > intervals.dengue_critical_max_minutes:
        minutes = intervals.dengue_critical_max_minutes
        source = DueSource.DENGUE_CRITICAL
        reason = f"Dengue critical phase: at least every {_describe(minutes)}"

    return DueResult(
        due_at=add_elapsed(recorded_at, minutes),
        interval_minutes=minutes,
        source=source,
        reason=reason,
    )


def overdue_minutes(*, due_at: datetime, now: datetime) -> int:
    """Return how many whole minutes ``now`` is past ``due_at`` (0 when not overdue).

    Partial minutes are dropped (59 s late is 0). Both datetimes must be aware; they
    are compared as instants, so the result is right across clock changes.
    """
    _require_aware(due_at, "due_at")
    _require_aware(now, "now")
    late = now.astimezone(UTC) - due_at.astimezone(UTC)
    if late <= timedelta(0):
        return 0
    return late // timedelta(minutes=1)


# -------------------------------------------------------------------------------- shifts


class Shift(StrEnum):
    """Nursing shifts: Day, Evening, Night."""

    DAY = "D"
    EVENING = "E"
    NIGHT = "N"


_DAY: Final = timedelta(days=1)


def _since_midnight(value: time) -> timedelta:
    return timedelta(
        hours=value.hour,
        minutes=value.minute,
        seconds=value.second,
        microseconds=value.microsecond,
    )


@dataclass(frozen=True)
class ShiftTimes:
    """Wall-clock start of each shift; each shift ends when the next one starts.

    Defaults: D 07:00-15:00, E 15:00-23:00, N 23:00-07:00 (wraps midnight). Starts must
    be naive times, distinct, and in the cyclic order D -> E -> N.
    """

    day_start: time = time(7, 0)
    evening_start: time = time(15, 0)
    night_start: time = time(23, 0)

    def __post_init__(self) -> None:
        for name in ("day_start", "evening_start", "night_start"):
            value = getattr(self, name)
            if not isinstance(value, time):
                raise TypeError(f"{name} must be a datetime.time")
            if value.tzinfo is not None:
                raise ValueError(f"{name} must be a naive wall-clock time")
        evening = self._offset(self.evening_start)
        night = self._offset(self.night_start)
        if not timedelta(0) < evening < night:
            raise ValueError("shift starts must be distinct and ordered D -> E -> N")

    def _offset(self, value: time) -> timedelta:
        # Position within the cycle, measured from the start of the day shift.
        return (_since_midnight(value) - _since_midnight(self.day_start)) % _DAY

    @functools.cached_property
    def _starts_us(self) -> tuple[int, int, int]:
        """Day start since midnight, evening and night starts since the day start (µs)."""
        day = _micros(self.day_start)
        return (
            day,
            (_micros(self.evening_start) - day) % _DAY_US,
            (_micros(self.night_start) - day) % _DAY_US,
        )

    def start_of(self, shift: Shift) -> time:
        """Return the wall-clock start of ``shift``."""
        return {
            Shift.DAY: self.day_start,
            Shift.EVENING: self.evening_start,
            Shift.NIGHT: self.night_start,
        }[shift]


DEFAULT_SHIFTS: Final = ShiftTimes()

_NEXT_SHIFT: Final = {Shift.DAY: Shift.EVENING, Shift.EVENING: Shift.NIGHT, Shift.NIGHT: Shift.DAY}


def shift_for(local_time: time, shifts: ShiftTimes = DEFAULT_SHIFTS) -> Shift:
    """Return the shift ('D', 'E' or 'N') containing a local wall-clock time.

    A shift includes its start and excludes its end: with the defaults 07:00 is D and
    06:59:59 is N. Any tzinfo on ``local_time`` is ignored: pass the ward's local time.
    """
    if not isinstance(local_time, time):
        raise TypeError("local_time must be a datetime.time")
    # The same comparison as ``ShiftTimes._offset`` in whole microseconds: no timedelta
    # per call (every observation is filed under a shift).
    day, evening, night = shifts._starts_us
    offset = (_micros(local_time) - day) % _DAY_US
    if offset < evening:
        return Shift.DAY
    if offset < night:
        return Shift.EVENING
    return Shift.NIGHT


_DAY_US: Final = 24 * 3600 * 1_000_000


def _micros(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


@dataclass(frozen=True)
class ShiftWindow:
    """One concrete shift: its code and aware start (inclusive) and end (exclusive)."""

    shift: Shift
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        """Return True when the aware ``moment`` falls in ``[start, end)``."""
        _require_aware(moment, "moment")
        instant = moment.astimezone(UTC)
        return self.start.astimezone(UTC) <= instant < self.end.astimezone(UTC)

    def to_dict(self) -> dict[str, str]:
        """Return ``{"shift", "start", "end"}`` with ISO 8601 datetimes."""
        return {
            "shift": str(self.shift),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def _local(day: date, wall: time, tz: tzinfo) -> datetime:
    # Build the wall-clock time, then normalise through UTC: an ambiguous time (clocks
    # back) resolves to its first occurrence, a non-existent one (clocks forward) to the
    # equivalent instant after the gap.
    naive = datetime.combine(day, wall)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def shift_window(local_dt: datetime, shifts: ShiftTimes = DEFAULT_SHIFTS) -> ShiftWindow:
    """Return the shift containing the aware ``local_dt``, with its start and end.

    Boundaries are wall-clock times in ``local_dt``'s own time zone, so convert to the
    ward's zone first (``dt.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))``). On a night the
    clocks change the window is an hour shorter or longer in elapsed time, as worked.
    """
    _require_aware(local_dt, "local_dt")
    tz = local_dt.tzinfo
    if tz is None:  # pragma: no cover - guarded by _require_aware, narrows the type
        raise ValueError("local_dt must be timezone-aware")
    wall = local_dt.time()
    shift = shift_for(wall, shifts)
    start_time = shifts.start_of(shift)
    end_time = shifts.start_of(_NEXT_SHIFT[shift])

    start_day = local_dt.date()
    if _since_midnight(start_time) > _since_midnight(wall):
        start_day -= _DAY  # e.g. 02:00 belongs to the night shift that began yesterday
    end_day = start_day
    if _since_midnight(end_time) <= _since_midnight(start_time):
        end_day += _DAY  # the shift wraps midnight
    return ShiftWindow(
        shift=shift,
        start=_local(start_day, start_time, tz),
        end=_local(end_day, end_time, tz),
    )
