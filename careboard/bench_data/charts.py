"""Realistic observation charts for generated admissions, scored as Careboard scores them.

A stay follows a latent severity ``s`` (0 well … 1 very ill) that drifts the way stays do
(most patients improve, some deteriorate first, a few stay unwell); the vital signs follow
``s`` around the patient's own baseline with bedside noise. Each set is scored by
``careboard.patients.assessment.score`` (the one scoring implementation; the stay's rules
built once, the dengue context from a ``DengueTimeline`` instead of queries), and the next
set is taken when the score says it is due, so sick patients are observed more often, as
on a ward.

The result is the same as recording each set through the API and then running
``manage.py rescore``: ``careboard/core/tests/test_generate_data.py`` checks this.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from careboard.patients import assessment, scoring

_NOTES = (
    "Comfortable, slept well.",
    "Mobilising with assistance.",
    "Eating and drinking.",
    "Reviewed by the team.",
    "Complains of mild pain, analgesia given.",
    "Family visited.",
)
_WARNING_SIGNS = scoring.WARNING_SIGN_CODES


@dataclass
class OrgRules:
    """What the rules read from the organisation (see ``assessment.intervals_for``)."""

    tz: Any
    intervals: scoring.Intervals
    shifts: scoring.ShiftTimes


@dataclass
class Stay:
    """One admission as the chart generator sees it."""

    admission_id: uuid.UUID
    birth_date: date
    pregnant: bool
    dengue: bool
    spo2_scale: int
    override_minutes: int | None
    nurses: list[int]
    # Filled by the generator.
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Patient:
    """The patient's own baseline and the course of the stay."""

    hr: float
    rr: float
    sbp: float
    spo2: float
    temp: float
    severity: float
    drift: float  # per hour; negative: improving
    peak_at: float | None  # hours into the stay when a deterioration peaks
    fever: float


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


class ChartMaker:
    """Makes and scores the observation rows of stays (one ``random.Random`` for all)."""

    def __init__(self, rng: random.Random, rules: OrgRules) -> None:
        self.rng = rng
        self.rules = rules

    # -------------------------------------------------------------------- the course

    def _patient(self, stay: Stay) -> _Patient:
        rng = self.rng
        course = rng.random()
        severity = rng.betavariate(2, 5)
        peak_at = None
        if course < 0.72:  # improving
            drift = -rng.uniform(0.002, 0.012)
        elif course < 0.9:  # stable
            drift = rng.uniform(-0.002, 0.002)
        else:  # deteriorates, then recovers
            drift = -rng.uniform(0.003, 0.01)
            peak_at = rng.uniform(6, 72)
        return _Patient(
            hr=rng.gauss(78, 8),
            rr=rng.gauss(15.5, 1.5),
            sbp=rng.gauss(128, 12),
            spo2=90.5 if stay.spo2_scale == 2 else rng.uniform(96, 99),
            temp=rng.gauss(36.8, 0.25),
            severity=severity,
            drift=drift,
            peak_at=peak_at,
            fever=rng.uniform(1.0, 2.2) if stay.dengue else rng.uniform(0.0, 1.6),
        )

    def _severity(self, p: _Patient, hours: float) -> float:
        s = p.severity + p.drift * hours
        if p.peak_at is not None:
            s += 0.45 * max(0.0, 1 - abs(hours - p.peak_at) / 18)
        return _clamp(s + self.rng.gauss(0, 0.04), 0.0, 1.0)

    def _values(self, stay: Stay, p: _Patient, s: float, index: int) -> dict[str, Any]:
        rng = self.rng
        gauss = rng.gauss
        values: dict[str, Any] = {
            "respiratory_rate": int(_clamp(round(p.rr + 13 * s + gauss(0, 1.3)), 6, 45)),
            "heart_rate": int(_clamp(round(p.hr + 50 * s + gauss(0, 5)), 35, 190)),
            "temperature": Decimal(
                f"{_clamp(p.temp + p.fever * s * 1.4 + gauss(0, 0.2), 34.0, 41.5):.1f}"
            ),
            "consciousness": "A",
            "pain_score": int(_clamp(round(7 * s + gauss(1, 1.2)), 0, 10)),
        }
        systolic = int(_clamp(round(p.sbp - 45 * s + gauss(0, 7)), 65, 230))
        values["systolic_bp"] = systolic
        values["diastolic_bp"] = int(
            _clamp(round(systolic * 0.62 + gauss(0, 5)), 35, systolic - 10)
        )
        spo2 = p.spo2 - 10 * s + gauss(0, 1)
        on_oxygen = s > 0.5 or spo2 < 92
        if on_oxygen:
            spo2 += 3.5
            values["oxygen_flow"] = Decimal(f"{_clamp(2 + 12 * (s - 0.4), 1, 15):.1f}")
        values["spo2"] = int(_clamp(round(spo2), 70, 100))
        values["on_oxygen"] = on_oxygen
        if s > 0.8 and rng.random() < 0.5:
            values["consciousness"] = rng.choice("CCVP")
        # Incomplete sets happen: a missed temperature or consciousness level.
        if rng.random() < 0.03:
            del values[rng.choice(("temperature", "consciousness", "respiratory_rate"))]
        if rng.random() < 0.25:
            values["fluid_in_oral"] = int(round(rng.uniform(50, 500), -1))
            values["fluid_out_urine"] = int(round(rng.uniform(100, 700), -1))
        if s > 0.5 and rng.random() < 0.4:
            values["fluid_in_iv"] = int(round(rng.uniform(250, 1000), -1))
        if index == 0 and rng.random() < 0.6:
            values["weight"] = Decimal(f"{_clamp(gauss(74, 14), 38, 180):.1f}")
        if stay.dengue:
            signs = [code for code in _WARNING_SIGNS if rng.random() < 0.25 * s]
            values["warning_signs"] = signs
        if rng.random() < 0.04:
            values["notes"] = rng.choice(_NOTES)
        return values

    # -------------------------------------------------------------------- scoring

    def _rules(self, stay: Stay) -> assessment.Rules:
        rules = self.rules
        return assessment.Rules(
            tz=rules.tz,
            shifts=rules.shifts,
            intervals=rules.intervals,
            birth_date=stay.birth_date,
            pregnant=stay.pregnant,
            dengue=stay.dengue,
            # Generated dengue stays remain in the febrile phase.
            phase="febrile" if stay.dengue else "",
            override_minutes=stay.override_minutes,
        )

    # -------------------------------------------------------------------- the chart

    def chart(
        self,
        stay: Stay,
        *,
        start: datetime,
        until: datetime | None = None,
        count: int | None = None,
    ) -> list[dict[str, Any]]:
        """Observation rows from ``start``: up to ``until`` (a current stay), or exactly
        ``count`` sets (a past stay). Times are UTC, as the database returns them."""
        rng = self.rng
        p = self._patient(stay)
        rows: list[dict[str, Any]] = []
        rules = self._rules(stay)
        timeline = assessment.DengueTimeline() if stay.dengue else None
        first_lab_day: date | None = None
        last_lab_day: date | None = None
        moment = start + timedelta(minutes=rng.randint(5, 30))
        while True:
            if count is not None and len(rows) >= count:
                break
            if until is not None and moment > until:
                break
            hours = (moment - start).total_seconds() / 3600
            s = self._severity(p, hours)
            values = self._values(stay, p, s, len(rows))
            if stay.dengue:
                # Blood on admission and every morning after.
                day = moment.astimezone(self.rules.tz).date()
                if last_lab_day is None or (day > last_lab_day and rng.random() < 0.8):
                    first_lab_day = first_lab_day or day
                    last_lab_day = day
                    days_in = (day - first_lab_day).days
                    values["hematocrit"] = Decimal(
                        f"{_clamp(40 + 3 * days_in * s + rng.gauss(0, 1.5), 25, 65):.1f}"
                    )
                    values["platelets"] = int(_clamp(180 - 40 * days_in * s, 8, 400))
                    values["wbc"] = Decimal(f"{_clamp(rng.gauss(4, 1), 1, 15):.1f}")
            result = assessment.score(
                values=values,
                recorded_at=moment,
                spo2_scale=stay.spo2_scale,
                rules=rules,
                context=timeline.context(moment) if timeline else None,
            )
            scored = result.model_fields()
            interval = result.due.interval_minutes
            created = moment + timedelta(seconds=rng.randint(20, 240))
            row = {
                "id": uuid.uuid4(),
                "admission_id": stay.admission_id,
                "recorded_at": moment,
                "recorded_by_id": rng.choice(stay.nurses),
                "spo2_scale": stay.spo2_scale,
                "warning_signs": [],
                "notes": "",
                **values,
                **scored,
                "status": "final",
                "created_at": created,
                "updated_at": created,
            }
            if not stay.dengue and rng.random() < 0.001:
                row["status"] = "entered_in_error"
                row["status_reason"] = "Recorded on the wrong patient."
                row["status_changed_at"] = created + timedelta(minutes=15)
                row["status_changed_by_id"] = row["recorded_by_id"]
            rows.append(row)
            if timeline is not None:
                timeline.add(
                    moment,
                    values.get("hematocrit"),
                    values.get("platelets"),
                    values.get("temperature"),
                )
            moment = moment + timedelta(minutes=interval * rng.uniform(0.75, 1.12))
        return rows


def utc(day: date, at: time = time(0)) -> datetime:
    return datetime.combine(day, at, tzinfo=UTC)
