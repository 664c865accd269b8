"""NHS "Making Data Count" XmR charts exactly as NHSRplotthedots 0.2.2 draws them (methods §5).

Limits: mean of the chart's (baseline) points; mean moving range, screened (ranges ≥ 3.267 ×
the mean range dropped, then the mean retaken); process limits mean ± 2.66·mean(MR), the 2σ
lines at two thirds of that. Rules, in precedence order (a point shows the first that flags it):
1. beyond a process limit;
2. trend: `run_length` (7) points each strictly above (below) the one before (a tie breaks it);
3. two of three: a window of three consecutive points all on one side of the mean, at least two
   of them between the 2σ line and the limit on that side; only those between-the-lines points
   are flagged (a point beyond the limit neither counts nor is flagged here);
4. shift: `run_length` points on one side of the mean (a point on the mean breaks it).
A flagged point is high or low: by its side of the mean for rules 1, 3 and 4, by the trend's
direction for rule 2 (a point in a trend takes the direction of the step after it, the last one
of the step before it, as NHSRplotthedots does). Its type is `special_cause_improvement` or
`special_cause_concern` by the improvement direction, `special_cause_neutral_high/low` when no
direction is better, else `common_cause`. The variation icon is the last point's type; the
assurance (`consistent_pass`, `consistent_fail`, `inconsistent`) compares the target with the
limits, None without a target or for a neutral direction.

One deliberate difference: a constant series (mean moving range 0) is not screened, so its
limits equal its mean; NHSRplotthedots screens every range out and returns NaN limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# XmR constants: 2.66 = 3/d2 (d2 = 1.128 for n = 2); the 2σ lines are two thirds of that (1.7733…);
# 3.267 = D4, the upper limit of the moving-range chart used to screen out freak ranges.
LIMIT_FACTOR = 2.66
NEAR_FACTOR = 2 * (LIMIT_FACTOR / 3)
MR_SCREEN_FACTOR = 3.267
MIN_POINTS_FOR_FIRM_LIMITS = 13

BEYOND_LIMIT, TREND, TWO_OF_THREE, SHIFT = "beyond_limit", "trend", "two_of_three", "shift"
DIRECTIONS = ("increase", "decrease", "neutral")
COMMON_CAUSE = "common_cause"
IMPROVEMENT, CONCERN = "special_cause_improvement", "special_cause_concern"
NEUTRAL_HIGH, NEUTRAL_LOW = "special_cause_neutral_high", "special_cause_neutral_low"
POINT_TYPES = (COMMON_CAUSE, IMPROVEMENT, CONCERN, NEUTRAL_HIGH, NEUTRAL_LOW)
CONSISTENT_PASS, CONSISTENT_FAIL, INCONSISTENT = "consistent_pass", "consistent_fail", "inconsistent"


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


def _assurance(target: float | None, direction: str, lower: float, upper: float) -> str | None:
    if target is None or direction == "neutral":
        return None
    increasing = direction == "increase"
    if target > upper:
        return CONSISTENT_FAIL if increasing else CONSISTENT_PASS
    if target < lower:
        return CONSISTENT_PASS if increasing else CONSISTENT_FAIL
    return INCONSISTENT


def _point_type(side: str, direction: str) -> str:
    if not side:
        return COMMON_CAUSE
    if direction == "neutral":
        return NEUTRAL_HIGH if side == "high" else NEUTRAL_LOW
    return IMPROVEMENT if (side == "high") == (direction == "increase") else CONCERN


def _rules(x: list[float], mean: float, upper: float, lower: float, upper_near: float, lower_near: float, run: int):
    """Rule and side of each point, point by point as NHSRplotthedots' ptd_special_cause_type does."""
    n = len(x)
    sign = [(value > mean) - (value < mean) for value in x]
    outside = [value > upper or value < lower for value in x]
    close = [not outside[i] and (x[i] < lower_near or x[i] > upper_near) for i in range(n)]
    steps = [(x[i] > x[i - 1]) - (x[i] < x[i - 1]) for i in range(1, n)]

    in_trend = [False] * n
    for end in range(run - 1, n):  # `run` points ending at `end`, each step of one nonzero sign
        window = steps[end - run + 1 : end]
        if window[0] != 0 and all(step == window[0] for step in window):
            for i in range(end - run + 1, end + 1):
                in_trend[i] = True
    in_shift = [False] * n
    for end in range(run - 1, n):
        window = sign[end - run + 1 : end + 1]
        if window[0] != 0 and all(value == window[0] for value in window):
            for i in range(end - run + 1, end + 1):
                in_shift[i] = True
    in_two_of_three = [False] * n
    for first in range(n - 2):
        window = range(first, first + 3)
        if sum(close[i] for i in window) >= 2 and abs(sum(sign[i] for i in window)) == 3:
            for i in window:
                in_two_of_three[i] = in_two_of_three[i] or close[i]

    rule, side = [""] * n, [""] * n
    for i in range(n):
        if outside[i]:
            rule[i], direction = BEYOND_LIMIT, 1 if sign[i] == 1 else -1
        elif in_trend[i]:
            # The step after the point when the next point is in the trend too, else the step before.
            step = steps[i] if i + 1 < n and in_trend[i + 1] else (steps[i - 1] if i else 0)
            rule[i], direction = TREND, 1 if step == 1 else -1
        elif in_two_of_three[i]:
            rule[i], direction = TWO_OF_THREE, 1 if sign[i] > 0 else -1
        elif in_shift[i]:
            rule[i], direction = SHIFT, 1 if sign[i] > 0 else -1
        else:
            continue
        side[i] = "high" if direction == 1 else "low"
    return rule, side


def _check_rules(improvement_direction: str, run_length: int) -> None:
    """Refuse an improvement direction or a run length the MDC rules do not know."""
    if improvement_direction not in DIRECTIONS:
        raise ValueError(f"improvement_direction must be one of {DIRECTIONS}")
    if run_length < 2:
        raise ValueError("run_length must be at least 2")


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
    # missing positions get empty codes. This is the readable reference; `xmr_panel` does the same
    # arithmetic for thousands of series at once and is tested against it.
    _check_rules(improvement_direction, run_length)
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

    rule, side = _rules(x.tolist(), mean, upper, lower, upper_near, lower_near, run_length)
    point_type = [_point_type(where, improvement_direction) for where in side]
    icon = point_type[-1] if point_type else COMMON_CAUSE

    def scatter(codes: list[str]) -> np.ndarray:
        """Codes for the observed points placed back at their input positions ('' where missing)."""
        out = np.full(len(x_all), "", dtype=object)
        out[present] = np.array(codes, dtype=object)
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
        assurance=_assurance(target, improvement_direction, lower, upper),
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
_POINT_CODES = np.array(["", *POINT_TYPES], dtype=object)
_COMMON, _IMPROVEMENT, _CONCERN, _NEUTRAL_HIGH, _NEUTRAL_LOW = 1, 2, 3, 4, 5


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
    """True inside each row's runs of at least `length` consecutive Trues (runs never cross rows)."""
    # A point is inside such a run exactly when some all-True window of `length` consecutive
    # points covers it: AND the shifted rows to find the windows, then OR them back.
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


def _trend_rows(steps: np.ndarray, run_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in a trend of `run_length` points, and the direction (+1/−1) each one shows."""
    n_series, width = steps.shape[0], steps.shape[1] + 1
    in_trend = np.zeros((n_series, width), dtype=bool)
    for rising in (steps > 0, steps < 0):
        windows = _long_runs_rows(rising, run_length - 1)
        in_trend[:, :-1] |= windows
        in_trend[:, 1:] |= windows
    # NHSRplotthedots: the step after a point when the next point is in the trend too, else the
    # step before it (a first point with no step before would read as decreasing; it cannot occur).
    after = np.zeros((n_series, width), dtype=np.int8)
    after[:, :-1] = steps
    before = np.zeros((n_series, width), dtype=np.int8)
    before[:, 1:] = steps
    next_in = np.zeros((n_series, width), dtype=bool)
    next_in[:, :-1] = in_trend[:, 1:]
    step = np.where(in_trend & next_in, after, before)
    return in_trend, np.where(step == 1, 1, -1)


def _two_of_three_rows(close: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """Near-limit points inside a window of three on one side of the mean with two or more near-limit points."""
    width = close.shape[1]
    flagged = np.zeros(close.shape, dtype=bool)
    if width < 3:
        return flagged
    counts = close[:, :-2].astype(int) + close[:, 1:-1] + close[:, 2:]
    same_side = np.abs(sign[:, :-2].astype(int) + sign[:, 1:-1] + sign[:, 2:]) == 3
    qualifying = (counts >= 2) & same_side
    for offset in range(3):
        flagged[:, offset : width - 2 + offset] |= qualifying
    return flagged & close


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
    _check_rules(improvement_direction, run_length)
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

        sign = (np.sign(x - row_mean[:, None])).astype(np.int8)
        outside = (x > upper[:, None]) | (x < lower[:, None])
        close = ~outside & ((x < lower_near[:, None]) | (x > upper_near[:, None]))
        in_trend, trend_direction = _trend_rows(np.sign(np.diff(x, axis=1)).astype(np.int8), run_length)
        side_of_mean = np.where(sign > 0, _HIGH, _LOW).astype(np.int8)

        group_rule = np.zeros(x.shape, dtype=np.int8)
        group_side = np.zeros(x.shape, dtype=np.int8)
        # Lowest precedence first, so a higher rule overwrites.
        checks = [
            (_SHIFT, _long_runs_rows(sign > 0, run_length) | _long_runs_rows(sign < 0, run_length), side_of_mean),
            (_TWO_OF_THREE, _two_of_three_rows(close, sign), side_of_mean),
            (_TREND, in_trend, np.where(trend_direction == 1, _HIGH, _LOW).astype(np.int8)),
            (_BEYOND_LIMIT, outside, np.where(sign == 1, _HIGH, _LOW).astype(np.int8)),
        ]
        for code, flagged, where in checks:
            group_rule[flagged] = code
            group_side[flagged] = where[flagged]

        group_type = np.full(x.shape, _COMMON, dtype=np.int8)
        special = group_rule != 0
        high = group_side == _HIGH
        if improvement_direction == "neutral":
            group_type[special & high] = _NEUTRAL_HIGH
            group_type[special & ~high] = _NEUTRAL_LOW
        else:
            good = high if improvement_direction == "increase" else ~high
            group_type[special & good] = _IMPROVEMENT
            group_type[special & ~good] = _CONCERN

        mean[rows], mean_mr[rows] = row_mean, row_mr
        moving_range[rows, 1:count] = ranges
        rule[rows, :count] = group_rule
        side[rows, :count] = group_side
        point_type[rows, :count] = group_type
        last_type[rows] = group_type[:, -1]

    if order is not None:
        # Back to the input positions; the packed tail (missing points) carries NaN and code 0 ('').
        for packed_codes in (moving_range, rule, side, point_type):
            np.put_along_axis(packed_codes, order, packed_codes.copy(), axis=1)

    upper = mean + LIMIT_FACTOR * mean_mr
    lower = mean - LIMIT_FACTOR * mean_mr
    variation_icon = _POINT_CODES[last_type]  # the last observed point's type

    assurance = np.full(n_series, None, dtype=object)
    if target is not None and improvement_direction != "neutral":
        increasing = improvement_direction == "increase"
        assurance[:] = INCONSISTENT
        assurance[target < lower] = CONSISTENT_PASS if increasing else CONSISTENT_FAIL
        assurance[target > upper] = CONSISTENT_FAIL if increasing else CONSISTENT_PASS

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
