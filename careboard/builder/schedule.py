"""What an assignment schedules on a given day, and the dosage for that day's week.

Works on the frozen program snapshot (``careboard.builder.snapshot``) and the assignment's
dates only. Rules:

- A program runs from the start date to the end date when one is set, otherwise for
  ``duration_weeks`` whole weeks. Program weeks count from the start date (week 1 is the
  start date and the six days after it), not calendar weeks.
- A session is scheduled on the weekdays in ``days_of_week`` (Monday = 0); an empty list
  means every day. It is planned ``times_per_day`` times on each of those days.
- Progression adds ``step`` to one dosage field for every week after the first, and never
  goes past ``cap`` (a ceiling for a positive step, a floor for a negative one; a base
  value already past the cap is kept as it is). Whole-number fields (sets, reps, seconds)
  take only the whole part of the accumulated increment, so a half-rep step adds one rep
  every second week. A field without a base value is not progressed. After the planned
  ``duration_weeks`` the dosage stays at the last week's.
- A re-assignment replaces the snapshot from one day on; the days before keep the
  snapshot that was in force then (:class:`Period`).

Pure Python: no Django imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

Snapshot = Mapping[str, Any]

DOSAGE_FIELDS = ("sets", "reps", "hold_seconds", "duration_seconds", "rest_seconds", "load_kg")
WHOLE_NUMBER_FIELDS = frozenset(
    {"sets", "reps", "hold_seconds", "duration_seconds", "rest_seconds"}
)
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Period:
    """A snapshot and the days it is in force (``until`` None: from ``start`` on)."""

    snapshot: Snapshot
    start: date
    until: date | None = None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.until is None or day <= self.until)


@dataclass(frozen=True)
class ScheduledItem:
    id: str
    position: int
    exercise: Mapping[str, Any]
    dosage: dict[str, Any]
    progression: Mapping[str, Any] | None


@dataclass(frozen=True)
class ScheduledSession:
    id: str
    name: str
    position: int
    times_per_day: int
    items: tuple[ScheduledItem, ...]


@dataclass(frozen=True)
class DayPlan:
    day: date
    week: int | None  # 1-based program week; None outside the program's days
    sessions: tuple[ScheduledSession, ...]

    @property
    def planned_sessions(self) -> int:
        return sum(session.times_per_day for session in self.sessions)


# --------------------------------------------------------------------------- dates


def last_day(snapshot: Snapshot, *, start: date, end_date: date | None) -> date:
    """The last scheduled day: the end date if set, else ``duration_weeks`` after start."""
    if end_date is not None:
        return end_date
    return start + timedelta(days=7 * int(snapshot["duration_weeks"]) - 1)


def week_of(start: date, day: date) -> int:
    """The 1-based program week ``day`` falls in (week 1 begins on the start date)."""
    return (day - start).days // 7 + 1


def weeks_of_progression(snapshot: Snapshot, *, start: date, day: date) -> int:
    """How many weekly steps of progression apply on ``day`` (0 in week 1)."""
    return max(0, min(week_of(start, day), int(snapshot["duration_weeks"])) - 1)


# --------------------------------------------------------------------------- dosage


def _as_decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _as_number(value: Decimal, *, whole: bool) -> int | float:
    if whole:
        return int(value.to_integral_value(rounding=ROUND_DOWN))
    return float(value.quantize(_TENTH))


def dosage_for_week(
    dosage: Mapping[str, Any], progression: Mapping[str, Any] | None, *, steps: int
) -> dict[str, Any]:
    """``dosage`` with ``steps`` weekly progression steps applied (see the module rules)."""
    result = dict(dosage)
    if not progression or steps <= 0:
        return result
    field = progression.get("field") or ""
    base = dosage.get(field)
    step_value = progression.get("step")
    if field not in DOSAGE_FIELDS or base is None or not step_value:
        return result
    whole = field in WHOLE_NUMBER_FIELDS
    step = _as_decimal(step_value)
    increment = step * steps
    if whole:
        increment = increment.to_integral_value(rounding=ROUND_DOWN)
    start_value = _as_decimal(base)
    value = start_value + increment
    cap_value = progression.get("cap")
    if cap_value is not None:
        cap = _as_decimal(cap_value)
        if step > 0 and value > cap:
            value = max(cap, start_value)
        elif step < 0 and value < cap:
            value = min(cap, start_value)
    value = max(value, Decimal(0))
    result[field] = _as_number(value, whole=whole)
    return result


# --------------------------------------------------------------------------- sessions


def is_scheduled_on(session: Mapping[str, Any], day: date) -> bool:
    days = session.get("days_of_week") or []
    return not days or day.weekday() in days


def find_session(snapshot: Snapshot, session_id: str) -> Mapping[str, Any] | None:
    return next((s for s in snapshot.get("sessions", []) if s["id"] == session_id), None)


def find_item(session: Mapping[str, Any], item_id: str) -> Mapping[str, Any] | None:
    return next((i for i in session.get("items", []) if i["id"] == item_id), None)


def plan_for_day(snapshot: Snapshot, *, start: date, end_date: date | None, day: date) -> DayPlan:
    """What ``snapshot`` schedules on ``day`` for an assignment from ``start``."""
    if day < start or day > last_day(snapshot, start=start, end_date=end_date):
        return DayPlan(day=day, week=None, sessions=())
    steps = weeks_of_progression(snapshot, start=start, day=day)
    sessions = []
    for session in snapshot.get("sessions", []):
        if not is_scheduled_on(session, day):
            continue
        items = tuple(
            ScheduledItem(
                id=item["id"],
                position=item["position"],
                exercise=item["exercise"],
                dosage=dosage_for_week(item["dosage"], item.get("progression"), steps=steps),
                progression=item.get("progression"),
            )
            for item in session.get("items", [])
        )
        sessions.append(
            ScheduledSession(
                id=session["id"],
                name=session["name"],
                position=session["position"],
                times_per_day=int(session["times_per_day"]),
                items=items,
            )
        )
    return DayPlan(day=day, week=week_of(start, day), sessions=tuple(sessions))


# --------------------------------------------------------------------------- periods


def periods(
    *,
    snapshot: Snapshot,
    start: date,
    snapshot_from: date | None,
    past_snapshots: Sequence[Mapping[str, Any]] = (),
) -> list[Period]:
    """The snapshots of an assignment with the days each is in force, oldest first.

    ``past_snapshots`` entries hold ISO dates: ``{"from", "until", "snapshot", ...}``.
    """
    result = [
        Period(
            snapshot=entry["snapshot"],
            start=date.fromisoformat(entry["from"]),
            until=date.fromisoformat(entry["until"]),
        )
        for entry in past_snapshots
    ]
    result.append(Period(snapshot=snapshot, start=snapshot_from or start))
    return result


def snapshot_on(periods_: Sequence[Period], day: date) -> Snapshot:
    """The snapshot in force on ``day`` (the first one before any period, the last after)."""
    for period in periods_:
        if period.covers(day):
            return period.snapshot
    return periods_[0].snapshot if day < periods_[0].start else periods_[-1].snapshot


def planned_on(
    periods_: Sequence[Period], *, start: date, end_date: date | None, day: date
) -> DayPlan:
    """The plan of ``day`` with the snapshot in force that day; the program's last day is
    the current (last) snapshot's."""
    last = last_day(periods_[-1].snapshot, start=start, end_date=end_date)
    return plan_for_day(snapshot_on(periods_, day), start=start, end_date=last, day=day)
