"""Non-trivial reads: the ward board, the critical list and the fluid balance.

Board and critical list are one query over admissions each (the admission carries a pointer
to its latest observation and its next due time), whatever the number of beds.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from careboard.patients import scoring
from careboard.patients.models import Admission, DenguePhase, Observation

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


def board_queryset() -> QuerySet[Admission]:
    """Current admissions with everything a board row reads, in one query."""
    return Admission.objects.current().select_related(
        "patient", "ward__organization", "latest_observation"
    )


def trend(current: int | None, previous: int | None) -> str | None:
    """Direction of the NEWS2 total against the previous observation's."""
    if current is None or previous is None:
        return None
    if current > previous:
        return "up"
    if current < previous:
        return "down"
    return "same"


def board_row(admission: Admission, *, now: datetime) -> dict[str, Any]:
    """One board row: who, where, the latest scores, and when the next check is due."""
    patient = admission.patient
    organization = admission.ward.organization
    latest: Observation | None = admission.latest_observation
    latest_data = None
    if latest is not None:
        latest_data = {
            "id": str(latest.pk),
            "recorded_at": latest.recorded_at.isoformat(),
            "values": {name: _number(getattr(latest, name)) for name in BOARD_VALUE_FIELDS},
            "news2_total": latest.news2_total,
            "news2_band": latest.news2_band or None,
            "news2_single_3": latest.news2_single_3,
            "news2_complete": latest.news2_complete,
            "news2_applicable": latest.news2.get("applicable", True),
            "news2_reason": latest.news2.get("reason"),
            "dengue_class": latest.dengue_class or None,
            "dengue_reasons": (latest.dengue or {}).get("reasons", []),
            "suggests_critical_phase": latest.suggests_critical_phase,
        }
    due = admission.next_due_at
    return {
        "admission_id": str(admission.pk),
        "ward_id": str(admission.ward_id),
        "ward_name": admission.ward.name,
        "bed": admission.bed,
        "patient": {
            "id": str(patient.pk),
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "mrn": patient.mrn,
            "age": patient.age_on(now.astimezone(organization.tz).date()),
            "sex": patient.sex,
        },
        "admitted_at": admission.admitted_at.isoformat(),
        "protocol": admission.protocol,
        "phase": admission.phase or None,
        "spo2_scale": admission.spo2_scale,
        "interval_override_minutes": admission.interval_override_minutes,
        "latest": latest_data,
        "trend": trend(latest.news2_total if latest else None, admission.previous_news2_total),
        "previous_news2_total": admission.previous_news2_total,
        "next_due_at": due.isoformat() if due else None,
        "overdue_minutes": scoring.overdue_minutes(due_at=due, now=now) if due else 0,
        # No observation yet: the first is due on admission.
        "never_observed": latest is None,
    }


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


def ward_board(*, ward_id: Any, now: datetime | None = None) -> dict[str, Any]:
    """The board of one ward: a row per current inpatient, sorted by risk, and a summary."""
    now = now or timezone.now()
    rows = sort_rows([board_row(a, now=now) for a in board_queryset().filter(ward_id=ward_id)])
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
    rows = [
        board_row(a, now=now)
        for a in admissions.filter(critical_q(now)).select_related(
            "patient", "ward__organization", "latest_observation"
        )
    ]
    rows = sort_rows(rows)
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
