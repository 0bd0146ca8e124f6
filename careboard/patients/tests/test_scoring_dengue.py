"""WHO 2009 dengue classification: warning signs (recorded and computed), shock signs,
severity priority, result shape and the critical-phase hint."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from careboard.patients.scoring.dengue import (
    PHASES,
    WARNING_SIGN_CODES,
    DengueClass,
    DengueObservation,
    LabResult,
    classify_dengue,
    suggest_critical_phase,
)

STABLE_VITALS = {"systolic_bp": 120, "diastolic_bp": 80, "heart_rate": 80, "consciousness": "A"}


def _classify(
    *,
    baseline: float | Decimal | None = None,
    previous: LabResult | None = None,
    **observation: object,
) -> tuple[DengueClass, tuple[str, ...], tuple[str, ...]]:
    result = classify_dengue(
        DengueObservation(**observation),  # type: ignore[arg-type]
        baseline_hematocrit=baseline,
        previous_lab=previous,
    )
    return result.classification, result.warning_signs, result.shock_signs


# ------------------------------------------------------------------ recorded warning signs


def test_warning_sign_codes_are_the_six_who_clinical_signs() -> None:
    assert WARNING_SIGN_CODES == (
        "abdominal_pain",
        "persistent_vomiting",
        "fluid_accumulation",
        "mucosal_bleeding",
        "lethargy",
        "liver_enlargement",
    )


def test_no_findings_is_without_warning_signs() -> None:
    result = classify_dengue(DengueObservation(**STABLE_VITALS))  # type: ignore[arg-type]
    assert result.classification == DengueClass.WITHOUT_WARNING_SIGNS
    assert result.reasons == ()


def test_empty_observation_is_without_warning_signs() -> None:
    assert _classify()[0] == DengueClass.WITHOUT_WARNING_SIGNS


@pytest.mark.parametrize("code", WARNING_SIGN_CODES)
def test_each_recorded_warning_sign_alone_gives_with_warning_signs(code: str) -> None:
    result = classify_dengue(DengueObservation(warning_signs=(code,), **STABLE_VITALS))  # type: ignore[arg-type]
    assert result.classification == DengueClass.WITH_WARNING_SIGNS
    assert result.warning_signs == (code,)
    assert result.shock_signs == ()
    assert result.reasons[0].code == code
    assert result.reasons[0].text


def test_warning_signs_are_deduplicated_in_canonical_order() -> None:
    observation = DengueObservation(
        warning_signs=["lethargy", "abdominal_pain", "lethargy"]  # type: ignore[arg-type]
    )
    assert observation.warning_signs == ("abdominal_pain", "lethargy")


def test_unknown_warning_sign_is_rejected() -> None:
    with pytest.raises(ValueError, match="headache"):
        DengueObservation(warning_signs=("headache",))


def test_single_string_instead_of_codes_is_rejected() -> None:
    with pytest.raises(TypeError, match="iterable"):
        DengueObservation(warning_signs="lethargy")  # type: ignore[arg-type]


# ------------------------------------------------------------- hematocrit rise >= 20 %


@pytest.mark.parametrize(
    ("baseline", "hematocrit", "fires"),
    [
        (40, 47.9, False),
        (40, 47.99, False),
        (40, 48, True),  # exactly +20 %
        (40, 48.1, True),
        (35, 41.99, False),
        (35, 42, True),  # exactly +20 %
        (36.6, 43.91, False),
        (36.6, 43.92, True),  # exactly +20 %, where float division could miss
        (Decimal("36.6"), Decimal("43.92"), True),
        (0.40, 0.48, True),  # fractions instead of percent: relative rise is the same
        (40, 40, False),
        (40, 30, False),
    ],
)
def test_hematocrit_rise_of_20_percent_over_baseline(
    baseline: float, hematocrit: float, fires: bool
) -> None:
    classification, warning_signs, _ = _classify(baseline=baseline, hematocrit=hematocrit)
    assert ("hct_rise_20pct" in warning_signs) is fires
    expected = DengueClass.WITH_WARNING_SIGNS if fires else DengueClass.WITHOUT_WARNING_SIGNS
    assert classification == expected


@pytest.mark.parametrize(("baseline", "hematocrit"), [(None, 50), (40, None), (None, None)])
def test_hematocrit_rise_needs_baseline_and_current_value(
    baseline: float | None, hematocrit: float | None
) -> None:
    assert _classify(baseline=baseline, hematocrit=hematocrit)[1] == ()


def test_hematocrit_rise_reason_text_states_the_rise() -> None:
    result = classify_dengue(DengueObservation(hematocrit=48), baseline_hematocrit=40)
    assert result.reasons[0].to_dict() == {
        "code": "hct_rise_20pct",
        "text": "Hematocrit 48 is 20% above baseline 40",
    }


def test_zero_baseline_hematocrit_is_rejected() -> None:
    with pytest.raises(ValueError, match="baseline_hematocrit"):
        classify_dengue(DengueObservation(hematocrit=40), baseline_hematocrit=0)


# ---------------------------------------------- hematocrit rising while platelets falling


@pytest.mark.parametrize(
    ("previous", "hematocrit", "platelets", "fires"),
    [
        (LabResult(40, 150), 42, 100, True),  # platelets at the 100 boundary
        (LabResult(40, 150), 42, 100.5, False),  # just above 100
        (LabResult(40, 150), 42, 101, False),
        (LabResult(40, 150), 42, 50, True),
        (LabResult(40, 150), 40.1, 99, True),  # any hematocrit rise counts
        (LabResult(40, 150), 40, 90, False),  # hematocrit unchanged
        (LabResult(40, 150), 39, 90, False),  # hematocrit falling
        (LabResult(40, 90), 42, 90, False),  # platelets unchanged
        (LabResult(40, 80), 42, 90, False),  # platelets rising
        (LabResult(40, 90), 42, 89.9, True),
        (LabResult(Decimal("40.0"), Decimal("120")), Decimal("40.5"), Decimal("100"), True),
    ],
)
def test_hematocrit_rising_while_platelets_fall_to_100_or_below(
    previous: LabResult, hematocrit: float, platelets: float, fires: bool
) -> None:
    _, warning_signs, _ = _classify(previous=previous, hematocrit=hematocrit, platelets=platelets)
    assert ("hct_rising_platelets_falling" in warning_signs) is fires


@pytest.mark.parametrize(
    ("previous", "hematocrit", "platelets"),
    [
        (None, 42, 50),
        (LabResult(None, 150), 42, 50),
        (LabResult(40, None), 42, 50),
        (LabResult(40, 150), None, 50),
        (LabResult(40, 150), 42, None),
    ],
)
def test_hematocrit_and_platelet_trend_needs_both_values_in_both_results(
    previous: LabResult | None, hematocrit: float | None, platelets: float | None
) -> None:
    assert _classify(previous=previous, hematocrit=hematocrit, platelets=platelets)[1] == ()


def test_both_computed_warning_signs_can_fire_together() -> None:
    _, warning_signs, _ = _classify(
        baseline=38, previous=LabResult(44, 130), hematocrit=46, platelets=80
    )
    assert warning_signs == ("hct_rise_20pct", "hct_rising_platelets_falling")


# ---------------------------------------------------------------------------- shock signs


@pytest.mark.parametrize(
    ("systolic", "severe"),
    [(60, True), (89, True), (89.49, True), (89.5, False), (90, False), (120, False)],
)
def test_systolic_below_90_is_severe(systolic: float, severe: bool) -> None:
    classification, _, shock_signs = _classify(systolic_bp=systolic)
    assert (shock_signs == ("systolic_below_90",)) is severe
    assert (classification == DengueClass.SEVERE) is severe


@pytest.mark.parametrize(
    ("systolic", "diastolic", "heart_rate", "severe"),
    [
        (110, 90, 101, True),  # pulse pressure 20, HR 101
        (110, 90, 100, False),  # HR 100 is not tachycardia
        (110, 89, 101, False),  # pulse pressure 21
        (110, 95, 130, True),  # pulse pressure 15
        (110, 90, 100.5, True),  # HR rounds half-up to 101
        (110, 89.5, 120, True),  # diastolic rounds to 90: pulse pressure 20
        (110, 110, 120, True),  # pulse pressure 0
        (110, None, 130, False),
        (None, 90, 130, False),
        (110, 95, None, False),
    ],
)
def test_narrow_pulse_pressure_with_tachycardia_is_severe(
    systolic: float | None, diastolic: float | None, heart_rate: float | None, severe: bool
) -> None:
    classification, _, shock_signs = _classify(
        systolic_bp=systolic, diastolic_bp=diastolic, heart_rate=heart_rate
    )
    assert (shock_signs == ("narrow_pulse_pressure_tachycardia",)) is severe
    assert (classification == DengueClass.SEVERE) is severe


def test_tachycardia_threshold_can_be_set_for_children() -> None:
    observation = DengueObservation(systolic_bp=100, diastolic_bp=85, heart_rate=130)
    assert classify_dengue(observation).classification == DengueClass.SEVERE
    assert (
        classify_dengue(observation, tachycardia_above=140).classification
        == DengueClass.WITHOUT_WARNING_SIGNS
    )


@pytest.mark.parametrize(
    ("consciousness", "severe"),
    [("A", False), ("C", True), ("V", True), ("P", True), ("U", True), (None, False)],
)
def test_consciousness_other_than_alert_is_severe(consciousness: str | None, severe: bool) -> None:
    classification, _, shock_signs = _classify(consciousness=consciousness)
    assert (shock_signs == ("altered_consciousness",)) is severe
    assert (classification == DengueClass.SEVERE) is severe


def test_diastolic_above_systolic_is_rejected() -> None:
    with pytest.raises(ValueError, match="diastolic"):
        _classify(systolic_bp=90, diastolic_bp=100)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("hematocrit", -1, ValueError),
        ("platelets", "80", TypeError),
        ("heart_rate", float("nan"), ValueError),
        ("consciousness", "X", ValueError),
    ],
)
def test_invalid_values_are_rejected(field: str, value: object, error: type) -> None:
    with pytest.raises(error, match=field):
        _classify(**{field: value})  # type: ignore[arg-type]


# ------------------------------------------------------------------ priority and shape


def test_severe_takes_priority_and_still_lists_warning_signs() -> None:
    result = classify_dengue(
        DengueObservation(
            warning_signs=("mucosal_bleeding",),
            systolic_bp=85,
            diastolic_bp=70,
            heart_rate=120,
            consciousness="V",
            hematocrit=50,
        ),
        baseline_hematocrit=40,
    )
    assert result.classification == DengueClass.SEVERE
    assert result.shock_signs == (
        "systolic_below_90",
        "narrow_pulse_pressure_tachycardia",
        "altered_consciousness",
    )
    assert result.warning_signs == ("mucosal_bleeding", "hct_rise_20pct")
    assert [reason.code for reason in result.reasons] == [
        "systolic_below_90",
        "narrow_pulse_pressure_tachycardia",
        "altered_consciousness",
        "mucosal_bleeding",
        "hct_rise_20pct",
    ]


def test_to_dict_shape() -> None:
    result = classify_dengue(
        DengueObservation(warning_signs=("mucosal_bleeding",), systolic_bp=85, diastolic_bp=60)
    )
    data = result.to_dict()
    assert data == {
        "classification": "severe",
        "reasons": [
            {"code": "systolic_below_90", "text": "Systolic BP 85 mmHg < 90"},
            {"code": "mucosal_bleeding", "text": "Mucosal bleeding"},
        ],
        "warning_signs": ["mucosal_bleeding"],
        "shock_signs": ["systolic_below_90"],
    }
    assert type(data["classification"]) is str
    assert json.loads(json.dumps(data)) == data


def test_pulse_pressure_reason_text_names_the_numbers() -> None:
    result = classify_dengue(DengueObservation(systolic_bp=100, diastolic_bp=85, heart_rate=112))
    assert result.reasons[0].text == "Pulse pressure 15 mmHg <= 20 with heart rate 112/min > 100"


# ------------------------------------------------------------------ critical-phase hint


@pytest.mark.parametrize(
    ("previous_max", "temperature", "suggest"),
    [
        (38.1, 38.0, True),  # fever then defervescence at the boundary
        (39.5, 37.0, True),
        (38.1, 38.1, False),  # still febrile
        (38.0, 37.0, False),  # 38.0 was never fever
        (38.0, 38.0, False),
        (38.05, 37.5, True),  # 38.05 rounds to 38.1: fever
        (38.04, 37.5, False),  # 38.04 rounds to 38.0: no fever
        (39.0, 38.04, True),  # 38.04 rounds to 38.0: defervescence
        (39.0, 38.05, False),  # 38.05 rounds to 38.1: still febrile
        (Decimal("38.5"), Decimal("38.0"), True),
        (None, 37.0, False),
        (39.0, None, False),
    ],
)
def test_febrile_patient_whose_fever_falls_to_38_or_below_is_suggested_critical(
    previous_max: float | None, temperature: float | None, suggest: bool
) -> None:
    assert (
        suggest_critical_phase(
            phase="febrile", previous_max_temperature=previous_max, temperature=temperature
        )
        is suggest
    )


@pytest.mark.parametrize("phase", ["critical", "recovery"])
def test_critical_phase_is_only_suggested_from_febrile(phase: str) -> None:
    assert (
        suggest_critical_phase(phase=phase, previous_max_temperature=39.5, temperature=37.0)
        is False
    )


def test_phases_are_febrile_critical_recovery() -> None:
    assert PHASES == ("febrile", "critical", "recovery")


def test_unknown_phase_is_rejected() -> None:
    with pytest.raises(ValueError, match="phase"):
        suggest_critical_phase(phase="shock", previous_max_temperature=39, temperature=37)
