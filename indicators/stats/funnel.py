"""Funnel-plot statistics (methods §1, §2): control limits, the τ² a ratio's published limits imply,
the grid the limits are drawn on, and the spread of z across trusts. NumPy only; no Django.

The indicator page draws what these return; it computes nothing itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np

from .constants import Z95

FUNNEL_GRID_POINTS = 80
SPREAD_PERCENTILES = (5, 25, 50, 75, 95)


def proportion_limits(national: float, tau2: float, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits for a proportion on the square-root scale (methods §1): (lower, upper) in p.

    y0 = √π (π the smaller tail), limit = (y0 ± z·√(1/(4n) + τ²))², mapped back to p.
    """
    flipped = national > 0.5
    pi = 1.0 - national if flipped else national
    spread = z * np.sqrt(1.0 / (4.0 * n) + (tau2 or 0.0))
    y0 = math.sqrt(pi)
    high = np.clip(y0 + spread, 0.0, 1.0) ** 2
    low = np.clip(y0 - spread, 0.0, None) ** 2
    if flipped:
        return 1.0 - high, 1.0 - low
    return low, high


def ratio_limits(tau2: float, expected: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits of an observed/expected ratio on the log scale (methods §2): exp(±z·√(1/E + τ²))."""
    spread = z * np.sqrt(1.0 / expected + (tau2 or 0.0))
    return np.exp(-spread), np.exp(spread)


def funnel_limits(
    kind: str, national: float, tau2: float | None, grid: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) limits at `z` along `grid` (denominators, or expected counts for a ratio)."""
    if kind == "ratio":
        return ratio_limits(tau2 or 0.0, grid, z)
    return proportion_limits(national, tau2 or 0.0, grid, z)


def funnel_grid(x: Sequence[float], points: int = FUNNEL_GRID_POINTS) -> np.ndarray:
    """Log-spaced denominators from 0.8 × the smallest (at least 1) to 1.2 × the largest, for the limit lines."""
    xs = np.asarray(x, dtype=float)
    return np.geomspace(max(xs.min() * 0.8, 1.0), xs.max() * 1.2, points)


def implied_tau2(upper: Sequence[float | None], expected: Sequence[float | None]) -> float | None:
    """τ² of a ratio's published 95% limits (methods §2), or None when no trust has usable limits.

    The published upper limit is u = exp(Z95·√(1/E + τ²)), so each trust implies
    τ² = (ln u / Z95)² − 1/E; the median across trusts is taken, floored at 0. Trusts whose upper
    limit is missing or not above 1, or whose expected count is missing or not positive, are left out.
    """
    u = np.array([np.nan if value is None else value for value in upper], dtype=float)
    e = np.array([np.nan if value is None else value for value in expected], dtype=float)
    usable = (u > 1) & (e > 0)  # NaN compares False, so missing values drop out
    if not usable.any():
        return None
    values = (np.log(u[usable]) / Z95) ** 2 - 1.0 / e[usable]
    return max(0.0, float(np.median(values)))


def spread_bands(rows: Iterable[tuple[date | str, float | None]]) -> list[dict]:
    """Per period: the 5th, 25th, 50th, 75th and 95th percentiles of z_adj across trusts, and n.

    rows are (period, z_adj); a missing or non-finite z is left out. Periods come back in order, as
    ISO dates.
    """
    by_period: dict[str, list[float]] = {}
    for period, z in rows:
        if z is not None and math.isfinite(z):
            key = period.isoformat() if isinstance(period, date) else str(period)
            by_period.setdefault(key, []).append(z)
    bands = []
    for period in sorted(by_period):
        values = np.array(by_period[period])
        quantiles = np.percentile(values, SPREAD_PERCENTILES)
        bands.append({"period": period, "n": len(values), **dict(zip(("p5", "p25", "p50", "p75", "p95"), quantiles))})
    return bands
