"""Adherence: planned against done, pain and difficulty trends, and flags for the therapist.

The computation (``compute_adherence``, ``flags_for``) is pure: it takes the snapshot
periods, the dates and the logs as plain values. The two selectors at the end read what
it needs in a fixed number of queries, whatever the number of logs or assignments.

Counting rules:

- A session occurrence is done when a completed session-level log (no item) says so, or
  when every item of the session has a completed item log that day: each full round of
  the items counts once. A session counts at most ``times_per_day`` times a day; logs of
  sessions not scheduled that day are activity but do not raise adherence.
- Days run from the start date to today or the program's last day, whichever is first.
  Today is not over: in weekly and overall totals its sessions count as planned only
  once they are done, so the morning does not lower the percentage.
- Percentages are rounded half up to one decimal; ``None`` when nothing was planned.

Flags (most severe first; active assignments only):

- ``pain_high`` (high): the latest pain reported is ``PAIN_HIGH`` (7) or more.
- ``pain_rising`` (medium): the last three pain reports rose strictly (e.g. 3 → 4 → 6).
- ``inactive`` (low): an active assignment whose program is running has no log for
  ``ADHERENCE_INACTIVE_DAYS`` (3) days: today minus the last day with a log (or the day
  before the start when there is none) is at least that many days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum
from typing import Any

from django.conf import settings
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, RowNumber

from careboard.builder import schedule
from careboard.builder.models import ActivityLog, Assignment, AssignmentStatus

PAIN_HIGH = 7
RISING_RUN = 3


def inactive_days_setting() -> int:
    return int(settings.ADHERENCE_INACTIVE_DAYS)


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class LogEntry:
    session_id: str
    item_id: str | None
    performed_on: date
    completed: bool = True
    pain: int | None = None
    difficulty: int | None = None
    # Orders logs of the same day (the time it was performed); only the order matters.
    performed_at: datetime | None = None


class Severity(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3


@dataclass(frozen=True)
class Flag:
    code: str
    severity: Severity
    detail: str

    @property
    def level(self) -> str:
        """``low``, ``medium`` or ``high``."""
        return self.severity.name.lower()


@dataclass(frozen=True)
class DayCount:
    day: date
    planned: int
    done: int


@dataclass(frozen=True)
class WeekCount:
    week: int
    start: date
    end: date
    planned: int
    done: int
    percent: float | None


@dataclass(frozen=True)
class SeriesPoint:
    day: date
    mean: float
    max: int
    count: int


@dataclass(frozen=True)
class Adherence:
    today: date
    first_day: date
    last_day: date
    days: list[DayCount]
    weeks: list[WeekCount]
    planned: int
    done: int
    percent: float | None
    pain: list[SeriesPoint]
    difficulty: list[SeriesPoint]
    flags: list[Flag]
    last_activity_on: date | None


# --------------------------------------------------------------------------- pure


def percent(done: int, planned: int) -> float | None:
    if planned <= 0:
        return None
    value = Decimal(done * 100) / Decimal(planned)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _mean(values: Sequence[int]) -> float:
    value = Decimal(sum(values)) / Decimal(len(values))
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _chronological(logs: Iterable[LogEntry]) -> list[LogEntry]:
    def key(log: LogEntry) -> tuple[date, float]:
        moment = log.performed_at.timestamp() if log.performed_at else float("-inf")
        return (log.performed_on, moment)

    return sorted(logs, key=key)


def sessions_done(plan: schedule.DayPlan, logs: Sequence[LogEntry]) -> dict[str, int]:
    """Occurrences done per scheduled session of one day (see the counting rules)."""
    session_logs: dict[str, int] = defaultdict(int)
    item_logs: dict[tuple[str, str], int] = defaultdict(int)
    for log in logs:
        if not log.completed:
            continue
        if log.item_id is None:
            session_logs[log.session_id] += 1
        else:
            item_logs[(log.session_id, log.item_id)] += 1
    done = {}
    for session in plan.sessions:
        rounds = (
            min(item_logs[(session.id, item.id)] for item in session.items) if session.items else 0
        )
        done[session.id] = min(session.times_per_day, max(session_logs[session.id], rounds))
    return done


def series(logs: Sequence[LogEntry], attribute: str) -> list[SeriesPoint]:
    """Daily mean and maximum of ``pain`` or ``difficulty``, days without a report left out."""
    by_day: dict[date, list[int]] = defaultdict(list)
    for log in logs:
        value = getattr(log, attribute)
        if value is not None:
            by_day[log.performed_on].append(value)
    return [
        SeriesPoint(day=day, mean=_mean(values), max=max(values), count=len(values))
        for day, values in sorted(by_day.items())
    ]


def flags_for(
    *,
    recent_pains: Sequence[tuple[date, int]],
    last_activity_on: date | None,
    start: date,
    last_day: date,
    today: date,
    active: bool,
    inactive_days: int,
) -> list[Flag]:
    """The flags of one assignment. ``recent_pains``: the last pain reports, oldest first
    (three are enough)."""
    flags: list[Flag] = []
    if not active:
        return flags  # an ended program asks nothing more of the therapist
    if recent_pains:
        day, latest = recent_pains[-1]
        if latest >= PAIN_HIGH:
            flags.append(Flag("pain_high", Severity.HIGH, f"Pain {latest}/10 reported on {day}."))
    run = [pain for _day, pain in recent_pains[-RISING_RUN:]]
    if len(run) == RISING_RUN and all(a < b for a, b in zip(run, run[1:], strict=False)):
        steps = " → ".join(str(pain) for pain in run)
        flags.append(
            Flag("pain_rising", Severity.MEDIUM, f"Pain rose over the last three reports: {steps}.")
        )
    if start <= today <= last_day:
        reference = last_activity_on or start - timedelta(days=1)
        idle = (today - reference).days
        if idle >= inactive_days:
            flags.append(Flag("inactive", Severity.LOW, f"No activity for {idle} days."))
    return flags


def urgency_key(flags: Sequence[Flag], last_activity_on: date | None) -> tuple[int, int, date]:
    """Sort key, most urgent first: the most severe flag, then the number of flags, then
    the longest without activity (never active first)."""
    worst = max((flag.severity for flag in flags), default=0)
    return (-worst, -len(flags), last_activity_on or date.min)


def compute_adherence(
    *,
    periods: Sequence[schedule.Period],
    start: date,
    end_date: date | None,
    today: date,
    logs: Sequence[LogEntry],
    active: bool,
    inactive_days: int,
) -> Adherence:
    """Planned against done per day and per program week, trends and flags."""
    last = schedule.last_day(periods[-1].snapshot, start=start, end_date=end_date)
    logs = _chronological(log for log in logs if log.performed_on <= today)
    logs_by_day: dict[date, list[LogEntry]] = defaultdict(list)
    for log in logs:
        logs_by_day[log.performed_on].append(log)

    days: list[DayCount] = []
    weeks: dict[int, list[int]] = {}  # week -> [planned, done]
    day = start
    while day <= min(today, last):
        plan = schedule.planned_on(periods, start=start, end_date=end_date, day=day)
        done = sum(sessions_done(plan, logs_by_day.get(day, [])).values())
        days.append(DayCount(day=day, planned=plan.planned_sessions, done=done))
        counted = done if day == today else plan.planned_sessions
        totals = weeks.setdefault(schedule.week_of(start, day), [0, 0])
        totals[0] += counted
        totals[1] += done
        day += timedelta(days=1)

    week_counts = [
        WeekCount(
            week=week,
            start=start + timedelta(days=7 * (week - 1)),
            end=min(start + timedelta(days=7 * week - 1), last),
            planned=planned,
            done=done,
            percent=percent(done, planned),
        )
        for week, (planned, done) in sorted(weeks.items())
    ]
    planned_total = sum(week.planned for week in week_counts)
    done_total = sum(week.done for week in week_counts)
    pains = [(log.performed_on, log.pain) for log in logs if log.pain is not None]
    last_activity_on = logs[-1].performed_on if logs else None
    return Adherence(
        today=today,
        first_day=start,
        last_day=last,
        days=days,
        weeks=week_counts,
        planned=planned_total,
        done=done_total,
        percent=percent(done_total, planned_total),
        pain=series(logs, "pain"),
        difficulty=series(logs, "difficulty"),
        flags=flags_for(
            recent_pains=pains[-RISING_RUN:],
            last_activity_on=last_activity_on,
            start=start,
            last_day=last,
            today=today,
            active=active,
            inactive_days=inactive_days,
        ),
        last_activity_on=last_activity_on,
    )


# --------------------------------------------------------------------------- selectors


def assignment_periods(assignment: Assignment) -> list[schedule.Period]:
    return schedule.periods(
        snapshot=assignment.snapshot,
        start=assignment.start_date,
        snapshot_from=assignment.snapshot_from,
        past_snapshots=assignment.past_snapshots,
    )


def _entries(rows: Iterable[tuple[Any, ...]]) -> list[LogEntry]:
    return [
        LogEntry(
            session_id=str(session_id),
            item_id=str(item_id) if item_id else None,
            performed_on=performed_on,
            completed=completed,
            pain=pain,
            difficulty=difficulty,
            performed_at=performed_at,
        )
        for session_id, item_id, performed_on, completed, pain, difficulty, performed_at in rows
    ]


def assignment_adherence(*, assignment: Assignment, today: date) -> Adherence:
    """Adherence of one assignment up to ``today`` (the organisation's date): one query."""
    rows = assignment.logs.order_by().values_list(
        "session_id", "item_id", "performed_on", "completed", "pain", "difficulty", "performed_at"
    )
    return compute_adherence(
        periods=assignment_periods(assignment),
        start=assignment.start_date,
        end_date=assignment.end_date,
        today=today,
        logs=_entries(rows),
        active=assignment.status == AssignmentStatus.ACTIVE,
        inactive_days=inactive_days_setting(),
    )


def with_list_fields(queryset: QuerySet[Assignment]) -> QuerySet[Assignment]:
    """Without the snapshots (the bulk of a row): their name and duration, and the day of
    the latest log, as annotations."""
    latest = ActivityLog.objects.filter(assignment=OuterRef("pk")).order_by("-performed_on")
    return queryset.defer("snapshot", "past_snapshots").annotate(
        program_name=KT("snapshot__name"),
        duration_weeks=Cast(KT("snapshot__duration_weeks"), IntegerField()),
        last_activity_on=Subquery(latest.values("performed_on")[:1]),
    )


def recent_pains(queryset: QuerySet[Assignment]) -> dict[Any, list[tuple[date, int]]]:
    """The last three pain reports of every assignment in ``queryset``, oldest first, in
    one query (a window over the logs, so it stays one query for any number)."""
    ranked = (
        ActivityLog.objects.filter(
            assignment__in=queryset.order_by().values("pk"), pain__isnull=False
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("assignment_id")],
                order_by=[F("performed_on").desc(), F("performed_at").desc()],
            )
        )
        .filter(rank__lte=RISING_RUN)
        .values_list("assignment_id", "performed_on", "pain", "rank")
    )
    result: dict[Any, list[tuple[int, date, int]]] = defaultdict(list)
    for assignment_id, performed_on, pain, rank in ranked:
        # Never None (filtered in the query); the check tells the type checker so.
        if pain is not None:
            result[assignment_id].append((rank, performed_on, pain))
    return {
        key: [(day, pain) for _rank, day, pain in sorted(values, reverse=True)]
        for key, values in result.items()
    }


def assignments_by_urgency(
    queryset: QuerySet[Assignment], *, today_of: Any, inactive_days: int | None = None
) -> list[Assignment]:
    """The assignments of ``queryset``, each with ``flags`` and ``last_activity_on``, most
    urgent first (``urgency_key``). ``today_of(assignment)`` gives the organisation's date.

    Sorting by flags needs every row's flags, so the whole filtered set is read (two
    queries, without the snapshots) and sorted here; a caseload is hundreds of rows, not
    millions.
    """
    inactive_days = inactive_days_setting() if inactive_days is None else inactive_days
    rows = list(with_list_fields(queryset))
    pains = recent_pains(queryset)
    for row in rows:
        last = schedule.last_day(
            {"duration_weeks": row.duration_weeks},  # type: ignore[attr-defined]
            start=row.start_date,
            end_date=row.end_date,
        )
        row.flags = flags_for(  # type: ignore[attr-defined]
            recent_pains=pains.get(row.pk, []),
            last_activity_on=row.last_activity_on,  # type: ignore[attr-defined]
            start=row.start_date,
            last_day=last,
            today=today_of(row),
            active=row.status == AssignmentStatus.ACTIVE,
            inactive_days=inactive_days,
        )
    rows.sort(key=lambda row: row.created_at, reverse=True)
    rows.sort(key=lambda row: urgency_key(row.flags, row.last_activity_on))  # type: ignore[attr-defined]
    return rows
