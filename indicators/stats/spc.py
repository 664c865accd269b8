"""NHS "Making Data Count" XmR charts with the four special-cause rules (methods §5)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# XmR constants: 2.66 = 3/d2 (d2 = 1.128 for n = 2); 1.7733 = two thirds of that (the 2σ band);
# 3.267 = D4, the upper limit of the moving-range chart used to screen out freak ranges.
LIMIT_FACTOR = 2.66
NEAR_FACTOR = 1.7733
MR_SCREEN_FACTOR = 3.267
MIN_POINTS_FOR_FIRM_LIMITS = 13

BEYOND_LIMIT, TREND, TWO_OF_THREE, SHIFT = "beyond_limit", "trend", "two_of_three", "shift"
DIRECTIONS = ("increase", "decrease", "neutral")


@dataclass(frozen=True)
class SpcResult:
    """An XmR chart: limits in the data's units and per-point rule, side and point type (input order)."""

    mean: float
    mean_mr: float
    upper: float
    lower: float
    upper_near: float
    lower_near: float
    trial_limits: bool
    n_baseline: int
    moving_range: np.ndarray
    rule: np.ndarray
    side: np.ndarray
    point_type: np.ndarray
    variation_icon: str
    assurance: str | None


def _long_runs(flags: np.ndarray, length: int) -> np.ndarray:
    """True where `flags` is True inside a run of at least `length` consecutive Trues."""
    flags = np.asarray(flags, dtype=bool)
    if len(flags) == 0:
        return flags
    # Label each run, then measure it.
    starts = np.concatenate(([True], flags[1:] != flags[:-1]))
    run_id = np.cumsum(starts) - 1
    run_len = np.bincount(run_id)
    return flags & (run_len[run_id] >= length)


def _trend_points(x: np.ndarray, run_length: int, rising: bool) -> np.ndarray:
    """Points inside `run_length` consecutive strictly rising (or falling) points; a tie breaks it."""
    steps = np.diff(x) > 0 if rising else np.diff(x) < 0
    in_run = _long_runs(steps, run_length - 1)
    points = np.zeros(len(x), dtype=bool)
    points[:-1] |= in_run
    points[1:] |= in_run
    return points


def _two_of_three(outside: np.ndarray) -> np.ndarray:
    """Points beyond the 2σ line that sit in some window of three with at least two such points."""
    n = len(outside)
    flagged = np.zeros(n, dtype=bool)
    if n < 3:
        return flagged
    counts = outside[:-2].astype(int) + outside[1:-1] + outside[2:]
    for offset in range(3):
        flagged[offset : n - 2 + offset] |= counts >= 2
    return flagged & outside


def xmr(
    values,
    improvement_direction: str = "increase",
    baseline: int | None = None,
    screen_moving_ranges: bool = True,
    run_length: int = 7,
    target: float | None = None,
) -> SpcResult:
    """XmR limits (data units) from the first `baseline` points and the MDC rules applied to every point."""
    # Missing values are skipped: limits and runs use the observed points in order, and the
    # missing positions get empty codes. Rules, in precedence order (a point shows the first that
    # flags it): beyond a limit; a trend of `run_length` strictly rising/falling points; two of
    # three consecutive points beyond the same 2σ line (as in the Western Electric rule a point
    # beyond 3σ counts towards the two, but only points beyond 2σ are flagged, and a point beyond
    # 3σ shows as beyond_limit by precedence); a shift of `run_length` points on one side of the
    # mean (a point on the mean breaks it). Assurance compares the target with the limits; it is
    # None without a target or when the direction is neutral (no side is the passing side).
    if improvement_direction not in DIRECTIONS:
        raise ValueError(f"improvement_direction must be one of {DIRECTIONS}")
    if run_length < 2:
        raise ValueError("run_length must be at least 2")
    x_all = np.asarray(values, dtype=float).ravel()
    present = np.isfinite(x_all)
    x = x_all[present]
    n_base = len(x) if baseline is None else min(int(baseline), len(x))
    if n_base < 2:
        raise ValueError("an XmR chart needs at least two baseline points")

    base = x[:n_base]
    mean = float(base.mean())
    ranges = np.abs(np.diff(base))
    mean_mr = float(ranges.mean())
    if screen_moving_ranges and mean_mr > 0:
        # One freak jump inflates mean(MR) and so hides the very special causes we look for.
        mean_mr = float(ranges[ranges < MR_SCREEN_FACTOR * mean_mr].mean())
    upper, lower = mean + LIMIT_FACTOR * mean_mr, mean - LIMIT_FACTOR * mean_mr
    upper_near, lower_near = mean + NEAR_FACTOR * mean_mr, mean - NEAR_FACTOR * mean_mr

    n = len(x)
    rule = np.full(n, "", dtype=object)
    side = np.full(n, "", dtype=object)
    # Lowest precedence first so higher rules overwrite.
    checks = [
        (SHIFT, _long_runs(x > mean, run_length), _long_runs(x < mean, run_length)),
        (TWO_OF_THREE, _two_of_three(x > upper_near), _two_of_three(x < lower_near)),
        (TREND, _trend_points(x, run_length, rising=True), _trend_points(x, run_length, rising=False)),
        (BEYOND_LIMIT, x > upper, x < lower),
    ]
    for code, high, low in checks:
        rule[high], side[high] = code, "high"
        rule[low], side[low] = code, "low"

    point_type = np.full(n, "common_cause", dtype=object)
    special = rule != ""
    if improvement_direction == "neutral":
        point_type[special] = "neutral"
    else:
        good_side = "high" if improvement_direction == "increase" else "low"
        point_type[special & (side == good_side)] = "improvement"
        point_type[special & (side != good_side)] = "concern"

    if n == 0 or point_type[-1] == "common_cause":
        icon = "common_cause"
    else:
        icon = f"{point_type[-1]}_{side[-1]}"

    assurance = None
    if target is not None and improvement_direction != "neutral":
        passes_low = improvement_direction == "increase"
        if target < lower:
            assurance = "pass" if passes_low else "fail"
        elif target > upper:
            assurance = "fail" if passes_low else "pass"
        else:
            assurance = "inconsistent"

    def scatter(codes: np.ndarray) -> np.ndarray:
        """Codes for the observed points placed back at their input positions ('' where missing)."""
        out = np.full(len(x_all), "", dtype=object)
        out[present] = codes
        return out

    moving_range = np.full(len(x_all), np.nan)
    positions = np.flatnonzero(present)
    moving_range[positions[1:]] = np.abs(np.diff(x))
    return SpcResult(
        mean=mean,
        mean_mr=mean_mr,
        upper=upper,
        lower=lower,
        upper_near=upper_near,
        lower_near=lower_near,
        trial_limits=n_base < MIN_POINTS_FOR_FIRM_LIMITS,
        n_baseline=n_base,
        moving_range=moving_range,
        rule=scatter(rule),
        side=scatter(side),
        point_type=scatter(point_type),
        variation_icon=icon,
        assurance=assurance,
    )
