"""Largest-Triangle-Three-Buckets: the shape-keeping reduction of chart series."""

from __future__ import annotations

import random

import pytest

from careboard.patients.downsample import lttb, lttb_indices


def _points(ys: list[float]) -> list[tuple[float, float]]:
    return [(float(x), y) for x, y in enumerate(ys)]


@pytest.mark.parametrize(
    ("ys", "threshold", "expected"),
    [
        # Two buckets of inner points: (1, 2) and (3, 4, 5). From the first bucket the point
        # furthest from the line (0,0)–(average of the next bucket: 4, 2) is index 2; from the
        # second, the spike at index 3.
        ([0, 1, 0, 5, 0, 1, 0], 4, [0, 2, 3, 6]),
        # One bucket (all inner points): the point making the largest triangle with the ends.
        ([0, 1, 2, 9, 2, 1, 0], 3, [0, 3, 6]),
        ([5, 4, 3, -7, 3, 4, 5], 3, [0, 3, 6]),
        # A straight line: every triangle is flat; the first point of each bucket is kept.
        ([0, 1, 2, 3, 4, 5, 6, 7], 4, [0, 1, 4, 7]),
        # One point too many: the one of the least area goes (index 2 is on the line 1–3).
        ([0, 2, 4, 6, 0], 4, [0, 1, 3, 4]),
    ],
)
def test_known_small_inputs(ys: list[float], threshold: int, expected: list[int]) -> None:
    assert lttb_indices([float(x) for x in range(len(ys))], ys, threshold) == expected


@pytest.mark.parametrize(
    ("length", "threshold"),
    [(0, 3), (1, 3), (2, 3), (3, 3), (10, 10), (9, 10)],
)
def test_input_of_threshold_length_or_less_is_returned_unchanged(
    length: int, threshold: int
) -> None:
    points = _points([float(i % 3) for i in range(length)])

    assert lttb(points, threshold) == points


@pytest.mark.parametrize(("length", "threshold"), [(4, 3), (11, 10), (1000, 10), (1000, 999)])
def test_output_has_exactly_threshold_points_with_first_and_last(
    length: int, threshold: int
) -> None:
    points = _points([float((i * 7) % 13) for i in range(length)])

    result = lttb(points, threshold)

    assert len(result) == threshold
    assert result[0] == points[0]
    assert result[-1] == points[-1]


@pytest.mark.parametrize("threshold", [2, 1, 0, -5])
def test_threshold_below_three_raises(threshold: int) -> None:
    with pytest.raises(ValueError, match="threshold must be at least 3"):
        lttb(_points([1.0, 2.0, 3.0, 4.0]), threshold)


def test_threshold_below_three_raises_even_for_short_input() -> None:
    with pytest.raises(ValueError, match="threshold must be at least 3"):
        lttb([], 2)


def test_different_lengths_raise() -> None:
    with pytest.raises(ValueError, match="same length"):
        lttb_indices([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0], 3)


@pytest.mark.parametrize("spike_at", [1, 250, 537, 998])
@pytest.mark.parametrize("spike", [100.0, -100.0])
def test_a_single_spike_in_a_flat_series_is_kept(spike_at: int, spike: float) -> None:
    ys = [37.0] * 1000
    ys[spike_at] = spike

    kept = lttb_indices([float(x) for x in range(1000)], ys, 50)

    assert spike_at in kept


def test_peaks_of_a_noisy_series_are_kept() -> None:
    rng = random.Random(7)
    ys = [37.0 + rng.uniform(-0.2, 0.2) for _ in range(2000)]
    ys[400], ys[1200], ys[1700] = 40.5, 34.0, 41.0

    kept = lttb_indices([float(x) for x in range(2000)], ys, 100)

    assert {400, 1200, 1700} <= set(kept)


def test_times_stay_strictly_increasing_with_uneven_spacing() -> None:
    rng = random.Random(3)
    xs: list[float] = []
    at = 0.0
    for _ in range(500):
        at += rng.choice([60.0, 300.0, 3600.0, 14400.0])
        xs.append(at)
    ys = [rng.uniform(30, 200) for _ in xs]

    kept = lttb_indices(xs, ys, 37)

    assert len(kept) == 37
    assert kept == sorted(set(kept))
    assert all(xs[a] < xs[b] for a, b in zip(kept, kept[1:], strict=False))


def test_returns_the_input_objects() -> None:
    points = [(float(x), float(x % 5), f"label {x}") for x in range(20)]

    result = lttb(points, 5)

    assert all(any(p is q for q in points) for p in result)
    assert [p[2] for p in result][0] == "label 0"
    assert [p[2] for p in result][-1] == "label 19"
