"""Scores an observation in its admission's context with the pure rules in ``scoring/``.

The one bridge between the models and ``careboard.patients.scoring``: recording, amending
and previewing call ``assess``; rescoring and the bulk import call ``score`` (what ``assess``
runs) with the rules and dengue context they hold in memory. One scoring implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
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
            **news2_fields(self.news2),
            **dengue_fields(self.dengue),
            "next_due_at": self.due.due_at,
            "due": self.due.to_dict(),
            "suggests_critical_phase": self.suggests_critical_phase,
        }


def news2_fields(news2: scoring.News2Result) -> dict[str, Any]:
    """The stored fields of a NEWS2 result (part of ``Assessment.model_fields``: a bulk
    writer turns each distinct result into column text once)."""
    return {
        "news2_total": news2.total,
        "news2_band": str(news2.band) if news2.band else "",
        "news2_single_3": news2.single_parameter_3,
        "news2_complete": news2.complete,
        "news2": news2.to_dict(),
    }


def dengue_fields(dengue: scoring.DengueResult | None) -> dict[str, Any]:
    """The stored fields of a dengue classification (part of ``model_fields``)."""
    return {
        "dengue_class": str(dengue.classification) if dengue else "",
        "dengue": dengue.to_dict() if dengue else None,
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


@dataclass(frozen=True)
class Rules:
    """What the rules read from an admission and its organisation for one observation.

    Built from the database by ``rules_for``; bulk callers (the import, the data
    generator) build it once per admission and pass it to ``score``.
    """

    tz: tzinfo
    shifts: scoring.ShiftTimes
    intervals: scoring.Intervals
    birth_date: date
    pregnant: bool
    dengue: bool
    # The dengue phase ("" unless dengue) and the physician's interval, as they stood
    # when the observation was recorded.
    phase: str = ""
    override_minutes: int | None = None

    def age_on(self, day: date) -> int:
        """The patient's age in whole years on ``day`` (as ``Patient.age_on``)."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)


@dataclass(frozen=True)
class DengueContext:
    """What the dengue rules compare an observation with: the admission's first
    hematocrit (time, value), the last lab result before it (hematocrit, platelets) and
    the highest temperature before it, over its other valid observations."""

    first_hct: tuple[datetime, Any] | None = None
    previous_lab: tuple[Any, Any] | None = None
    max_temp: Any = None


def rules_for(admission: Admission, organization: Organization | None = None) -> Rules:
    """The admission's rules as it stands now."""
    organization = organization or admission.ward.organization
    return Rules(
        tz=organization.tz,
        shifts=shifts_for(organization),
        intervals=intervals_for(organization),
        birth_date=admission.patient.birth_date,
        pregnant=admission.pregnant,
        dengue=admission.protocol == Protocol.DENGUE,
        phase=admission.phase,
        override_minutes=admission.interval_override_minutes,
    )


def dengue_context(admission: Admission, recorded_at: datetime, exclude_id: Any) -> DengueContext:
    """The admission's ``DengueContext`` for an observation at ``recorded_at``, read from
    the database (``exclude_id``: the observation itself, when it is stored already)."""
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
    return DengueContext(
        first_hct=tuple(first_hct) if first_hct else None,  # type: ignore[arg-type]
        previous_lab=tuple(previous_lab) if previous_lab else None,  # type: ignore[arg-type]
        max_temp=max_temp,
    )


class DengueTimeline:
    """An admission's valid observations in memory, so that many observations can be
    scored in time order without a query each: what ``dengue_context`` would read if
    every observation added so far were stored.

    Feed it in time order (``add`` the stored observations and each scored one); the
    context of a moment counts the observations strictly before it for the previous lab
    and the highest temperature, and every one so far for the first hematocrit (which
    only serves as the baseline when it is not later than the moment).
    """

    def __init__(self) -> None:
        self.first_hct: tuple[datetime, Any] | None = None
        self._lab: tuple[Any, Any] | None = None
        self._max_temp: Any = None
        # Observations at the latest moment seen, not yet "before" anything.
        self._at: datetime | None = None
        self._pending_lab: tuple[Any, Any] | None = None
        self._pending_temp: Any = None

    def _settle(self, moment: datetime) -> None:
        if self._at is not None and self._at < moment:
            if self._pending_lab is not None:
                self._lab = self._pending_lab
            temp = self._pending_temp
            if temp is not None and (self._max_temp is None or temp > self._max_temp):
                self._max_temp = temp
            self._pending_lab = self._pending_temp = None
            self._at = None

    def context(self, moment: datetime) -> DengueContext:
        """The context of an observation at ``moment`` (not earlier than any added)."""
        self._settle(moment)
        return DengueContext(
            first_hct=self.first_hct, previous_lab=self._lab, max_temp=self._max_temp
        )

    def add(self, moment: datetime, hematocrit: Any, platelets: Any, temperature: Any) -> None:
        """One more valid observation at ``moment`` (not earlier than any added)."""
        self._settle(moment)
        self._at = moment
        if hematocrit is not None and self.first_hct is None:
            self.first_hct = (moment, hematocrit)
        if hematocrit is not None and platelets is not None:
            self._pending_lab = (hematocrit, platelets)
        if temperature is not None and (
            self._pending_temp is None or temperature > self._pending_temp
        ):
            self._pending_temp = temperature


def score(
    *,
    values: dict[str, Any],
    recorded_at: datetime,
    spo2_scale: int,
    rules: Rules,
    context: DengueContext | None = None,
) -> Assessment:
    """Score ``values`` (observation field → value) recorded at ``recorded_at`` under
    ``rules``, without the database; ``context`` is needed for a dengue admission."""
    local = recorded_at.astimezone(rules.tz)
    shift = scoring.shift_for(local.time(), rules.shifts)
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
        age_years=rules.age_on(local.date()),
        pregnant=rules.pregnant,
    )
    dengue = None
    suggests_critical = False
    if rules.dengue:
        if context is None:
            raise ValueError("A dengue admission is scored with its DengueContext.")
        first_hct = context.first_hct
        # The baseline is the first hematocrit of the admission; this one, if it is the first.
        baseline = None
        if first_hct is not None and first_hct[0] <= recorded_at:
            baseline = first_hct[1]
        previous_lab = context.previous_lab
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
        if values.get("temperature") is not None and rules.phase:
            suggests_critical = scoring.suggest_critical_phase(
                phase=rules.phase,
                previous_max_temperature=context.max_temp,
                temperature=values["temperature"],
            )
    due = scoring.next_due(
        recorded_at=recorded_at,
        band=news2.band,
        total=news2.total,
        complete=news2.complete,
        intervals=rules.intervals,
        override_minutes=rules.override_minutes,
        dengue_critical=rules.dengue and rules.phase == DenguePhase.CRITICAL,
    )
    return Assessment(
        shift=str(shift),
        news2=news2,
        dengue=dengue,
        due=due,
        suggests_critical_phase=suggests_critical,
    )


def assess(
    *,
    admission: Admission,
    values: dict[str, Any],
    recorded_at: datetime,
    spo2_scale: int,
    exclude_id: Any = None,
) -> Assessment:
    """Score ``values`` (observation field → value) recorded at ``recorded_at`` in the
    admission's current state, reading the dengue context from the database.

    ``exclude_id`` leaves the observation being amended out of its own comparison context.
    """
    rules = rules_for(admission)
    context = dengue_context(admission, recorded_at, exclude_id) if rules.dengue else None
    return score(
        values=values, recorded_at=recorded_at, spo2_scale=spo2_scale, rules=rules, context=context
    )


def observation_values(observation: Observation) -> dict[str, Any]:
    return {name: getattr(observation, name) for name in VITAL_FIELDS}
