"""Non-trivial reads: the ward board, the critical list and the fluid balance.

Board and critical list are one query over admissions each (the admission carries a pointer
to its latest observation and its next due time), whatever the number of beds.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from careboard.core.prepared import PreparedQuery
from careboard.organizations.models import Ward
from careboard.patients import scoring
from careboard.patients.models import Admission, DenguePhase

BOARD_VALUE_FIELDS = (
    "temperature",
    "heart_rate",
    "respiratory_rate",
    "systolic_bp",
    "diastolic_bp",
    "spo2",
    "on_oxygen",
    "oxygen_flow",
    "consciousness",
    "pain_score",
)
BANDS = ("high", "medium", "low-medium", "low")


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


# What a board row reads, as ``values()`` lookups: a handful of columns of four tables in
# one query, instead of every column of each (the observation alone has about 45) and four
# model instances per bed. ``board_values`` reads the same names from model instances.
BOARD_COLUMNS = (
    "id",
    "ward_id",
    "ward__name",
    "ward__organization__time_zone",
    "bed",
    "admitted_at",
    "protocol",
    "phase",
    "spo2_scale",
    "interval_override_minutes",
    "previous_news2_total",
    "next_due_at",
    "patient_id",
    "patient__given_name",
    "patient__family_name",
    "patient__mrn",
    "patient__birth_date",
    "patient__sex",
    "latest_observation_id",
    "latest_observation__recorded_at",
    *(f"latest_observation__{name}" for name in BOARD_VALUE_FIELDS),
    "latest_observation__news2_total",
    "latest_observation__news2_band",
    "latest_observation__news2_single_3",
    "latest_observation__news2_complete",
    "latest_observation__news2",
    "latest_observation__dengue_class",
    "latest_observation__dengue",
    "latest_observation__suggests_critical_phase",
)
_OBSERVATION = "latest_observation__"


def board_query(admissions: QuerySet[Admission], *extra: str) -> QuerySet[Admission, Any]:
    """The ``values()`` query of ``BOARD_COLUMNS`` (and ``extra`` columns) of ``admissions``."""
    # No ORDER BY: the rows are sorted by risk in Python (sort_rows).
    query: QuerySet[Admission, Any] = admissions.order_by().values(*BOARD_COLUMNS, *extra)
    return query


def board_values(admissions: QuerySet[Admission]) -> list[dict[str, Any]]:
    """``BOARD_COLUMNS`` of ``admissions``: one query, plain dicts."""
    return list(board_query(admissions))


def trend(current: int | None, previous: int | None) -> str | None:
    """Direction of the NEWS2 total against the previous observation's."""
    if current is None or previous is None:
        return None
    if current > previous:
        return "up"
    if current < previous:
        return "down"
    return "same"


def _age_on(birth_date: date, day: date) -> int:
    # As Patient.age_on, for a row read without a model instance.
    return (
        day.year - birth_date.year - int((day.month, day.day) < (birth_date.month, birth_date.day))
    )


def _today_in(time_zone: str, now: datetime, cache: dict[str, date]) -> date:
    if time_zone not in cache:
        cache[time_zone] = now.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
    return cache[time_zone]


def board_row_from_values(
    v: dict[str, Any], *, now: datetime, today_cache: dict[str, date] | None = None
) -> dict[str, Any]:
    """One board row (who, where, the latest scores, when the next check is due) from
    ``BOARD_COLUMNS`` values."""
    latest_data = None
    latest_total = v[_OBSERVATION + "news2_total"]
    if v["latest_observation_id"] is not None:
        news2 = v[_OBSERVATION + "news2"] or {}
        latest_data = {
            "id": str(v["latest_observation_id"]),
            "recorded_at": v[_OBSERVATION + "recorded_at"].isoformat(),
            "values": {name: _number(v[_OBSERVATION + name]) for name in BOARD_VALUE_FIELDS},
            "news2_total": latest_total,
            "news2_band": v[_OBSERVATION + "news2_band"] or None,
            "news2_single_3": v[_OBSERVATION + "news2_single_3"],
            "news2_complete": v[_OBSERVATION + "news2_complete"],
            "news2_applicable": news2.get("applicable", True),
            "news2_reason": news2.get("reason"),
            "dengue_class": v[_OBSERVATION + "dengue_class"] or None,
            "dengue_reasons": (v[_OBSERVATION + "dengue"] or {}).get("reasons", []),
            "suggests_critical_phase": v[_OBSERVATION + "suggests_critical_phase"],
        }
    due = v["next_due_at"]
    today = _today_in(
        v["ward__organization__time_zone"], now, {} if today_cache is None else today_cache
    )
    return {
        "admission_id": str(v["id"]),
        "ward_id": str(v["ward_id"]),
        "ward_name": v["ward__name"],
        "bed": v["bed"],
        "patient": {
            "id": str(v["patient_id"]),
            "given_name": v["patient__given_name"],
            "family_name": v["patient__family_name"],
            "mrn": v["patient__mrn"],
            "age": _age_on(v["patient__birth_date"], today),
            "sex": v["patient__sex"],
        },
        "admitted_at": v["admitted_at"].isoformat(),
        "protocol": v["protocol"],
        "phase": v["phase"] or None,
        "spo2_scale": v["spo2_scale"],
        "interval_override_minutes": v["interval_override_minutes"],
        "latest": latest_data,
        "trend": trend(latest_total if latest_data else None, v["previous_news2_total"]),
        "previous_news2_total": v["previous_news2_total"],
        "next_due_at": due.isoformat() if due else None,
        "overdue_minutes": scoring.overdue_minutes(due_at=due, now=now) if due else 0,
        # No observation yet: the first is due on admission.
        "never_observed": latest_data is None,
    }


def board_rows(admissions: QuerySet[Admission], *, now: datetime) -> list[dict[str, Any]]:
    """Sorted board rows of ``admissions``: one query whatever their number."""
    return rows_from_values(board_values(admissions), now=now)


def rows_from_values(values: Iterable[dict[str, Any]], *, now: datetime) -> list[dict[str, Any]]:
    """Sorted board rows from ``BOARD_COLUMNS`` values."""
    today_cache: dict[str, date] = {}
    return sort_rows([board_row_from_values(v, now=now, today_cache=today_cache) for v in values])


def _sort_key(row: dict[str, Any]) -> tuple[int, int, int, str, str]:
    latest = row["latest"] or {}
    return (
        -scoring.band_rank(latest.get("news2_band")),
        -(latest.get("news2_total") or 0),
        -row["overdue_minutes"],
        # Ties: a stable order a nurse can follow, by bed then name.
        row["bed"],
        row["patient"]["family_name"],
    )


def sort_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By band (high first), then total, then how overdue."""
    return sorted(rows, key=_sort_key)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    bands = Counter((row["latest"] or {}).get("news2_band") or "none" for row in rows)
    phases = Counter(row["phase"] for row in rows if row["phase"])
    return {
        "patients": len(rows),
        "by_band": {band: bands.get(band, 0) for band in (*BANDS, "none")},
        "by_phase": {phase: phases.get(phase, 0) for phase in DenguePhase.values},
        "overdue": sum(1 for row in rows if row["overdue_minutes"] > 0),
    }


# The board of one ward is the most read query of all (every open board, every refresh):
# compiled once, not per request (see careboard.core.prepared).
_WARD_BOARD_VALUES = PreparedQuery(
    lambda ward_id: board_query(Admission.objects.current().filter(ward_id=ward_id)),
    ward_id=uuid.UUID,
)


_WARD_HEADER = PreparedQuery(
    lambda pk: Ward.objects.filter(pk=pk).order_by().values("id", "name", "organization_id"),
    pk=uuid.UUID,
)


def ward_header(ward_id: uuid.UUID) -> dict[str, Any] | None:
    """The ward's id, name and organisation (None when there is no such ward), in a query
    compiled once: read before every board."""
    found = _WARD_HEADER.dicts(pk=ward_id)
    return found[0] if found else None


_ADMISSION_ORGANIZATION = PreparedQuery(
    lambda pk: Admission.objects.filter(pk=pk).order_by().values_list("ward__organization_id"),
    pk=uuid.UUID,
)


def admission_organization(admission_id: uuid.UUID) -> uuid.UUID | None:
    """The organisation an admission belongs to (None when there is no such admission), in
    a query compiled once: checked before each observation is recorded."""
    for (organization_id,) in _ADMISSION_ORGANIZATION.rows(pk=admission_id):
        found: uuid.UUID = organization_id
        return found
    return None


def ward_board(*, ward_id: uuid.UUID, now: datetime | None = None) -> dict[str, Any]:
    """The board of one ward: a row per current inpatient, sorted by risk, and a summary."""
    now = now or timezone.now()
    rows = rows_from_values(_WARD_BOARD_VALUES.dicts(ward_id=ward_id), now=now)
    return {"generated_at": now.isoformat(), "rows": rows, "summary": summarize(rows)}


def critical_q(now: datetime) -> Q:
    """Who needs attention: NEWS2 medium/high or any single 3, dengue with warning signs or
    severe, the dengue critical phase, or overdue for observations."""
    return (
        Q(latest_observation__news2_band__in=["medium", "high"])
        | Q(latest_observation__news2_single_3=True)
        | Q(latest_observation__dengue_class__in=["with_warning_signs", "severe"])
        | Q(phase=DenguePhase.CRITICAL)
        # Overdue as the board counts it: at least one whole minute past due.
        | Q(next_due_at__lte=now - timedelta(minutes=1))
    )


def critical_list(
    *, admissions: QuerySet[Admission], now: datetime | None = None
) -> dict[str, Any]:
    """The critical list over ``admissions`` (already scoped to the caller's wards)."""
    now = now or timezone.now()
    rows = board_rows(admissions.filter(critical_q(now)), now=now)
    return {"generated_at": now.isoformat(), "rows": rows, "summary": summarize(rows)}


FLUID_FIELDS = (
    "fluid_in_oral",
    "fluid_in_iv",
    "fluid_in_other",
    "fluid_out_urine",
    "fluid_out_vomit",
    "fluid_out_drain",
    "fluid_out_other",
)


def fluid_balance(
    *, admission: Admission, now: datetime | None = None, days: int = 3
) -> dict[str, Any]:
    """In, out and balance per nursing shift (newest first, over ``days``) and over the
    last 24 hours, from the admission's valid observations. One query."""
    from datetime import timedelta

    from careboard.patients.assessment import shifts_for

    now = now or timezone.now()
    organization = admission.ward.organization
    tz = organization.tz
    shifts = shifts_for(organization)
    since = now - timedelta(days=days)
    entries = list(
        admission.observations.valid()
        .filter(recorded_at__gte=since, recorded_at__lte=now)
        .order_by("recorded_at")
        .values("recorded_at", *FLUID_FIELDS)
    )
    entries = [e for e in entries if any(e[name] is not None for name in FLUID_FIELDS)]
    by_window: dict[tuple[datetime, datetime, str], list[dict[str, Any]]] = {}
    for entry in entries:
        window = scoring.shift_window(entry["recorded_at"].astimezone(tz), shifts)
        by_window.setdefault((window.start, window.end, str(window.shift)), []).append(entry)
    per_shift = [
        {
            "shift": shift,
            "start": start.isoformat(),
            "end": end.isoformat(),
            **scoring.fluid_balance(items).to_dict(),
        }
        for (start, end, shift), items in sorted(by_window.items(), reverse=True)
    ]
    last_day = [e for e in entries if e["recorded_at"] > now - timedelta(hours=24)]
    return {
        "last_24h": scoring.fluid_balance(last_day).to_dict(),
        "shifts": per_shift,
    }
