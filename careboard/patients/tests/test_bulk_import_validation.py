"""The import's remembered validation accepts and refuses exactly what the API's
serializer does, with the same values and messages (boundary values of every field)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from careboard.patients.api.serializers import ObservationRecordSerializer
from careboard.patients.bulk_import import RejectedRowError, ValuesValidator, flatten

CASES = (
    [
        {"temperature": v}
        for v in (
            "10.0",
            "9.9",
            "46",
            "46.0",
            "46.1",
            "37.25",
            "37.",
            " 37 ",
            "1e1",
            "NaN",
            "-1",
            37.5,
        )
    ]
    + [{"heart_rate": v} for v in ("0", "350", "350.1", "-0.1", "80.05", 80, 80.0, True, "", None)]
    + [{"spo2": v} for v in ("100", "100.0", "100.1", "0", "abc", "097")]
    + [{"pain_score": v} for v in ("0", "10", "11", "-1", "5.0", "5.5", 5, 5.0, True, " 7 ")]
    + [{"fluid_in_oral": v} for v in ("0", "20000", "20001", "350")]
    + [{"on_oxygen": v} for v in ("true", "false", "True", "1", "0", "yes", "maybe", 1, 0, 2, None)]
    + [{"consciousness": v} for v in ("A", "C", "V", "P", "U", "a", "X", "", None, 1)]
    + [{"weight": v} for v in ("0.2", "0.19", "700", "700.01", "70.25", "70.255")]
    + [{"platelets": v} for v in ("3000", "3000.1", "150.5", "12345.6")]
    + [
        {"warning_signs": v}
        for v in (
            [],
            ["lethargy"],
            ["lethargy", "lethargy"],
            ["nope"],
            ["abdominal_pain", "lethargy", "mucosal_bleeding"],
            "lethargy",
            [["lethargy"]],
        )
    ]
    + [
        {"notes": v}
        for v in ("Back-filled", "  padded  ", "", "x" * 2000, "x" * 2001, "a\x00b", 12)
    ]
    + [
        {"recorded_at": v}
        for v in (
            "2025-01-02T03:04:05+07:00",
            "2025-01-02T03:04:05Z",
            "2025-01-02T03:04:05.123456-03:30",
            "2025-01-02 03:04:05+00:00",
            "2025-01-02T03:04:05",
            "2025-01-02T03:04:05+0700",
            "2025-01-02T03:04+07:00",
            "2025-01-02",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-14:00",
            "2025-02-30T03:04:05Z",
            "2025-01-02T03:04:05+07:00 ",
            "yesterday",
            "",
            5,
            None,
        )
    ]
    + [
        {"systolic_bp": "120", "diastolic_bp": "130"},
        {"systolic_bp": "120", "diastolic_bp": "120"},
        {"oxygen_flow": "2", "on_oxygen": "false"},
        {"oxygen_flow": "0", "on_oxygen": "false"},
        {"oxygen_flow": "2", "on_oxygen": "true"},
        {"consciousness": None, "heart_rate": "80"},
        {"unknown_field": "1", "heart_rate": "80"},
    ]
)


def _serializer(data: dict[str, Any]) -> tuple[str, object]:
    try:
        return "ok", dict(ObservationRecordSerializer().run_validation(dict(data)))
    except serializers.ValidationError as exc:
        return "rejected", flatten(exc.detail)


def _fast(validator: ValuesValidator, data: dict[str, Any]) -> tuple[str, object]:
    try:
        return "ok", validator.validate(dict(data))
    except RejectedRowError as exc:
        return "rejected", exc.reasons


@pytest.mark.parametrize("data", CASES, ids=repr)
def test_the_import_validates_like_the_serializer(data):
    validator = ValuesValidator()
    expected = _serializer(data)
    # Twice: the second time answers from what the fields said the first time.
    assert _fast(validator, data) == expected
    assert _fast(validator, data) == expected


@pytest.mark.parametrize(
    "text", ["2025-01-02T03:04:05+07:00", "2025-06-02T03:04:05Z", "2025-01-02T03:04:05"]
)
def test_recorded_at_is_in_the_fields_time_zone(text):
    fast = ValuesValidator().validate({"recorded_at": text})["recorded_at"]
    slow = ObservationRecordSerializer().run_validation({"recorded_at": text})["recorded_at"]
    # The same instant, and the same zone and offset (equality alone compares instants).
    assert (fast, fast.tzinfo, fast.utcoffset()) == (slow, slow.tzinfo, slow.utcoffset())


def test_remembered_values_keep_their_types_apart():
    validator = ValuesValidator()
    assert validator.validate({"pain_score": 5.0}) == {"pain_score": 5}
    # True hashes like 1 and 1.0 but is no pain score.
    with pytest.raises(RejectedRowError, match="pain_score"):
        validator.validate({"pain_score": True})


def test_a_remembered_list_is_a_new_list_each_time():
    validator = ValuesValidator()
    first = validator.validate({"warning_signs": ["lethargy"]})
    first["warning_signs"].append("changed")
    assert validator.validate({"warning_signs": ["lethargy"]}) == {"warning_signs": ["lethargy"]}
