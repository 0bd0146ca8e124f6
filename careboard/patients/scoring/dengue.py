"""Dengue severity classification and phase hint (WHO 2009).

Source: World Health Organization, *Dengue: guidelines for diagnosis, treatment,
prevention and control*, new edition, Geneva: WHO, 2009 (WHO/HTM/NTD/DEN/2009.1),
which classifies dengue as without warning signs, with warning signs, or severe.
See ``docs/scoring.md`` for what is and is not derived automatically.

Bedside vital signs (systolic/diastolic BP, heart rate) follow the same decimal rule as
NEWS2 (rounded half-up to whole numbers) so one observation reads the same in both
scores. Laboratory values (hematocrit, platelets) are compared exactly as reported.

Pure Python: no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from careboard.patients.scoring.news2 import (
    Number,
    as_decimal,
    normalize_consciousness,
    round_temperature,
    round_whole,
)


class DengueClass(StrEnum):
    """WHO 2009 dengue case classification."""

    WITHOUT_WARNING_SIGNS = "without_warning_signs"
    WITH_WARNING_SIGNS = "with_warning_signs"
    SEVERE = "severe"


class DenguePhase(StrEnum):
    """WHO 2009 clinical course: febrile, critical (around defervescence), recovery."""

    FEBRILE = "febrile"
    CRITICAL = "critical"
    RECOVERY = "recovery"


PHASES: Final[tuple[str, ...]] = tuple(phase.value for phase in DenguePhase)

# WHO 2009 clinical warning signs, as recorded by the nurse. (The seventh WHO warning
# sign, the laboratory one, is computed: see COMPUTED_WARNING_SIGN_CODES.)
WARNING_SIGN_TEXT: Final[Mapping[str, str]] = MappingProxyType(
    {
        "abdominal_pain": "Abdominal pain or tenderness",
        "persistent_vomiting": "Persistent vomiting",
        "fluid_accumulation": "Clinical fluid accumulation",
        "mucosal_bleeding": "Mucosal bleeding",
        "lethargy": "Lethargy or restlessness",
        "liver_enlargement": "Liver enlargement > 2 cm",
    }
)
WARNING_SIGN_CODES: Final[tuple[str, ...]] = tuple(WARNING_SIGN_TEXT)
"""Codes a nurse may record; use this tuple to validate input."""

HCT_RISE_20PCT: Final = "hct_rise_20pct"
HCT_RISING_PLATELETS_FALLING: Final = "hct_rising_platelets_falling"
COMPUTED_WARNING_SIGN_CODES: Final[tuple[str, ...]] = (
    HCT_RISE_20PCT,
    HCT_RISING_PLATELETS_FALLING,
)

SYSTOLIC_BELOW_90: Final = "systolic_below_90"
NARROW_PULSE_PRESSURE_TACHYCARDIA: Final = "narrow_pulse_pressure_tachycardia"
ALTERED_CONSCIOUSNESS: Final = "altered_consciousness"
SHOCK_SIGN_CODES: Final[tuple[str, ...]] = (
    SYSTOLIC_BELOW_90,
    NARROW_PULSE_PRESSURE_TACHYCARDIA,
    ALTERED_CONSCIOUSNESS,
)

# Hypotensive shock in adults: systolic below 90 mmHg (WHO 2009).
SHOCK_SYSTOLIC_BELOW: Final = 90
# Compensated shock: pulse pressure narrowed to 20 mmHg or less (WHO 2009) ...
NARROW_PULSE_PRESSURE_MAX: Final = 20
# ... together with tachycardia, which WHO 2009 lists without a number; Careboard uses
# the usual adult definition, heart rate above 100/min (configurable per call).
ADULT_TACHYCARDIA_ABOVE: Final = 100
# WHO 2009's laboratory warning sign ("increase in HCT concurrent with rapid decrease in
# platelet count") carries no number. Careboard quantifies it with the thresholds of the
# WHO 1997 DHF case definition: haemoconcentration of 20 % or more (here: relative rise
# over the admission's first hematocrit) ...
HCT_RISE_FRACTION: Final = Decimal("0.20")
# ... and thrombocytopenia of 100 x 10^9/L (100 000/mm3) or less.
PLATELETS_FALLING_MAX: Final = Decimal(100)
# Fever: above 38.0 degC; defervescence: 38.0 degC or below (WHO 2009 places the critical
# phase "around the time of defervescence, when the temperature drops to 37.5-38 degC or
# less"; Careboard uses the upper end so the hint comes early).
FEVER_ABOVE: Final = Decimal("38.0")


@dataclass(frozen=True)
class Reason:
    """One finding behind a classification: a stable code and a display text."""

    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """Return ``{"code": ..., "text": ...}``."""
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class LabResult:
    """A laboratory result: hematocrit (%, or any one unit used consistently) and
    platelets (x 10^9/L). Either may be ``None``."""

    hematocrit: Number | None = None
    platelets: Number | None = None


@dataclass(frozen=True)
class DengueObservation:
    """The current observation: recorded warning signs, labs and vital signs.

    ``warning_signs`` accepts any iterable of codes from :data:`WARNING_SIGN_CODES`;
    it is stored as a tuple without duplicates, in the canonical code order.
    """

    warning_signs: tuple[str, ...] = ()
    hematocrit: Number | None = None
    platelets: Number | None = None
    systolic_bp: Number | None = None
    diastolic_bp: Number | None = None
    heart_rate: Number | None = None
    consciousness: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "warning_signs", normalize_warning_signs(self.warning_signs))


def normalize_warning_signs(codes: Iterable[str]) -> tuple[str, ...]:
    """Validate warning-sign codes; return them de-duplicated in canonical order."""
    if isinstance(codes, str):
        raise TypeError("warning_signs must be an iterable of codes, not a single str")
    chosen = set()
    for code in codes:
        if code not in WARNING_SIGN_TEXT:
            raise ValueError(f"unknown dengue warning sign {code!r}")
        chosen.add(code)
    return tuple(code for code in WARNING_SIGN_CODES if code in chosen)


@dataclass(frozen=True)
class DengueResult:
    """Outcome of :func:`classify_dengue`.

    ``reasons`` lists shock signs first (they decide 'severe'), then warning signs.
    ``warning_signs`` holds recorded and computed warning-sign codes; ``shock_signs``
    the shock-sign codes. Both are reported even when a higher class applies.
    """

    classification: DengueClass
    reasons: tuple[Reason, ...]
    warning_signs: tuple[str, ...]
    shock_signs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return ``{"classification", "reasons", "warning_signs", "shock_signs"}``."""
        return {
            "classification": str(self.classification),
            "reasons": [reason.to_dict() for reason in self.reasons],
            "warning_signs": list(self.warning_signs),
            "shock_signs": list(self.shock_signs),
        }


def _fmt(value: Decimal | int) -> str:
    # 45.50 -> "45.5", 100 -> "100": plain notation without trailing zeros.
    if isinstance(value, int):
        return str(value)
    return format(value.normalize(), "f")


def _optional_decimal(value: Number | None, name: str) -> Decimal | None:
    return None if value is None else as_decimal(value, name)


def _positive(value: Number | None, name: str) -> Decimal | None:
    number = _optional_decimal(value, name)
    if number is not None and number == 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return number


def hct_rise_reason(hematocrit: Number | None, baseline_hematocrit: Number | None) -> Reason | None:
    """Return the ``hct_rise_20pct`` reason when hematocrit is >=20 % above baseline.

    The rise is relative: ``(hct - baseline) / baseline >= 0.20``, computed exactly
    in ``Decimal``. ``None`` when either value is missing or the rise is smaller.
    """
    hct = _positive(hematocrit, "hematocrit")
    baseline = _positive(baseline_hematocrit, "baseline_hematocrit")
    if hct is None or baseline is None:
        return None
    rise = hct - baseline
    if rise < baseline * HCT_RISE_FRACTION:
        return None
    percent = (rise * 100 / baseline).quantize(Decimal("0.1"))
    return Reason(
        HCT_RISE_20PCT,
        f"Hematocrit {_fmt(hct)} is {_fmt(percent)}% above baseline {_fmt(baseline)}",
    )


def hct_rising_platelets_falling_reason(
    current: LabResult, previous: LabResult | None
) -> Reason | None:
    """Return the lab warning-sign reason between two consecutive lab results.

    WHO 2009: 'increase in HCT concurrent with rapid decrease in platelet count'.
    Fires when hematocrit is higher than the previous result while platelets are lower
    than the previous result and now 100 x 10^9/L or below.
    """
    # Parse everything first so invalid values are reported even without a previous lab.
    hct = _positive(current.hematocrit, "hematocrit")
    platelets = _optional_decimal(current.platelets, "platelets")
    if previous is None:
        return None
    previous_hct = _positive(previous.hematocrit, "previous hematocrit")
    previous_platelets = _optional_decimal(previous.platelets, "previous platelets")
    if hct is None or platelets is None or previous_hct is None or previous_platelets is None:
        return None
    if hct > previous_hct and platelets < previous_platelets and platelets <= PLATELETS_FALLING_MAX:
        return Reason(
            HCT_RISING_PLATELETS_FALLING,
            f"Hematocrit rising {_fmt(previous_hct)} -> {_fmt(hct)} while platelets fall "
            f"{_fmt(previous_platelets)} -> {_fmt(platelets)} x10^9/L (<= 100)",
        )
    return None


def shock_reasons(
    *,
    systolic_bp: Number | None,
    diastolic_bp: Number | None,
    heart_rate: Number | None,
    consciousness: str | None,
    tachycardia_above: int = ADULT_TACHYCARDIA_ABOVE,
) -> tuple[Reason, ...]:
    """Return the shock / severe-organ signs present in the vital signs (WHO 2009).

    * ``systolic_below_90``: systolic < 90 mmHg (hypotensive shock);
    * ``narrow_pulse_pressure_tachycardia``: systolic - diastolic <= 20 mmHg together with
      heart rate > ``tachycardia_above`` (compensated shock);
    * ``altered_consciousness``: ACVPU other than 'A' (severe CNS involvement).
    """
    systolic = None if systolic_bp is None else round_whole(systolic_bp, "systolic_bp")
    diastolic = None if diastolic_bp is None else round_whole(diastolic_bp, "diastolic_bp")
    pulse = None if heart_rate is None else round_whole(heart_rate, "heart_rate")
    letter = normalize_consciousness(consciousness)
    if systolic is not None and diastolic is not None and diastolic > systolic:
        raise ValueError(f"diastolic_bp {diastolic} exceeds systolic_bp {systolic}")

    reasons: list[Reason] = []
    if systolic is not None and systolic < SHOCK_SYSTOLIC_BELOW:
        reasons.append(Reason(SYSTOLIC_BELOW_90, f"Systolic BP {systolic} mmHg < 90"))
    if systolic is not None and diastolic is not None and pulse is not None:
        pulse_pressure = systolic - diastolic
        if pulse_pressure <= NARROW_PULSE_PRESSURE_MAX and pulse > tachycardia_above:
            reasons.append(
                Reason(
                    NARROW_PULSE_PRESSURE_TACHYCARDIA,
                    f"Pulse pressure {pulse_pressure} mmHg <= 20 with heart rate "
                    f"{pulse}/min > {tachycardia_above}",
                )
            )
    if letter is not None and letter != "A":
        reasons.append(Reason(ALTERED_CONSCIOUSNESS, f"Consciousness {letter} (not alert)"))
    return tuple(reasons)


def classify_dengue(
    observation: DengueObservation,
    *,
    baseline_hematocrit: Number | None = None,
    previous_lab: LabResult | None = None,
    tachycardia_above: int = ADULT_TACHYCARDIA_ABOVE,
) -> DengueResult:
    """Classify one observation as WHO 2009 dengue without/with warning signs or severe.

    ``baseline_hematocrit`` is the admission's first hematocrit; ``previous_lab`` the lab
    result before the current one. Shock signs make the case severe, whatever the
    warning signs; otherwise any recorded or computed warning sign gives
    'with_warning_signs'. Only findings present in the data are considered: severe
    bleeding, respiratory distress and organ involvement still need clinical judgement.
    """
    if isinstance(tachycardia_above, bool) or not isinstance(tachycardia_above, int):
        raise TypeError("tachycardia_above must be an int")
    shock = shock_reasons(
        systolic_bp=observation.systolic_bp,
        diastolic_bp=observation.diastolic_bp,
        heart_rate=observation.heart_rate,
        consciousness=observation.consciousness,
        tachycardia_above=tachycardia_above,
    )
    warnings = [Reason(code, WARNING_SIGN_TEXT[code]) for code in observation.warning_signs]
    current_lab = LabResult(hematocrit=observation.hematocrit, platelets=observation.platelets)
    for computed in (
        hct_rise_reason(observation.hematocrit, baseline_hematocrit),
        hct_rising_platelets_falling_reason(current_lab, previous_lab),
    ):
        if computed is not None:
            warnings.append(computed)

    if shock:
        classification = DengueClass.SEVERE
    elif warnings:
        classification = DengueClass.WITH_WARNING_SIGNS
    else:
        classification = DengueClass.WITHOUT_WARNING_SIGNS
    return DengueResult(
        classification=classification,
        reasons=(*shock, *warnings),
        warning_signs=tuple(reason.code for reason in warnings),
        shock_signs=tuple(reason.code for reason in shock),
    )


def suggest_critical_phase(
    *, phase: str, previous_max_temperature: Number | None, temperature: Number | None
) -> bool:
    """Suggest moving a febrile-phase patient to the critical phase at defervescence.

    True when ``phase`` is 'febrile', the patient had fever earlier in the admission
    (``previous_max_temperature`` > 38.0 degC) and ``temperature`` is now 38.0 degC or
    below. Temperatures follow the NEWS2 decimal rule (half-up to 0.1 degC), so 38.04
    counts as 38.0. Missing temperatures never suggest a change. This is a hint for the
    clinician, never an automatic phase change.
    """
    if phase not in PHASES:
        raise ValueError(f"phase must be one of {', '.join(PHASES)}, got {phase!r}")
    if phase != DenguePhase.FEBRILE or previous_max_temperature is None or temperature is None:
        return False
    had_fever = round_temperature(previous_max_temperature, "previous_max_temperature")
    now = round_temperature(temperature)
    return had_fever > FEVER_ABOVE and now <= FEVER_ABOVE
