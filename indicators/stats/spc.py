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


# --- many charts at once ---------------------------------------------------------------------------
# The nightly run draws one chart per trust × indicator (thousands of ~36-point series), where the
# per-call overhead of `xmr` dominates. `xmr_panel` does the same arithmetic with the series as rows
# of a matrix. It reproduces `xmr` exactly (same floats, same codes): each row's observed points
# are moved to the left in order, rows with the same number of observed points are reduced together
# (NumPy reduces each row of a C-ordered matrix exactly as it reduces the row on its own), and the
# codes are put back at the input positions.

# Rule codes in precedence order (a higher code outranks a lower one); 0 = no rule.
_RULE_CODES = np.array(["", SHIFT, TWO_OF_THREE, TREND, BEYOND_LIMIT], dtype=object)
_SHIFT, _TWO_OF_THREE, _TREND, _BEYOND_LIMIT = 1, 2, 3, 4
_SIDE_CODES = np.array(["", "high", "low"], dtype=object)
_HIGH, _LOW = 1, 2
# Point-type codes; 0 marks a missing input position, which gets '' as in `xmr`.
_POINT_CODES = np.array(["", "common_cause", "improvement", "concern", "neutral"], dtype=object)
_COMMON, _IMPROVEMENT, _CONCERN, _NEUTRAL = 1, 2, 3, 4
# Variation icon by (point type, side) code of the last observed point, as `xmr` names it.
_ICONS = np.array(
    [
        [kind if code == _COMMON else f"{kind}_{where}" for where in _SIDE_CODES]
        for code, kind in enumerate(_POINT_CODES)
    ],
    dtype=object,
)


@dataclass(frozen=True)
class SpcPanel:
    """XmR charts of the rows of a matrix: one entry per row (scalars) or per row and column (codes)."""

    mean: np.ndarray
    mean_mr: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    upper_near: np.ndarray
    lower_near: np.ndarray
    trial_limits: np.ndarray
    n_baseline: np.ndarray
    moving_range: np.ndarray
    rule: np.ndarray
    side: np.ndarray
    point_type: np.ndarray
    variation_icon: np.ndarray
    assurance: np.ndarray

    def __len__(self) -> int:
        return len(self.mean)

    def result(self, row: int) -> SpcResult:
        """Row `row` as the SpcResult that `xmr` gives for that series."""
        return SpcResult(
            mean=float(self.mean[row]),
            mean_mr=float(self.mean_mr[row]),
            upper=float(self.upper[row]),
            lower=float(self.lower[row]),
            upper_near=float(self.upper_near[row]),
            lower_near=float(self.lower_near[row]),
            trial_limits=bool(self.trial_limits[row]),
            n_baseline=int(self.n_baseline[row]),
            moving_range=self.moving_range[row].copy(),
            rule=self.rule[row].copy(),
            side=self.side[row].copy(),
            point_type=self.point_type[row].copy(),
            variation_icon=str(self.variation_icon[row]),
            assurance=self.assurance[row],
        )

    def results(self) -> list[SpcResult]:
        return [self.result(row) for row in range(len(self))]


def _long_runs_rows(flags: np.ndarray, length: int) -> np.ndarray:
    """`_long_runs` applied to each row of a 2-D boolean array (runs never cross rows)."""
    # A point is inside a run of at least `length` exactly when some all-True window of `length`
    # consecutive points covers it: AND the shifted rows to find the windows, then OR them back.
    width = flags.shape[1]
    out = np.zeros(flags.shape, dtype=bool)
    n_windows = width - length + 1
    if n_windows <= 0:
        return out
    windows = flags[:, :n_windows].copy()
    for offset in range(1, length):
        windows &= flags[:, offset : offset + n_windows]
    for offset in range(length):
        out[:, offset : offset + n_windows] |= windows
    return out


def _trend_points_rows(x: np.ndarray, run_length: int, rising: bool) -> np.ndarray:
    steps = np.diff(x, axis=1) > 0 if rising else np.diff(x, axis=1) < 0
    in_run = _long_runs_rows(steps, run_length - 1)
    points = np.zeros(x.shape, dtype=bool)
    points[:, :-1] |= in_run
    points[:, 1:] |= in_run
    return points


def _two_of_three_rows(outside: np.ndarray) -> np.ndarray:
    width = outside.shape[1]
    flagged = np.zeros(outside.shape, dtype=bool)
    if width < 3:
        return flagged
    counts = outside[:, :-2].astype(int) + outside[:, 1:-1] + outside[:, 2:]
    for offset in range(3):
        flagged[:, offset : width - 2 + offset] |= counts >= 2
    return flagged & outside


def _row_means_of_kept(ranges: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Per row, the mean of ranges[row][keep[row]] (as `xmr` takes it: the kept values in order)."""
    kept = keep.sum(axis=1)
    order = np.argsort(~keep, axis=1, kind="stable")
    packed = np.take_along_axis(ranges, order, axis=1)
    out = np.full(len(ranges), np.nan)
    for count in np.unique(kept):
        if count == 0:
            continue  # nothing kept: NumPy's mean of nothing is NaN
        rows = np.flatnonzero(kept == count)
        out[rows] = np.ascontiguousarray(packed[rows, :count]).mean(axis=1)
    return out


def xmr_panel(
    matrix,
    improvement_direction: str = "increase",
    screen_moving_ranges: bool = True,
    run_length: int = 7,
    target: float | None = None,
) -> SpcPanel:
    """`xmr` (baseline = all points) of every row of `matrix` (series × points, NaN where missing), at once."""
    if improvement_direction not in DIRECTIONS:
        raise ValueError(f"improvement_direction must be one of {DIRECTIONS}")
    if run_length < 2:
        raise ValueError("run_length must be at least 2")
    values = np.asarray(matrix, dtype=float)
    if values.ndim != 2:
        raise ValueError("matrix must be 2-D: one row per series")
    n_series, width = values.shape
    present = np.isfinite(values)
    counts = present.sum(axis=1)
    too_short = np.flatnonzero(counts < 2)
    if len(too_short):
        raise ValueError(f"an XmR chart needs at least two baseline points (rows {too_short[:10].tolist()})")

    # Each row's observed points moved to the left, in order (`order` undoes it at the end).
    if present.all():
        order, packed = None, values
    else:
        order = np.argsort(~present, axis=1, kind="stable")
        packed = np.take_along_axis(values, order, axis=1)

    mean = np.full(n_series, np.nan)
    mean_mr = np.full(n_series, np.nan)
    moving_range = np.full((n_series, width), np.nan)
    rule = np.zeros((n_series, width), dtype=np.int8)
    side = np.zeros((n_series, width), dtype=np.int8)
    point_type = np.zeros((n_series, width), dtype=np.int8)
    last_type = np.zeros(n_series, dtype=np.int8)
    last_side = np.zeros(n_series, dtype=np.int8)

    for count in np.unique(counts):
        rows = np.flatnonzero(counts == count)
        x = np.ascontiguousarray(packed[rows, :count])
        row_mean = x.mean(axis=1)
        ranges = np.abs(np.diff(x, axis=1))
        row_mr = ranges.mean(axis=1)
        if screen_moving_ranges:
            keep = ranges < (MR_SCREEN_FACTOR * row_mr)[:, None]
            screened = (row_mr > 0) & ~keep.all(axis=1)  # all kept: the mean is unchanged
            if screened.any():
                row_mr[screened] = _row_means_of_kept(ranges[screened], keep[screened])
        upper = row_mean + LIMIT_FACTOR * row_mr
        lower = row_mean - LIMIT_FACTOR * row_mr
        upper_near = row_mean + NEAR_FACTOR * row_mr
        lower_near = row_mean - NEAR_FACTOR * row_mr

        group_rule = np.zeros(x.shape, dtype=np.int8)
        group_side = np.zeros(x.shape, dtype=np.int8)
        # The same order as `xmr`: lowest precedence first, and low after high within a rule.
        checks = [
            (
                _SHIFT,
                _long_runs_rows(x > row_mean[:, None], run_length),
                _long_runs_rows(x < row_mean[:, None], run_length),
            ),
            (
                _TWO_OF_THREE,
                _two_of_three_rows(x > upper_near[:, None]),
                _two_of_three_rows(x < lower_near[:, None]),
            ),
            (
                _TREND,
                _trend_points_rows(x, run_length, rising=True),
                _trend_points_rows(x, run_length, rising=False),
            ),
            (_BEYOND_LIMIT, x > upper[:, None], x < lower[:, None]),
        ]
        for code, high, low in checks:
            group_rule[high], group_side[high] = code, _HIGH
            group_rule[low], group_side[low] = code, _LOW

        group_type = np.full(x.shape, _COMMON, dtype=np.int8)
        special = group_rule != 0
        if improvement_direction == "neutral":
            group_type[special] = _NEUTRAL
        else:
            good_side = _HIGH if improvement_direction == "increase" else _LOW
            group_type[special & (group_side == good_side)] = _IMPROVEMENT
            group_type[special & (group_side != good_side)] = _CONCERN

        mean[rows], mean_mr[rows] = row_mean, row_mr
        moving_range[rows, 1:count] = ranges
        rule[rows, :count] = group_rule
        side[rows, :count] = group_side
        point_type[rows, :count] = group_type
        last_type[rows], last_side[rows] = group_type[:, -1], group_side[:, -1]

    if order is not None:
        # Back to the input positions; the packed tail (missing points) carries NaN and code 0 ('').
        for packed_codes in (moving_range, rule, side, point_type):
            np.put_along_axis(packed_codes, order, packed_codes.copy(), axis=1)

    upper = mean + LIMIT_FACTOR * mean_mr
    lower = mean - LIMIT_FACTOR * mean_mr
    variation_icon = _ICONS[last_type, last_side]  # the last observed point's type and side

    assurance = np.full(n_series, None, dtype=object)
    if target is not None and improvement_direction != "neutral":
        passes_low = improvement_direction == "increase"
        below, above = target < lower, target > upper
        assurance[:] = "inconsistent"
        assurance[above] = "fail" if passes_low else "pass"
        assurance[below] = "pass" if passes_low else "fail"

    return SpcPanel(
        mean=mean,
        mean_mr=mean_mr,
        upper=upper,
        lower=lower,
        upper_near=mean + NEAR_FACTOR * mean_mr,
        lower_near=mean - NEAR_FACTOR * mean_mr,
        trial_limits=counts < MIN_POINTS_FOR_FIRM_LIMITS,
        n_baseline=counts,
        moving_range=moving_range,
        rule=_RULE_CODES[rule],
        side=_SIDE_CODES[side],
        point_type=_POINT_CODES[point_type],
        variation_icon=variation_icon,
        assurance=assurance,
    )
