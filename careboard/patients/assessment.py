"""Scores an observation in its admission's context with the pure rules in ``scoring/``.

The one bridge between the models and ``careboard.patients.scoring``: recording, amending,
previewing and rescoring all call ``assess``, so there is one scoring implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careboard.organizations.models import Organization
from careboard.patients import scoring
from careboard.patients.models import Admission, DenguePhase, Observation, Protocol

VITAL_FIELDS = (
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
    "fluid_in_oral",
    "fluid_in_iv",
    "fluid_in_other",
    "fluid_out_urine",
    "fluid_out_vomit",
    "fluid_out_drain",
    "fluid_out_other",
    "weight",
    "hematocrit",
    "platelets",
    "wbc",
    "warning_signs",
    "notes",
)


@dataclass(frozen=True)
class Assessment:
    """Everything the rules derive from one observation."""

    shift: str
    news2: scoring.News2Result
    dengue: scoring.DengueResult | None
    due: scoring.DueResult
    suggests_critical_phase: bool

    def model_fields(self) -> dict[str, Any]:
        """The observation's stored score fields."""
        return {
            "shift": self.shift,
            "news2_total": self.news2.total,
            "news2_band": str(self.news2.band) if self.news2.band else "",
            "news2_single_3": self.news2.single_parameter_3,
            "news2_complete": self.news2.complete,
            "news2": self.news2.to_dict(),
            "dengue_class": str(self.dengue.classification) if self.dengue else "",
            "dengue": self.dengue.to_dict() if self.dengue else None,
            "next_due_at": self.due.due_at,
            "due": self.due.to_dict(),
            "suggests_critical_phase": self.suggests_critical_phase,
        }


def intervals_for(organization: Organization) -> scoring.Intervals:
    return scoring.Intervals(
        score_zero_minutes=organization.interval_score_zero,
        low_minutes=organization.interval_low,
        low_medium_minutes=organization.interval_low_medium,
        medium_minutes=organization.interval_medium,
        high_minutes=organization.interval_high,
        unscored_minutes=organization.interval_unscored,
        dengue_critical_max_minutes=organization.interval_dengue_critical_max,
    )


def shifts_for(organization: Organization) -> scoring.ShiftTimes:
    return scoring.ShiftTimes(
        day_start=organization.day_shift_start,
        evening_start=organization.evening_shift_start,
        night_start=organization.night_shift_start,
    )


def due_for(
    *,
    admission: Admission,
    organization: Organization,
    recorded_at: datetime,
    band: str | None,
    total: int | None,
    complete: bool,
) -> scoring.DueResult:
    """When the observation after one at ``recorded_at`` is due, under the admission's
    current override and phase (``band`` None: NEWS2 not applicable or not scored)."""
    return scoring.next_due(
        recorded_at=recorded_at,
        band=band,
        total=total,
        complete=complete,
        intervals=intervals_for(organization),
        override_minutes=admission.interval_override_minutes,
        dengue_critical=(
            admission.protocol == Protocol.DENGUE and admission.phase == DenguePhase.CRITICAL
        ),
    )


def _context_before(admission: Admission, recorded_at: datetime, exclude_id: Any) -> dict[str, Any]:
    """Values from the admission's earlier valid observations that the rules compare with."""
    earlier = admission.observations.valid().exclude(pk=exclude_id)
    first_hct = (
        earlier.filter(hematocrit__isnull=False)
        .order_by("recorded_at")
        .values_list("recorded_at", "hematocrit")
        .first()
    )
    previous_lab = (
        earlier.filter(recorded_at__lt=recorded_at)
        .filter(hematocrit__isnull=False, platelets__isnull=False)
        .order_by("-recorded_at")
        .values_list("hematocrit", "platelets")
        .first()
    )
    max_temp = (
        earlier.filter(recorded_at__lt=recorded_at, temperature__isnull=False)
        .order_by("-temperature")
        .values_list("temperature", flat=True)
        .first()
    )
    return {"first_hct": first_hct, "previous_lab": previous_lab, "max_temp": max_temp}


def assess(
    *,
    admission: Admission,
    values: dict[str, Any],
    recorded_at: datetime,
    spo2_scale: int,
    exclude_id: Any = None,
) -> Assessment:
    """Score ``values`` (observation field → value) recorded at ``recorded_at``.

    ``exclude_id`` leaves the observation being amended out of its own comparison context.
    """
    organization = admission.ward.organization
    local = recorded_at.astimezone(organization.tz)
    shift = scoring.shift_for(local.timetz().replace(tzinfo=None), shifts_for(organization))
    age = admission.patient.age_on(local.date())
    news2 = scoring.news2_score(
        scoring.Vitals(
            respiratory_rate=values.get("respiratory_rate"),
            spo2=values.get("spo2"),
            spo2_scale=spo2_scale,
            on_oxygen=values.get("on_oxygen"),
            systolic_bp=values.get("systolic_bp"),
            heart_rate=values.get("heart_rate"),
            consciousness=values.get("consciousness") or None,
            temperature=values.get("temperature"),
        ),
        age_years=age,
        pregnant=admission.pregnant,
    )
    dengue = None
    suggests_critical = False
    if admission.protocol == Protocol.DENGUE:
        context = _context_before(admission, recorded_at, exclude_id)
        first_hct = context["first_hct"]
        # The baseline is the first hematocrit of the admission; this one, if it is the first.
        baseline = None
        if first_hct is not None and first_hct[0] <= recorded_at:
            baseline = first_hct[1]
        previous_lab = context["previous_lab"]
        dengue = scoring.classify_dengue(
            scoring.DengueObservation(
                warning_signs=tuple(values.get("warning_signs") or ()),
                hematocrit=values.get("hematocrit"),
                platelets=values.get("platelets"),
                systolic_bp=values.get("systolic_bp"),
                diastolic_bp=values.get("diastolic_bp"),
                heart_rate=values.get("heart_rate"),
                consciousness=values.get("consciousness") or None,
            ),
            baseline_hematocrit=baseline,
            previous_lab=(
                scoring.LabResult(hematocrit=previous_lab[0], platelets=previous_lab[1])
                if previous_lab
                else None
            ),
        )
        if values.get("temperature") is not None and admission.phase:
            suggests_critical = scoring.suggest_critical_phase(
                phase=admission.phase,
                previous_max_temperature=context["max_temp"],
                temperature=values["temperature"],
            )
    due = due_for(
        admission=admission,
        organization=organization,
        recorded_at=recorded_at,
        band=news2.band,
        total=news2.total,
        complete=news2.complete,
    )
    return Assessment(
        shift=str(shift),
        news2=news2,
        dengue=dengue,
        due=due,
        suggests_critical_phase=suggests_critical,
    )


def observation_values(observation: Observation) -> dict[str, Any]:
    return {name: getattr(observation, name) for name in VITAL_FIELDS}
