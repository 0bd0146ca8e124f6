"""National Early Warning Score 2 (NEWS2).

Implements the observation chart of the Royal College of Physicians, *National Early
Warning Score (NEWS) 2: Standardising the assessment of acute-illness severity in the
NHS*, updated report of a working party, London: RCP, 2017 (ISBN 978-1-86016-682-2).
Every threshold below is copied from that chart; see ``docs/scoring.md``.

The decimal rule (our reading of the chart's intent, the chart itself only prints whole
numbers and, for temperature, tenths):

* respiratory rate, SpO2, systolic BP and heart rate are rounded half-up to the nearest
  whole number before the lookup (90.5 bpm -> 91 -> scores 1);
* temperature is rounded half-up to one decimal place (38.05 degC -> 38.1 -> scores 1).

Rounding is done with :class:`decimal.Decimal` and ``ROUND_HALF_UP``; floats are
converted through ``str()`` first so that 38.05 stays 38.05 and not
38.04999999999999715...

Pure Python: no Django imports, so the rules can be tested and reused anywhere.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

Number = float | Decimal | int
"""A numeric observation as it may arrive from a form, a model or JSON."""

_WHOLE: Final = Decimal(1)
_TENTH: Final = Decimal("0.1")


class Band(StrEnum):
    """NEWS2 clinical-risk band (RCP 2017, 'NEWS thresholds and triggers')."""

    LOW = "low"
    LOW_MEDIUM = "low-medium"
    MEDIUM = "medium"
    HIGH = "high"


BAND_RANK: Final[Mapping[str, int]] = MappingProxyType(
    {Band.LOW: 1, Band.LOW_MEDIUM: 2, Band.MEDIUM: 3, Band.HIGH: 4}
)
"""Sort key for bands: high > medium > low-medium > low (higher rank = sicker)."""


def band_rank(band: str | None) -> int:
    """Return the sort rank of ``band``; ``None`` (not scored) ranks lowest, as 0."""
    if band is None:
        return 0
    try:
        return BAND_RANK[band]
    except KeyError:
        raise ValueError(f"unknown NEWS2 band {band!r}") from None


class NotApplicableReason(StrEnum):
    """Why NEWS2 was not computed. RCP 2017: NEWS2 is not validated for these groups."""

    UNDER_16 = "under_16"
    PREGNANCY = "pregnancy"


NOT_APPLICABLE_TEXT: Final[Mapping[str, str]] = MappingProxyType(
    {
        NotApplicableReason.UNDER_16: "NEWS2 is not validated for patients under 16 years",
        NotApplicableReason.PREGNANCY: "NEWS2 is not validated in pregnancy",
    }
)

COMPONENTS: Final[tuple[str, ...]] = (
    "respiratory_rate",
    "spo2",
    "air_or_oxygen",
    "systolic_bp",
    "heart_rate",
    "consciousness",
    "temperature",
)
"""The seven NEWS2 parameters, in chart order."""

CONSCIOUSNESS_LEVELS: Final[tuple[str, ...]] = ("A", "C", "V", "P", "U")
"""ACVPU: Alert, new Confusion, responds to Voice, responds to Pain, Unresponsive."""

SPO2_SCALES: Final[tuple[int, ...]] = (1, 2)

ADULT_AGE_YEARS: Final = 16

# Lookup tables: rows of (inclusive upper bound, score); a ``None`` bound catches the rest.
# Bounds are the RCP 2017 chart's printed values, applied after the decimal rule.
_Table = tuple[tuple[int | Decimal | None, int], ...]

RESPIRATORY_RATE_TABLE: Final[_Table] = (
    (8, 3),  # <=8
    (11, 1),  # 9-11
    (20, 0),  # 12-20
    (24, 2),  # 21-24
    (None, 3),  # >=25
)
SPO2_SCALE_1_TABLE: Final[_Table] = (
    (91, 3),  # <=91
    (93, 2),  # 92-93
    (95, 1),  # 94-95
    (None, 0),  # >=96
)
# Scale 2 (target 88-92%, e.g. hypercapnic respiratory failure): up to 92 % the score is
# the same whatever the patient breathes ...
SPO2_SCALE_2_TABLE: Final[_Table] = (
    (83, 3),  # <=83
    (85, 2),  # 84-85
    (87, 1),  # 86-87
    (92, 0),  # 88-92
)
# ... and from 93 % it depends on air (always 0) or oxygen (over-oxygenation scores).
SPO2_SCALE_2_ON_OXYGEN_TABLE: Final[_Table] = (
    (94, 1),  # 93-94 on oxygen
    (96, 2),  # 95-96 on oxygen
    (None, 3),  # >=97 on oxygen
)
SYSTOLIC_BP_TABLE: Final[_Table] = (
    (90, 3),  # <=90
    (100, 2),  # 91-100
    (110, 1),  # 101-110
    (219, 0),  # 111-219
    (None, 3),  # >=220
)
HEART_RATE_TABLE: Final[_Table] = (
    (40, 3),  # <=40
    (50, 1),  # 41-50
    (90, 0),  # 51-90
    (110, 1),  # 91-110
    (130, 2),  # 111-130
    (None, 3),  # >=131
)
TEMPERATURE_TABLE: Final[_Table] = (
    (Decimal("35.0"), 3),  # <=35.0
    (Decimal("36.0"), 1),  # 35.1-36.0
    (Decimal("38.0"), 0),  # 36.1-38.0
    (Decimal("39.0"), 1),  # 38.1-39.0
    (None, 2),  # >=39.1
)
AIR_SCORE: Final = 0
OXYGEN_SCORE: Final = 2  # any supplemental oxygen scores 2 (RCP 2017)
CONSCIOUSNESS_SCORE: Final[Mapping[str, int]] = MappingProxyType(
    {"A": 0, "C": 3, "V": 3, "P": 3, "U": 3}
)

_SPO2_MAX: Final = Decimal(100)
_SCALE_2_AIR_THRESHOLD: Final = Decimal(93)


# --------------------------------------------------------------------------- decimal rule


def as_decimal(value: Number, name: str = "value") -> Decimal:
    """Convert a numeric observation to an exact, finite, non-negative ``Decimal``.

    Floats go through ``str()`` so the decimal the user typed (38.05) is kept rather than
    its binary approximation. Raises ``TypeError`` for non-numbers (including ``bool``)
    and ``ValueError`` for NaN, infinities and negative values.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
        result = Decimal(str(value))
    else:
        result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{name} must be finite, got {value!r}")
    if result < 0:
        raise ValueError(f"{name} must not be negative, got {value!r}")
    return result


def _quantize(value: Number, exponent: Decimal, name: str) -> Decimal:
    number = as_decimal(value, name)
    try:
        return number.quantize(exponent, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"{name} is out of range: {value!r}") from None


def round_whole(value: Number, name: str = "value") -> int:
    """Round an integer-charted observation (RR, SpO2, BP, HR) half-up to a whole number.

    The RCP chart is read on whole-number observations, so 90.5 bpm is charted as 91.
    """
    return int(_quantize(value, _WHOLE, name))


def round_temperature(value: Number, name: str = "temperature") -> Decimal:
    """Round a temperature (degC) half-up to one decimal place, the chart's resolution."""
    return _quantize(value, _TENTH, name)


def _lookup(value: int | Decimal, table: _Table) -> int:
    for upper, score in table:
        if upper is None or value <= upper:
            return score
    raise AssertionError("lookup table without a catch-all row")  # pragma: no cover


# ------------------------------------------------------------------ per-parameter scores


def score_respiratory_rate(value: Number | None) -> int | None:
    """Score respiration rate (breaths/min): <=8:3, 9-11:1, 12-20:0, 21-24:2, >=25:3."""
    if value is None:
        return None
    return _lookup(round_whole(value, "respiratory_rate"), RESPIRATORY_RATE_TABLE)


def _validate_scale(scale: int | None) -> int:
    # Scale 1 is the default: scale 2 is only used when a clinician has documented a
    # target range of 88-92 % (RCP 2017), so an unrecorded scale means scale 1.
    if scale is None:
        return 1
    if isinstance(scale, bool) or scale not in SPO2_SCALES:
        raise ValueError(f"spo2_scale must be 1 or 2, got {scale!r}")
    return scale


def _validate_on_oxygen(on_oxygen: bool | None) -> None:
    if on_oxygen is not None and not isinstance(on_oxygen, bool):
        raise TypeError(f"on_oxygen must be a bool or None, got {type(on_oxygen).__name__}")


def score_spo2(
    value: Number | None, *, scale: int | None = 1, on_oxygen: bool | None = None
) -> int | None:
    """Score oxygen saturation (%) on SpO2 scale 1 or 2.

    Scale 1: <=91:3, 92-93:2, 94-95:1, >=96:0 (``on_oxygen`` is not needed).
    Scale 2: <=83:3, 84-85:2, 86-87:1, 88-92:0; from 93 on air 0, on oxygen 93-94:1,
    95-96:2, >=97:3. On scale 2 a saturation of 93 % or more cannot be scored without
    knowing whether the patient is on oxygen, so ``on_oxygen=None`` returns ``None``.
    ``scale=None`` means scale 1. Values above 100 % are rejected.
    """
    chosen_scale = _validate_scale(scale)
    _validate_on_oxygen(on_oxygen)
    if value is None:
        return None
    if as_decimal(value, "spo2") > _SPO2_MAX:
        raise ValueError(f"spo2 must not exceed 100 %, got {value!r}")
    spo2 = round_whole(value, "spo2")
    if chosen_scale == 1:
        return _lookup(spo2, SPO2_SCALE_1_TABLE)
    if spo2 < _SCALE_2_AIR_THRESHOLD:
        return _lookup(spo2, SPO2_SCALE_2_TABLE)
    if on_oxygen is None:
        return None
    if not on_oxygen:
        return AIR_SCORE  # >=93 on air scores 0 on scale 2
    return _lookup(spo2, SPO2_SCALE_2_ON_OXYGEN_TABLE)


def score_air_or_oxygen(on_oxygen: bool | None) -> int | None:
    """Score the 'air or oxygen?' row: air 0, any supplemental oxygen 2."""
    _validate_on_oxygen(on_oxygen)
    if on_oxygen is None:
        return None
    return OXYGEN_SCORE if on_oxygen else AIR_SCORE


def score_systolic_bp(value: Number | None) -> int | None:
    """Score systolic BP (mmHg): <=90:3, 91-100:2, 101-110:1, 111-219:0, >=220:3."""
    if value is None:
        return None
    return _lookup(round_whole(value, "systolic_bp"), SYSTOLIC_BP_TABLE)


def score_heart_rate(value: Number | None) -> int | None:
    """Score pulse (beats/min): <=40:3, 41-50:1, 51-90:0, 91-110:1, 111-130:2, >=131:3."""
    if value is None:
        return None
    return _lookup(round_whole(value, "heart_rate"), HEART_RATE_TABLE)


def normalize_consciousness(value: str | None) -> str | None:
    """Return the ACVPU letter in upper case, or ``None``; reject anything else."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"consciousness must be a str, got {type(value).__name__}")
    letter = value.strip().upper()
    if letter not in CONSCIOUSNESS_LEVELS:
        raise ValueError(f"consciousness must be one of A, C, V, P, U, got {value!r}")
    return letter


def score_consciousness(value: str | None) -> int | None:
    """Score consciousness (ACVPU): Alert 0; new Confusion, Voice, Pain, Unresponsive 3."""
    letter = normalize_consciousness(value)
    if letter is None:
        return None
    return CONSCIOUSNESS_SCORE[letter]


def score_temperature(value: Number | None) -> int | None:
    """Score temperature (degC): <=35.0:3, 35.1-36.0:1, 36.1-38.0:0, 38.1-39.0:1, >=39.1:2."""
    if value is None:
        return None
    return _lookup(round_temperature(value), TEMPERATURE_TABLE)


# ---------------------------------------------------------------------------- aggregate


def news2_band(total: int, *, single_parameter_3: bool) -> Band:
    """Return the clinical-risk band for an aggregate score (RCP 2017).

    0-4 low, unless any single parameter scores 3 ('red score'), then low-medium;
    5-6 medium; 7 or more high. A single 3 does not lower a medium or high band.
    """
    if total >= 7:
        return Band.HIGH
    if total >= 5:
        return Band.MEDIUM
    if single_parameter_3:
        return Band.LOW_MEDIUM
    return Band.LOW


@dataclass(frozen=True)
class Vitals:
    """One set of bedside observations; any value may be ``None`` (not recorded).

    ``spo2_scale`` ``None`` means scale 1 (the default scale). ``consciousness`` is an
    ACVPU letter. ``temperature`` is in degC, blood pressure in mmHg, rates per minute.
    """

    respiratory_rate: Number | None = None
    spo2: Number | None = None
    spo2_scale: int | None = None
    on_oxygen: bool | None = None
    systolic_bp: Number | None = None
    heart_rate: Number | None = None
    consciousness: str | None = None
    temperature: Number | None = None


def _str_or_none(value: str | None) -> str | None:
    # StrEnum members become plain str so JSON encoders and comparisons see no enum.
    return None if value is None else str(value)


def _empty_components() -> Mapping[str, int | None]:
    return MappingProxyType(dict.fromkeys(COMPONENTS))


@dataclass(frozen=True)
class News2Result:
    """Outcome of :func:`news2_score`.

    * ``applicable`` False: NEWS2 must not be used for this patient;
      ``not_applicable_reason`` holds the code, ``total``/``band`` are ``None``, every
      component is ``None`` and ``missing`` is empty (nothing was attempted).
    * ``total``: sum of the components that could be scored. ``band``: band of that
      partial sum, so an incomplete set still shows what is already known. Both are
      ``None`` when no component at all could be scored.
    * ``complete``: all seven components were scored; only then is the score a true NEWS2.
    * ``components``: every parameter in chart order, ``None`` where it could not be
      scored; ``missing`` lists those names in the same order.
    """

    applicable: bool
    not_applicable_reason: NotApplicableReason | None
    total: int | None
    band: Band | None
    single_parameter_3: bool
    complete: bool
    components: Mapping[str, int | None] = field(default_factory=_empty_components)
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict with the same keys whether applicable or not."""
        return {
            "applicable": self.applicable,
            "reason": _str_or_none(self.not_applicable_reason),
            "total": self.total,
            "band": _str_or_none(self.band),
            "single_parameter_3": self.single_parameter_3,
            "complete": self.complete,
            "components": dict(self.components),
            "missing": list(self.missing),
        }


def news2_applicability(*, age_years: int | None, pregnant: bool) -> NotApplicableReason | None:
    """Return why NEWS2 does not apply, or ``None`` when it does.

    RCP 2017 excludes children (under 16) and pregnant women. An unknown age
    (``None``) is taken as adult: Careboard is used on adult wards.
    """
    if age_years is not None:
        if isinstance(age_years, bool) or not isinstance(age_years, int):
            raise TypeError(f"age_years must be an int or None, got {type(age_years).__name__}")
        if age_years < 0:
            raise ValueError(f"age_years must not be negative, got {age_years!r}")
        if age_years < ADULT_AGE_YEARS:
            return NotApplicableReason.UNDER_16
    if not isinstance(pregnant, bool):
        raise TypeError(f"pregnant must be a bool, got {type(pregnant).__name__}")
    if pregnant:
        return NotApplicableReason.PREGNANCY
    return None


_MEMO_SIZE: Final = 20_000


def _remembered(score: Callable[..., int | None]) -> Callable[..., int | None]:
    """``score`` remembering its result per argument (keyed with the argument's type, so
    ``38.05`` and ``Decimal("38.05")`` stay apart): bedside values repeat, and scoring a
    file of observations asks for the same few hundred values again and again. Values
    that fail are not remembered (they raise each time), nor unhashable ones."""
    seen: dict[tuple[Any, ...], int | None] = {}

    def scored(*args: Any) -> int | None:
        key = tuple((arg.__class__, arg) for arg in args)
        try:
            return seen[key]
        except KeyError:
            result = score(*args)
            if len(seen) >= _MEMO_SIZE:
                seen.clear()
            seen[key] = result
            return result
        except TypeError:
            return score(*args)

    return scored


def _spo2_of(value: Number | None, scale: int | None, on_oxygen: bool | None) -> int | None:
    return score_spo2(value, scale=scale, on_oxygen=on_oxygen)


_COMPONENT_SCORES: Final = (
    _remembered(score_respiratory_rate),
    _remembered(_spo2_of),
    _remembered(score_air_or_oxygen),
    _remembered(score_systolic_bp),
    _remembered(score_heart_rate),
    _remembered(score_consciousness),
    _remembered(score_temperature),
)


def news2_score(
    vitals: Vitals, *, age_years: int | None = None, pregnant: bool = False
) -> News2Result:
    """Compute NEWS2 for one set of observations (RCP 2017 chart).

    Returns a not-applicable result for patients under 16 or pregnant. Values between
    the chart's printed numbers follow the decimal rule (see module docstring).
    Raises ``TypeError``/``ValueError`` for values that are not valid observations.
    """
    rr, spo2, air, sbp, hr, avpu, temp = _COMPONENT_SCORES
    scores = (
        rr(vitals.respiratory_rate),
        spo2(vitals.spo2, vitals.spo2_scale, vitals.on_oxygen),
        air(vitals.on_oxygen),
        sbp(vitals.systolic_bp),
        hr(vitals.heart_rate),
        avpu(vitals.consciousness),
        temp(vitals.temperature),
    )
    # Validate every value first, so bad data is reported even for excluded patients.
    reason = news2_applicability(age_years=age_years, pregnant=pregnant)
    return _result(scores, reason)


@functools.lru_cache(maxsize=4096)
def _result(scores: tuple[int | None, ...], reason: NotApplicableReason | None) -> News2Result:
    """The result of the component scores (in ``COMPONENTS`` order): one shared, frozen
    object per combination."""
    if reason is not None:
        return News2Result(
            applicable=False,
            not_applicable_reason=reason,
            total=None,
            band=None,
            single_parameter_3=False,
            complete=False,
        )

    components = MappingProxyType(dict(zip(COMPONENTS, scores, strict=True)))
    present = [score for score in components.values() if score is not None]
    missing = tuple(name for name, score in components.items() if score is None)
    single_parameter_3 = any(score == 3 for score in present)
    if present:
        total: int | None = sum(present)
        band: Band | None = news2_band(sum(present), single_parameter_3=single_parameter_3)
    else:
        total = None
        band = None
    return News2Result(
        applicable=True,
        not_applicable_reason=None,
        total=total,
        band=band,
        single_parameter_3=single_parameter_3,
        complete=not missing,
        components=components,
        missing=missing,
    )
