"""NEWS2 (RCP 2017): every chart boundary on both sides, the decimal rule, missing values,
SpO2 scale 2 on air and oxygen, bands with a single 3, and the not-applicable groups."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from careboard.patients.scoring.news2 import (
    BAND_RANK,
    COMPONENTS,
    Band,
    NotApplicableReason,
    Vitals,
    band_rank,
    news2_band,
    news2_score,
    round_temperature,
    round_whole,
    score_air_or_oxygen,
    score_consciousness,
    score_heart_rate,
    score_respiratory_rate,
    score_spo2,
    score_systolic_bp,
    score_temperature,
)

# A complete set that scores 0 everywhere; tests replace single values.
NORMAL = Vitals(
    respiratory_rate=16,
    spo2=97,
    spo2_scale=1,
    on_oxygen=False,
    systolic_bp=120,
    heart_rate=70,
    consciousness="A",
    temperature=37.0,
)


def _with(**changes: object) -> Vitals:
    values = {name: getattr(NORMAL, name) for name in NORMAL.__dataclass_fields__}
    values.update(changes)
    return Vitals(**values)


# ------------------------------------------------------------------- respiration rate


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 3),
        (8, 3),
        (9, 1),
        (11, 1),
        (12, 0),
        (20, 0),
        (21, 2),
        (24, 2),
        (25, 3),
        (60, 3),
    ],
)
def test_respiratory_rate_scores_each_chart_band(value: int, expected: int) -> None:
    assert score_respiratory_rate(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (8.49, 3),
        (8.5, 1),
        (11.49, 1),
        (11.5, 0),
        (20.49, 0),
        (20.5, 2),
        (Decimal("20.5"), 2),
        (24.49, 2),
        (24.5, 3),
    ],
)
def test_respiratory_rate_decimals_round_half_up_to_whole_breaths(
    value: float | Decimal, expected: int
) -> None:
    assert score_respiratory_rate(value) == expected


# ---------------------------------------------------------------------------- SpO2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 3),
        (91, 3),
        (92, 2),
        (93, 2),
        (94, 1),
        (95, 1),
        (96, 0),
        (100, 0),
    ],
)
@pytest.mark.parametrize("on_oxygen", [None, False, True])
def test_spo2_scale_1_scores_each_band_whatever_the_oxygen(
    value: int, expected: int, on_oxygen: bool | None
) -> None:
    assert score_spo2(value, scale=1, on_oxygen=on_oxygen) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (91.49, 3),
        (91.5, 2),
        (93.49, 2),
        (93.5, 1),
        (95.49, 1),
        (95.5, 0),
        (Decimal("95.5"), 0),
    ],
)
def test_spo2_scale_1_decimals_round_half_up_to_whole_percent(
    value: float | Decimal, expected: int
) -> None:
    assert score_spo2(value, scale=1) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 3),
        (83, 3),
        (84, 2),
        (85, 2),
        (86, 1),
        (87, 1),
        (88, 0),
        (92, 0),
        (92.49, 0),
    ],
)
@pytest.mark.parametrize("on_oxygen", [None, False, True])
def test_spo2_scale_2_up_to_92_scores_the_same_on_air_or_oxygen(
    value: float, expected: int, on_oxygen: bool | None
) -> None:
    assert score_spo2(value, scale=2, on_oxygen=on_oxygen) == expected


@pytest.mark.parametrize("value", [92.5, 93, 94, 95, 96, 97, 100])
def test_spo2_scale_2_from_93_on_air_scores_0(value: float) -> None:
    assert score_spo2(value, scale=2, on_oxygen=False) == 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (92, 0),
        (92.5, 1),
        (93, 1),
        (94, 1),
        (94.49, 1),
        (94.5, 2),
        (95, 2),
        (96, 2),
        (96.5, 3),
        (97, 3),
        (100, 3),
    ],
)
def test_spo2_scale_2_from_93_on_oxygen_scores_over_oxygenation(
    value: float, expected: int
) -> None:
    assert score_spo2(value, scale=2, on_oxygen=True) == expected


@pytest.mark.parametrize("value", [92.5, 93, 96, 100])
def test_spo2_scale_2_from_93_without_oxygen_status_cannot_be_scored(value: float) -> None:
    assert score_spo2(value, scale=2, on_oxygen=None) is None


def test_spo2_without_a_scale_uses_scale_1() -> None:
    assert score_spo2(88, scale=None) == 3  # scale 2 would score 0


def test_spo2_missing_is_none() -> None:
    assert score_spo2(None, scale=2, on_oxygen=True) is None


# --------------------------------------------------------------------- air or oxygen


@pytest.mark.parametrize(("on_oxygen", "expected"), [(False, 0), (True, 2), (None, None)])
def test_air_scores_0_and_oxygen_scores_2(on_oxygen: bool | None, expected: int | None) -> None:
    assert score_air_or_oxygen(on_oxygen) == expected


# ------------------------------------------------------------------------ systolic BP


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 3),
        (90, 3),
        (91, 2),
        (100, 2),
        (101, 1),
        (110, 1),
        (111, 0),
        (219, 0),
        (220, 3),
        (300, 3),
    ],
)
def test_systolic_bp_scores_each_chart_band(value: int, expected: int) -> None:
    assert score_systolic_bp(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90.49, 3),
        (90.5, 2),
        (100.49, 2),
        (100.5, 1),
        (110.49, 1),
        (110.5, 0),
        (219.49, 0),
        (219.5, 3),
        (Decimal("219.5"), 3),
    ],
)
def test_systolic_bp_decimals_round_half_up_to_whole_mmhg(
    value: float | Decimal, expected: int
) -> None:
    assert score_systolic_bp(value) == expected


# ------------------------------------------------------------------------- heart rate


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 3),
        (40, 3),
        (41, 1),
        (50, 1),
        (51, 0),
        (90, 0),
        (91, 1),
        (110, 1),
        (111, 2),
        (130, 2),
        (131, 3),
        (250, 3),
    ],
)
def test_heart_rate_scores_each_chart_band(value: int, expected: int) -> None:
    assert score_heart_rate(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (40.49, 3),
        (40.5, 1),
        (50.49, 1),
        (50.5, 0),
        (90.49, 0),
        (90.5, 1),
        (Decimal("90.5"), 1),
        (110.49, 1),
        (110.5, 2),
        (130.49, 2),
        (130.5, 3),
    ],
)
def test_heart_rate_decimals_round_half_up_to_whole_beats(
    value: float | Decimal, expected: int
) -> None:
    assert score_heart_rate(value) == expected


# ---------------------------------------------------------------------- consciousness


@pytest.mark.parametrize(
    ("value", "expected"),
    [("A", 0), ("C", 3), ("V", 3), ("P", 3), ("U", 3), ("a", 0), (" v ", 3), (None, None)],
)
def test_consciousness_alert_scores_0_and_cvpu_score_3(
    value: str | None, expected: int | None
) -> None:
    assert score_consciousness(value) == expected


@pytest.mark.parametrize("value", ["X", "", "AVPU", "alert"])
def test_consciousness_rejects_anything_but_acvpu(value: str) -> None:
    with pytest.raises(ValueError, match="consciousness"):
        score_consciousness(value)


# ------------------------------------------------------------------------ temperature


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (30.0, 3),
        (35.0, 3),
        (35.1, 1),
        (36.0, 1),
        (36.1, 0),
        (38.0, 0),
        (38.1, 1),
        (39.0, 1),
        (39.1, 2),
        (42.0, 2),
        (37, 0),
    ],
)
def test_temperature_scores_each_chart_band(value: float, expected: int) -> None:
    assert score_temperature(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (35.04, 3),
        (35.05, 1),
        (36.04, 1),
        (36.05, 0),
        (38.04, 0),
        (38.05, 1),
        (Decimal("38.05"), 1),
        (Decimal("38.049"), 0),
        (39.04, 1),
        (39.05, 2),
    ],
)
def test_temperature_decimals_round_half_up_to_a_tenth(
    value: float | Decimal, expected: int
) -> None:
    assert score_temperature(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(36.05, Decimal("36.1")), (38.05, Decimal("38.1"))]
)
def test_temperature_rounding_has_no_float_artefacts(value: float, expected: Decimal) -> None:
    # Decimal(38.05) is 38.0499999...; the rule must see the 38.05 that was typed.
    assert round_temperature(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(90.5, 91), (90.49, 90), (Decimal("0.5"), 1), (2.5, 3), (3.5, 4), (7, 7)],
)
def test_round_whole_is_half_up_not_bankers_rounding(value: float | Decimal, expected: int) -> None:
    assert round_whole(value) == expected


# ------------------------------------------------------------------------ invalid data


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("respiratory_rate", -1, ValueError),
        ("respiratory_rate", float("nan"), ValueError),
        ("heart_rate", float("inf"), ValueError),
        ("heart_rate", Decimal("NaN"), ValueError),
        ("systolic_bp", "120", TypeError),
        ("systolic_bp", True, TypeError),
        ("temperature", -0.1, ValueError),
        ("spo2", 100.1, ValueError),
        ("spo2_scale", 3, ValueError),
        ("spo2_scale", True, ValueError),
        ("on_oxygen", "yes", TypeError),
        ("consciousness", 1, TypeError),
    ],
)
def test_invalid_observations_are_rejected(field: str, value: object, error: type) -> None:
    with pytest.raises(error, match=field.split("_")[0]):
        news2_score(_with(**{field: value}))


# ------------------------------------------------------------------------------ bands


@pytest.mark.parametrize(
    ("total", "single_parameter_3", "expected"),
    [
        (0, False, Band.LOW),
        (4, False, Band.LOW),
        (3, True, Band.LOW_MEDIUM),
        (4, True, Band.LOW_MEDIUM),
        (5, False, Band.MEDIUM),
        (5, True, Band.MEDIUM),
        (6, True, Band.MEDIUM),
        (7, False, Band.HIGH),
        (7, True, Band.HIGH),
        (20, True, Band.HIGH),
    ],
)
def test_band_thresholds(total: int, single_parameter_3: bool, expected: Band) -> None:
    assert news2_band(total, single_parameter_3=single_parameter_3) == expected


def test_band_values_are_the_documented_strings() -> None:
    assert [str(band) for band in Band] == ["low", "low-medium", "medium", "high"]


def test_band_rank_sorts_high_above_medium_above_low_medium_above_low() -> None:
    bands = ["medium", "low", "high", "low-medium", None]
    assert sorted(bands, key=band_rank, reverse=True) == [
        "high",
        "medium",
        "low-medium",
        "low",
        None,
    ]
    assert BAND_RANK["high"] > BAND_RANK["medium"] > BAND_RANK["low-medium"] > BAND_RANK["low"]


def test_band_rank_rejects_unknown_band() -> None:
    with pytest.raises(ValueError, match="band"):
        band_rank("critical")


# ---------------------------------------------------------------------------- totals


def test_normal_observation_scores_0_low_and_complete() -> None:
    result = news2_score(NORMAL)
    assert result.total == 0
    assert result.band == Band.LOW
    assert result.complete is True
    assert result.missing == ()
    assert result.single_parameter_3 is False
    assert tuple(result.components) == COMPONENTS


def test_total_is_the_sum_of_all_components() -> None:
    result = news2_score(
        Vitals(
            respiratory_rate=22,  # 2
            spo2=95,  # 1
            on_oxygen=True,  # 2
            systolic_bp=105,  # 1
            heart_rate=95,  # 1
            consciousness="A",  # 0
            temperature=38.5,  # 1
        )
    )
    assert dict(result.components) == {
        "respiratory_rate": 2,
        "spo2": 1,
        "air_or_oxygen": 2,
        "systolic_bp": 1,
        "heart_rate": 1,
        "consciousness": 0,
        "temperature": 1,
    }
    assert result.total == 8
    assert result.band == Band.HIGH


def test_maximum_score_is_20() -> None:
    result = news2_score(
        Vitals(
            respiratory_rate=30,
            spo2=85,
            on_oxygen=True,
            systolic_bp=80,
            heart_rate=140,
            consciousness="U",
            temperature=34.0,
        )
    )
    assert result.total == 20
    assert result.band == Band.HIGH


@pytest.mark.parametrize(
    ("changes", "total", "band"),
    [
        ({"consciousness": "C"}, 3, Band.LOW_MEDIUM),
        ({"consciousness": "V", "heart_rate": 95}, 4, Band.LOW_MEDIUM),
        ({"consciousness": "P", "heart_rate": 95, "temperature": 38.5}, 5, Band.MEDIUM),
        ({"respiratory_rate": 8}, 3, Band.LOW_MEDIUM),
        ({"systolic_bp": 220}, 3, Band.LOW_MEDIUM),
        ({"heart_rate": 95, "temperature": 38.5, "spo2": 95}, 3, Band.LOW),
        ({"heart_rate": 115, "temperature": 39.5}, 4, Band.LOW),
    ],
)
def test_single_parameter_scoring_3_raises_a_low_total_to_low_medium(
    changes: dict[str, object], total: int, band: Band
) -> None:
    result = news2_score(_with(**changes))
    assert result.total == total
    assert result.band == band
    assert result.single_parameter_3 is any(v == 3 for v in result.components.values())


def test_decimal_rule_applies_to_the_whole_score() -> None:
    result = news2_score(
        _with(respiratory_rate=20.5, spo2=95.5, heart_rate=90.5, temperature=38.05)
    )
    assert dict(result.components) == {
        "respiratory_rate": 2,
        "spo2": 0,
        "air_or_oxygen": 0,
        "systolic_bp": 0,
        "heart_rate": 1,
        "consciousness": 0,
        "temperature": 1,
    }
    assert result.total == 4


@pytest.mark.parametrize("number_type", [int, float, Decimal])
def test_int_float_and_decimal_inputs_score_alike(number_type: type) -> None:
    vitals = Vitals(
        respiratory_rate=number_type(22),
        spo2=number_type(95),
        on_oxygen=False,
        systolic_bp=number_type(100),
        heart_rate=number_type(111),
        consciousness="A",
        temperature=number_type(39),
    )
    assert news2_score(vitals).total == 2 + 1 + 0 + 2 + 2 + 0 + 1


# ------------------------------------------------------------------- missing values


def test_missing_parameter_makes_the_score_incomplete_but_still_banded() -> None:
    result = news2_score(_with(temperature=None, heart_rate=135))
    assert result.complete is False
    assert result.missing == ("temperature",)
    assert result.components["temperature"] is None
    assert result.total == 3
    assert result.band == Band.LOW_MEDIUM


def test_missing_names_follow_chart_order() -> None:
    result = news2_score(Vitals(heart_rate=80, consciousness="A"))
    assert result.missing == (
        "respiratory_rate",
        "spo2",
        "air_or_oxygen",
        "systolic_bp",
        "temperature",
    )
    assert result.total == 0
    assert result.band == Band.LOW


def test_no_observation_at_all_has_no_total_and_no_band() -> None:
    result = news2_score(Vitals())
    assert result.applicable is True
    assert result.total is None
    assert result.band is None
    assert result.complete is False
    assert result.missing == COMPONENTS
    assert result.single_parameter_3 is False


def test_scale_1_without_oxygen_status_scores_spo2_but_misses_air_or_oxygen() -> None:
    result = news2_score(_with(spo2=93, on_oxygen=None))
    assert result.components["spo2"] == 2
    assert result.components["air_or_oxygen"] is None
    assert result.missing == ("air_or_oxygen",)


def test_scale_2_on_air_at_95_scores_0_for_both_oxygen_rows() -> None:
    result = news2_score(_with(spo2_scale=2, spo2=95, on_oxygen=False))
    assert result.components["spo2"] == 0
    assert result.components["air_or_oxygen"] == 0
    assert result.total == 0
    assert result.complete is True


def test_scale_2_on_oxygen_at_97_scores_3_plus_2() -> None:
    result = news2_score(_with(spo2_scale=2, spo2=97, on_oxygen=True))
    assert result.components["spo2"] == 3
    assert result.components["air_or_oxygen"] == 2
    assert result.total == 5
    assert result.band == Band.MEDIUM
    assert result.single_parameter_3 is True


def test_scale_2_at_93_without_oxygen_status_misses_both_oxygen_rows() -> None:
    result = news2_score(_with(spo2_scale=2, spo2=93, on_oxygen=None))
    assert result.components["spo2"] is None
    assert result.components["air_or_oxygen"] is None
    assert result.missing == ("spo2", "air_or_oxygen")
    assert result.complete is False


def test_scale_2_at_90_without_oxygen_status_scores_spo2() -> None:
    result = news2_score(_with(spo2_scale=2, spo2=90, on_oxygen=None))
    assert result.components["spo2"] == 0
    assert result.missing == ("air_or_oxygen",)


# ---------------------------------------------------------------------- applicability


@pytest.mark.parametrize(
    ("age_years", "pregnant", "reason"),
    [
        (0, False, NotApplicableReason.UNDER_16),
        (15, False, NotApplicableReason.UNDER_16),
        (15, True, NotApplicableReason.UNDER_16),
        (16, True, NotApplicableReason.PREGNANCY),
        (None, True, NotApplicableReason.PREGNANCY),
    ],
)
def test_children_under_16_and_pregnancy_are_not_applicable(
    age_years: int | None, pregnant: bool, reason: NotApplicableReason
) -> None:
    result = news2_score(NORMAL, age_years=age_years, pregnant=pregnant)
    assert result.applicable is False
    assert result.not_applicable_reason == reason
    assert result.total is None
    assert result.band is None
    assert result.complete is False
    assert result.missing == ()
    assert set(result.components.values()) == {None}


@pytest.mark.parametrize("age_years", [16, 17, 90, None])
def test_adults_from_16_and_unknown_age_are_scored(age_years: int | None) -> None:
    result = news2_score(NORMAL, age_years=age_years)
    assert result.applicable is True
    assert result.not_applicable_reason is None
    assert result.total == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"age_years": -1}, ValueError),
        ({"age_years": 30.5}, TypeError),
        ({"age_years": True}, TypeError),
        ({"pregnant": None}, TypeError),
    ],
)
def test_invalid_age_or_pregnancy_is_rejected(kwargs: dict[str, object], error: type) -> None:
    with pytest.raises(error, match="age_years|pregnant"):
        news2_score(NORMAL, **kwargs)  # type: ignore[arg-type]


def test_invalid_vitals_are_rejected_even_when_not_applicable() -> None:
    with pytest.raises(ValueError, match="heart_rate"):
        news2_score(_with(heart_rate=-5), age_years=10)


# --------------------------------------------------------------------------- to_dict


def test_to_dict_of_a_complete_score() -> None:
    result = news2_score(_with(respiratory_rate=22, heart_rate=95, temperature=38.5, spo2=95))
    assert result.to_dict() == {
        "applicable": True,
        "reason": None,
        "total": 5,
        "band": "medium",
        "single_parameter_3": False,
        "complete": True,
        "components": {
            "respiratory_rate": 2,
            "spo2": 1,
            "air_or_oxygen": 0,
            "systolic_bp": 0,
            "heart_rate": 1,
            "consciousness": 0,
            "temperature": 1,
        },
        "missing": [],
    }


def test_to_dict_of_an_incomplete_score_lists_missing() -> None:
    data = news2_score(_with(systolic_bp=None)).to_dict()
    assert data["complete"] is False
    assert data["missing"] == ["systolic_bp"]
    assert data["components"]["systolic_bp"] is None


def test_to_dict_when_not_applicable() -> None:
    assert news2_score(NORMAL, pregnant=True).to_dict() == {
        "applicable": False,
        "reason": "pregnancy",
        "total": None,
        "band": None,
        "single_parameter_3": False,
        "complete": False,
        "components": dict.fromkeys(COMPONENTS),
        "missing": [],
    }


def test_to_dict_is_json_serialisable_with_plain_strings() -> None:
    data = news2_score(_with(consciousness="V")).to_dict()
    assert type(data["band"]) is str
    assert json.loads(json.dumps(data)) == data


def test_result_is_immutable() -> None:
    result = news2_score(NORMAL)
    with pytest.raises(AttributeError):
        result.total = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.components["spo2"] = 3  # type: ignore[index]
