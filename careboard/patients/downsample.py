"""Largest-Triangle-Three-Buckets (LTTB) downsampling of a time series for charts.

Steinarsson, "Downsampling Time Series for Visual Representation" (University of Iceland,
2013). Unlike averaging or taking every n-th point, LTTB keeps the points that shape the
line (a single spike of fever or desaturation survives), so a chart of 5,000 readings drawn
from 500 of them looks the same. Pure Python, no Django: the caller turns times into numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

# x and y first; anything after them (a label, the source row) rides along.
P = TypeVar("P", bound=Sequence[Any])

MIN_THRESHOLD = 3
"""First, last and at least one chosen point: with fewer there is nothing to choose."""


def lttb_indices(xs: Sequence[float], ys: Sequence[float], threshold: int) -> list[int]:
    """Indices of the points LTTB keeps, ascending; always the first and the last.

    ``xs`` must be ascending (time order). With ``len(xs) <= threshold`` every index is
    returned. Raises ``ValueError`` for ``threshold < 3`` or sequences of different lengths.
    """
    if threshold < MIN_THRESHOLD:
        raise ValueError(f"threshold must be at least {MIN_THRESHOLD}, not {threshold}")
    n = len(xs)
    if len(ys) != n:
        raise ValueError("xs and ys must have the same length")
    if n <= threshold:
        return list(range(n))

    # The n - 2 inner points are split into threshold - 2 buckets; one point is kept per
    # bucket. Integer arithmetic, so bucket edges do not drift with floating-point error.
    buckets = threshold - 2
    inner = n - 2
    kept = [0]
    a = 0
    for bucket in range(buckets):
        start = bucket * inner // buckets + 1
        end = (bucket + 1) * inner // buckets + 1
        # The third vertex: the average of the next bucket; after the last bucket, that
        # "bucket" is the last point alone.
        next_start = end
        next_end = min((bucket + 2) * inner // buckets + 1, n)
        count = next_end - next_start
        avg_x = sum(xs[next_start:next_end]) / count
        avg_y = sum(ys[next_start:next_end]) / count

        ax, ay = xs[a], ys[a]
        best, best_area = start, -1.0
        for i in range(start, end):
            # Twice the triangle's area; the factor does not change which is largest.
            area = abs((ax - avg_x) * (ys[i] - ay) - (ax - xs[i]) * (avg_y - ay))
            if area > best_area:
                best, best_area = i, area
        kept.append(best)
        a = best
    kept.append(n - 1)
    return kept


def lttb(points: Sequence[P], threshold: int) -> list[P]:
    """Reduce ``(x, y)`` points (ascending ``x``) to at most ``threshold``; see
    ``lttb_indices``. The points returned are the input's own objects, in order."""
    indices = lttb_indices([p[0] for p in points], [p[1] for p in points], threshold)
    return [points[i] for i in indices]
