"""Fluid balance: intake minus output over observation entries."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from careboard.patients.scoring.fluids import (
    FLUID_IN_FIELDS,
    FLUID_OUT_FIELDS,
    FluidEntry,
    FluidTotals,
    fluid_balance,
)


def test_no_entries_is_zero_without_data() -> None:
    assert fluid_balance([]) == FluidTotals(in_ml=0, out_ml=0, balance_ml=0, has_data=False)


def test_entries_with_nothing_recorded_have_no_data() -> None:
    assert fluid_balance([FluidEntry(), {}]).has_data is False


@pytest.mark.parametrize("field", FLUID_IN_FIELDS)
def test_each_intake_field_counts_as_intake(field: str) -> None:
    totals = fluid_balance([FluidEntry(**{field: 250})])
    assert totals == FluidTotals(in_ml=250, out_ml=0, balance_ml=250, has_data=True)


@pytest.mark.parametrize("field", FLUID_OUT_FIELDS)
def test_each_output_field_counts_as_output(field: str) -> None:
    totals = fluid_balance([FluidEntry(**{field: 300})])
    assert totals == FluidTotals(in_ml=0, out_ml=300, balance_ml=-300, has_data=True)


def test_balance_sums_every_field_over_every_entry() -> None:
    entries = [
        FluidEntry(fluid_in_oral=200, fluid_in_iv=500, fluid_out_urine=400),
        FluidEntry(fluid_in_other=50, fluid_out_vomit=100, fluid_out_drain=30, fluid_out_other=20),
        FluidEntry(fluid_in_iv=None, fluid_out_urine=None),
    ]
    assert fluid_balance(entries) == FluidTotals(
        in_ml=750, out_ml=550, balance_ml=200, has_data=True
    )


def test_mappings_and_model_like_objects_can_be_mixed() -> None:
    model_like = SimpleNamespace(fluid_in_oral=100, fluid_out_urine=60)  # other fields absent
    entries = [model_like, {"fluid_in_iv": 1000, "fluid_out_urine": None}]
    assert fluid_balance(entries) == FluidTotals(  # type: ignore[arg-type]
        in_ml=1100, out_ml=60, balance_ml=1040, has_data=True
    )


def test_zero_volumes_are_data() -> None:
    assert fluid_balance([FluidEntry(fluid_out_urine=0)]).has_data is True


def test_fractional_volumes_are_summed_exactly_then_rounded_half_up() -> None:
    entries = [
        FluidEntry(fluid_in_oral=0.1, fluid_out_urine=Decimal("10.25")),
        FluidEntry(fluid_in_oral=0.2, fluid_in_iv=0.2, fluid_out_urine=Decimal("10.25")),
    ]
    totals = fluid_balance(entries)
    assert totals.in_ml == 1  # 0.5 exactly, not 0.49999...
    assert totals.out_ml == 21  # 20.5 rounds up
    assert totals.balance_ml == totals.in_ml - totals.out_ml


@pytest.mark.parametrize(
    ("value", "error"),
    [(-1, ValueError), (True, TypeError), ("100", TypeError), (float("nan"), ValueError)],
)
def test_invalid_volumes_are_rejected(value: object, error: type) -> None:
    with pytest.raises(error, match="fluid_in_oral"):
        fluid_balance([{"fluid_in_oral": value}])  # type: ignore[dict-item]


def test_to_dict() -> None:
    totals = fluid_balance([FluidEntry(fluid_in_iv=1000, fluid_out_urine=1200)])
    assert totals.to_dict() == {
        "in_ml": 1000,
        "out_ml": 1200,
        "balance_ml": -200,
        "has_data": True,
    }
