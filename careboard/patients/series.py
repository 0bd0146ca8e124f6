"""Time series of an admission's observations for charts, downsampled for long ranges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from careboard.patients.downsample import lttb_indices
from careboard.patients.models import Admission
from careboard.patients.selectors import FLUID_FIELDS

SERIES_FIELDS: tuple[str, ...] = (
    "temperature",
    "heart_rate",
    "respiratory_rate",
    "systolic_bp",
    "diastolic_bp",
    "spo2",
    "oxygen_flow",
    "pain_score",
    "weight",
    "hematocrit",
    "platelets",
    "wbc",
    "news2_total",
    *FLUID_FIELDS,
)
"""Every numeric observation field a chart may ask for."""

DEFAULT_MAX_POINTS = 500
MIN_MAX_POINTS = 10
MAX_MAX_POINTS = 5000

# NEWS2 aggregate-score bands for chart shading (RCP 2017, "NEWS thresholds and triggers";
# the same thresholds as scoring.news2.news2_band). "low-medium" is not a range of the total
# (it is a low total with a single parameter scoring 3), so it has no band to shade.
NEWS2_BANDS: tuple[dict[str, Any], ...] = (
    {"band": "low", "min": 0, "max": 4},
    {"band": "medium", "min": 5, "max": 6},
    {"band": "high", "min": 7, "max": None},
)

Point = tuple[datetime, int | float]


def _number(value: Decimal | int) -> int | float:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def downsample(points: Sequence[Point], max_points: int) -> list[Point]:
    """The points LTTB keeps (all of them when there are ``max_points`` or fewer)."""
    indices = lttb_indices(
        [at.timestamp() for at, _ in points], [float(value) for _, value in points], max_points
    )
    return [points[i] for i in indices]


def admission_series(
    *,
    admission: Admission,
    fields: Sequence[str],
    start: datetime,
    end: datetime,
    max_points: int = DEFAULT_MAX_POINTS,
) -> dict[str, dict[str, Any]]:
    """``{field: {"points": [(time, value), ...], "total_points", "downsampled"}}`` from the
    admission's valid observations in ``[start, end]``, oldest first; readings where the
    field is empty are no points. One query, whatever the number of fields."""
    unknown = set(fields) - set(SERIES_FIELDS)
    if unknown:
        raise ValueError(f"not series fields: {sorted(unknown)}")
    # Served by the (admission, recorded_at) index.
    rows = list(
        admission.observations.valid()
        .filter(recorded_at__gte=start, recorded_at__lte=end)
        .order_by("recorded_at", "created_at")
        .values_list("recorded_at", *fields)
    )
    series: dict[str, dict[str, Any]] = {}
    for column, name in enumerate(fields, start=1):
        points = [(row[0], _number(row[column])) for row in rows if row[column] is not None]
        kept = downsample(points, max_points)
        series[name] = {
            "points": kept,
            "total_points": len(points),
            "downsampled": len(kept) < len(points),
        }
    return series
