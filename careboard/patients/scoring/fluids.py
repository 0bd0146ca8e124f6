"""Fluid balance (intake and output) over a set of observation entries.

Volumes are millilitres. Entries may be model instances (attributes) or mappings
(dicts from a serializer); any field may be missing or ``None`` (not measured). Sums are
exact in ``Decimal`` and rounded half-up to whole millilitres only at the end.

Pure Python: no Django imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Protocol

from careboard.patients.scoring.news2 import Number, as_decimal

FLUID_IN_FIELDS: Final[tuple[str, ...]] = ("fluid_in_oral", "fluid_in_iv", "fluid_in_other")
FLUID_OUT_FIELDS: Final[tuple[str, ...]] = (
    "fluid_out_urine",
    "fluid_out_vomit",
    "fluid_out_drain",
    "fluid_out_other",
)
FLUID_FIELDS: Final[tuple[str, ...]] = FLUID_IN_FIELDS + FLUID_OUT_FIELDS


class FluidEntryLike(Protocol):
    """Anything with the seven fluid attributes (e.g. an Observation model instance).

    Declared as read-only properties so frozen dataclasses and models both fit.
    """

    @property
    def fluid_in_oral(self) -> Number | None: ...

    @property
    def fluid_in_iv(self) -> Number | None: ...

    @property
    def fluid_in_other(self) -> Number | None: ...

    @property
    def fluid_out_urine(self) -> Number | None: ...

    @property
    def fluid_out_vomit(self) -> Number | None: ...

    @property
    def fluid_out_drain(self) -> Number | None: ...

    @property
    def fluid_out_other(self) -> Number | None: ...


@dataclass(frozen=True)
class FluidEntry:
    """A plain fluid record, handy in tests and for callers without a model."""

    fluid_in_oral: Number | None = None
    fluid_in_iv: Number | None = None
    fluid_in_other: Number | None = None
    fluid_out_urine: Number | None = None
    fluid_out_vomit: Number | None = None
    fluid_out_drain: Number | None = None
    fluid_out_other: Number | None = None


@dataclass(frozen=True)
class FluidTotals:
    """Totals in whole ml; ``balance_ml`` = in - out (negative: net loss).

    ``has_data`` is False when no entry recorded any volume, so a UI can tell
    'nothing charted' from a true balance of 0 ml.
    """

    in_ml: int
    out_ml: int
    balance_ml: int
    has_data: bool = False

    def to_dict(self) -> dict[str, int | bool]:
        """Return ``{"in_ml", "out_ml", "balance_ml", "has_data"}``."""
        return {
            "in_ml": self.in_ml,
            "out_ml": self.out_ml,
            "balance_ml": self.balance_ml,
            "has_data": self.has_data,
        }


def _value(entry: FluidEntryLike | Mapping[str, Number | None], name: str) -> Number | None:
    if isinstance(entry, Mapping):
        return entry.get(name)
    return getattr(entry, name, None)


def _whole_ml(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fluid_balance(
    entries: Iterable[FluidEntryLike | Mapping[str, Number | None]],
) -> FluidTotals:
    """Sum intake (oral, IV, other) and output (urine, vomit, drain, other) in ml.

    ``None`` or absent fields count as nothing recorded. Negative or non-numeric
    volumes raise ``ValueError``/``TypeError``. Each total is summed exactly and then
    rounded half-up to whole ml; ``balance_ml`` is always exactly ``in_ml - out_ml``.
    """
    total_in = Decimal(0)
    total_out = Decimal(0)
    has_data = False
    for entry in entries:
        for name in FLUID_FIELDS:
            raw = _value(entry, name)
            if raw is None:
                continue
            volume = as_decimal(raw, name)
            has_data = True
            if name in FLUID_IN_FIELDS:
                total_in += volume
            else:
                total_out += volume
    in_ml = _whole_ml(total_in)
    out_ml = _whole_ml(total_out)
    # Balance from the rounded totals so the three numbers shown always add up.
    return FluidTotals(in_ml=in_ml, out_ml=out_ml, balance_ml=in_ml - out_ml, has_data=has_data)
