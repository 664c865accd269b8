"""Funnel statistics (methods §1, §2) against hand calculations."""

import math

import numpy as np
import pytest

from indicators.stats.constants import Z95, Z998
from indicators.stats.funnel import (
    funnel_grid,
    funnel_limits,
    implied_tau2,
    proportion_limits,
    ratio_limits,
    spread_bands,
)


def test_proportion_limits_are_the_square_root_scale_limits_squared_back():
    # By hand: π = 0.14, n = 10000, τ² = 0: y0 = √0.14 = 0.37416574, half-width 1.959964 × √(1/40000)
    # = 0.00979982, so (0.36436592)² = 0.13276252 and (0.38396556)² = 0.14742955.
    low, high = proportion_limits(0.14, 0.0, np.array([10000.0]), Z95)
    assert low[0] == pytest.approx(0.13276252, abs=1e-8)
    assert high[0] == pytest.approx(0.14742955, abs=1e-8)


def test_proportion_limits_above_one_half_work_on_the_smaller_tail_and_flip_back():
    # By hand: π = 0.9 → 0.1, n = 2500, τ² = 0.001: y0 = 0.31622777, half-width
    # 1.959964 × √(0.0001 + 0.001) = 0.06500465; limits in 1 − p: 0.06311305 and 0.14533816, so in p
    # 1 − 0.14533816 = 0.85466184 and 1 − 0.06311305 = 0.93688695.
    low, high = proportion_limits(0.9, 0.001, np.array([2500.0]), Z95)
    assert low[0] == pytest.approx(0.85466184, abs=1e-7)
    assert high[0] == pytest.approx(0.93688695, abs=1e-7)


def test_proportion_limits_are_clipped_to_zero_for_a_tiny_denominator():
    low, _ = proportion_limits(0.01, 0.0, np.array([4.0]), Z998)
    assert low[0] == 0.0


def test_ratio_limits_reproduce_the_methods_worked_example():
    # methods §2: E = 1000, τ² = 0.003015067 → UCL95 = 1.1322335; the lower limit is its reciprocal.
    low, high = ratio_limits(0.003015067, np.array([1000.0]), Z95)
    assert high[0] == pytest.approx(1.1322335, abs=1e-7)
    assert low[0] == pytest.approx(1 / 1.1322335, abs=1e-7)


def test_funnel_limits_choose_the_scale_by_kind():
    grid = np.array([500.0, 5000.0])
    assert np.allclose(funnel_limits("ratio", 1.0, 0.002, grid, Z95), ratio_limits(0.002, grid, Z95))
    assert np.allclose(funnel_limits("proportion", 0.2, None, grid, Z95), proportion_limits(0.2, 0.0, grid, Z95))


def test_funnel_grid_spans_the_denominators_with_a_margin_on_a_log_scale():
    grid = funnel_grid([100.0, 400.0, 1000.0])
    assert len(grid) == 80
    assert grid[0] == pytest.approx(80.0) and grid[-1] == pytest.approx(1200.0)
    ratios = grid[1:] / grid[:-1]
    assert np.allclose(ratios, (1200 / 80) ** (1 / 79))
    assert funnel_grid([0.5, 10.0])[0] == pytest.approx(1.0)  # never below one


def test_implied_tau2_inverts_the_published_limit():
    # methods §2: u = 1.1322335 at E = 1000 was built with τ² = 0.003015067; (ln u / 1.959964)² − 1/1000.
    assert implied_tau2([1.1322335], [1000.0]) == pytest.approx(0.003015067, abs=1e-8)


def test_implied_tau2_takes_the_median_and_floors_it_at_zero():
    def upper(expected, tau2):
        return math.exp(Z95 * math.sqrt(1 / expected + tau2))

    # Three trusts implying 0.001, 0.004 and 0.002: the median is 0.002.
    uppers = [upper(800, 0.001), upper(1500, 0.004), upper(2400, 0.002)]
    assert implied_tau2(uppers, [800, 1500, 2400]) == pytest.approx(0.002)
    # Two trusts: the median is the mean of the two, (0.001 + 0.004) / 2.
    assert implied_tau2(uppers[:2], [800, 1500]) == pytest.approx(0.0025)
    # Limits narrower than Poisson imply a negative τ², which is floored at 0.
    assert implied_tau2([math.exp(Z95 * math.sqrt(1 / 1000) * 0.9)], [1000]) == 0.0


def test_implied_tau2_leaves_out_unusable_rows():
    good = math.exp(Z95 * math.sqrt(1 / 1000 + 0.003))
    assert implied_tau2([good, None, 0.95, good * 2], [1000, 1000, 1000, 0]) == pytest.approx(0.003)
    assert implied_tau2([None, 1.0], [1000, 1000]) is None
    assert implied_tau2([], []) is None


def test_spread_bands_are_the_linear_percentiles_of_each_period():
    from datetime import date

    rows = [(date(2024, 2, 1), z) for z in (5.0, 1.0, 4.0, 2.0, 3.0)] + [
        (date(2024, 1, 1), 0.5),
        (date(2024, 1, 1), None),
        (date(2024, 1, 1), float("nan")),
    ]
    bands = spread_bands(rows)
    assert [band["period"] for band in bands] == ["2024-01-01", "2024-02-01"]
    assert bands[0]["n"] == 1 and bands[0]["p50"] == 0.5
    # Five values 1..5, type-7 percentiles: p5 at position 0.2 → 1.2, p95 at 3.8 → 4.8.
    assert (bands[1]["p5"], bands[1]["p25"], bands[1]["p50"], bands[1]["p75"], bands[1]["p95"]) == pytest.approx(
        (1.2, 2.0, 3.0, 4.0, 4.8)
    )
    assert bands[1]["n"] == 5
