"""Early warning on monthly z_adj: CUSUM, self-baseline EWMA and the "slipping" rule (methods §6).

Inputs are z-scores (positive = worse), so the one-sided upper CUSUM is the one that matters:
S_t = max(0, S_{t−1} + z_t − k), a signal when S_t > h, then S restarts at 0. Each signal is
therefore a fresh run, so "one signal per ARL₀ months" is the in-control false-alarm rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from .periods import month_index

# d2 for moving ranges of two: σ̂ = mean(MR) / 1.128.
D2 = 1.128
# Markov-chain states for Brook–Evans; 400 gives ARL₀ to within 0.01% of the converged value.
ARL_STATES = 400


@dataclass(frozen=True)
class CusumResult:
    """CUSUM statistic (SD units; the crossing value at a signal, before the reset) and signals."""

    statistic: np.ndarray
    signal: np.ndarray
    signal_indices: np.ndarray


@dataclass(frozen=True)
class EwmaResult:
    """EWMA statistic and two-sided control limits (SD units) with signals (reset to 0 after each)."""

    statistic: np.ndarray
    upper: float
    lower: float
    signal: np.ndarray
    signal_indices: np.ndarray


def _reset_scan(x: np.ndarray, update, fires) -> tuple[np.ndarray, np.ndarray]:
    """A recursive statistic along axis 1 of a (series × periods) matrix, reset to 0 where it signals.

    `update(state, values)` is the next state where a period is present (NaN periods carry the state
    unchanged); `fires(state)` says where it signals. Returns (statistic, signal), both series × periods.
    """
    statistic = np.empty_like(x, dtype=float)
    signal = np.zeros(x.shape, dtype=bool)
    state = np.zeros(x.shape[0])
    # Loop over periods (≈90) vectorised across series (≈3700): the recursion is sequential in
    # time only, so this is as fast as compiled code would be at this size.
    for column in range(x.shape[1]):
        values = x[:, column]
        present = ~np.isnan(values)
        state = np.where(present, update(state, np.where(present, values, 0.0)), state)
        fired = present & fires(state)
        statistic[:, column] = state
        signal[:, column] = fired
        state = np.where(fired, 0.0, state)
    return statistic, signal


def _cusum_matrix(z: np.ndarray, k: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Upper CUSUM along axis 1 of a (series × periods) matrix; NaN periods carry S unchanged."""
    return _reset_scan(z, lambda s, values: np.maximum(0.0, s + values - k), lambda s: s > h)


def cusum_matrix(z: np.ndarray, k: float = 0.5, h: float = 4.389) -> tuple[np.ndarray, np.ndarray]:
    """Upper CUSUM statistic and signals of each row of a (series × periods) matrix (NaN carries S)."""
    return _cusum_matrix(np.asarray(z, dtype=float), k, h)


def cusum(z, k: float = 0.5, h: float = 4.389) -> CusumResult:
    """One-sided upper CUSUM of z (SDs) with reference value k and decision interval h (SDs)."""
    values = np.asarray(z, dtype=float).ravel()
    statistic, signal = _cusum_matrix(values[None, :], k, h)
    return CusumResult(statistic=statistic[0], signal=signal[0], signal_indices=np.flatnonzero(signal[0]))


def cusum_arl0(k: float = 0.5, h: float = 4.389, mean: float = 0.0, states: int = ARL_STATES) -> float:
    """Average run length (periods) of the upper CUSUM for N(mean, 1) input, by Brook–Evans Markov chain."""
    if h <= 0 or states < 2:
        raise ValueError("h must be positive and the chain needs at least two states")
    # State 0 is the atom S = 0; state i > 0 stands for S in ((i − ½)w, (i + ½)w], so the last
    # state ends exactly at h and anything above it is a signal (absorbing).
    width = 2.0 * h / (2 * states - 1)
    centre = np.arange(states) * width
    upper_edge = centre + 0.5 * width
    lower_edge = upper_edge - width
    shift = k - mean
    cdf_upper = ndtr(upper_edge[None, :] - centre[:, None] + shift)
    cdf_lower = ndtr(lower_edge[None, :] - centre[:, None] + shift)
    transition = cdf_upper - cdf_lower
    transition[:, 0] = cdf_upper[:, 0]
    run_lengths = np.linalg.solve(np.eye(states) - transition, np.ones(states))
    return float(run_lengths[0])


MONTHS_PER_PERIOD = {"monthly": 1, "quarterly": 3, "annual": 12}


def expected_false_alarms_per_month(n_charts, k: float = 0.5, h: float = 4.389) -> float:
    """Expected in-control CUSUM signals per month (signals/month) across the charts.

    `n_charts` is a count of monthly charts, or {cadence: count}: a chart of quarterly points runs
    ARL₀ quarters between false alarms, so it adds a third of a monthly chart's rate.
    """
    arl = cusum_arl0(k, h)
    if isinstance(n_charts, dict):
        return sum(count / (arl * MONTHS_PER_PERIOD[cadence]) for cadence, count in n_charts.items())
    return n_charts / arl


def self_baseline_standardise(z, baseline: int = 24, min_periods: int | None = None) -> np.ndarray:
    """z standardised (SDs) against its own trailing `baseline` periods: (z − mean) / (mean MR / 1.128)."""
    # The baseline for period t is periods t−baseline … t−1, so a sudden change is judged against
    # the history before it. `min_periods` observed values are needed in that baseline (default
    # three quarters of it, so one missing month does not blank two years of output).
    series = pd.Series(np.asarray(z, dtype=float).ravel())
    needed = (baseline * 3) // 4 if min_periods is None else min_periods
    mean = series.rolling(baseline, min_periods=needed).mean().shift(1)
    moving_range = series.diff().abs()
    mean_mr = moving_range.rolling(baseline - 1, min_periods=max(1, needed - 1)).mean().shift(1)
    sigma = mean_mr / D2
    standardised = (series - mean) / sigma.where(sigma > 0)
    return standardised.to_numpy()


def ewma(x, lam: float = 0.2, L: float = 2.962) -> EwmaResult:  # noqa: N803 - L is the literature's name
    """Two-sided EWMA of standardised x (SDs) with asymptotic limits ±L·√(λ/(2−λ)); resets after a signal."""
    values = np.asarray(x, dtype=float).ravel()
    # Asymptotic (not time-varying) limits: L = 2.962 with λ = 0.2 is calibrated for them
    # to give ARL₀ ≈ 500, matching the CUSUM's default.
    limit = L * np.sqrt(lam / (2.0 - lam))
    statistic = np.empty(len(values))
    signal = np.zeros(len(values), dtype=bool)
    current = 0.0
    # Plain floats: a per-element NumPy call would be ten times slower on long series.
    for index, value in enumerate(values.tolist()):
        if value == value:  # not NaN; a missing period leaves the EWMA where it was
            current = lam * value + (1.0 - lam) * current
            if abs(current) > limit:
                signal[index] = True
                statistic[index] = current
                current = 0.0
                continue
        statistic[index] = current
    return EwmaResult(
        statistic=statistic, upper=limit, lower=-limit, signal=signal, signal_indices=np.flatnonzero(signal)
    )


def panel_cusum(frame: pd.DataFrame, k: float = 0.5, h: float = 4.389, value_column: str = "z_adj") -> pd.DataFrame:
    """Per-row CUSUM statistic (SDs) and signal for every (org, indicator) monthly series in a long frame."""
    series_codes = frame.groupby(["org", "indicator"], sort=False).ngroup().to_numpy()
    period_codes, periods = pd.factorize(frame["period"], sort=True)
    n_series = int(series_codes.max()) + 1 if len(series_codes) else 0
    cell = series_codes.astype(np.int64) * len(periods) + period_codes
    if len(cell) and np.bincount(cell, minlength=n_series * len(periods)).max() > 1:
        raise ValueError("panel_cusum needs one row per org, indicator and period")
    # Periods no series reported are NaN in the matrix and carry S, like a missing month.
    matrix = np.full((n_series, len(periods)), np.nan)
    matrix[series_codes, period_codes] = frame[value_column].to_numpy(dtype=float)
    statistic, signal = _cusum_matrix(matrix, k, h)
    result = frame.copy()
    result["cusum"] = statistic[series_codes, period_codes]
    result["signal"] = signal[series_codes, period_codes]
    return result


def _ewma_matrix(x: np.ndarray, lam: float, limit: float) -> tuple[np.ndarray, np.ndarray]:
    """`ewma` along axis 1 of a (series × periods) matrix: NaN periods leave it, a signal resets it to 0."""
    return _reset_scan(
        x, lambda current, values: lam * values + (1.0 - lam) * current, lambda current: np.abs(current) > limit
    )


def left_aligned(series_codes: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values sorted by series as a (series × rows) matrix, each series from column 0 and NaN after its
    end, and each value's column. `series_codes` number the consecutive runs of one series 0, 1, 2, …"""
    if not len(series_codes):
        return np.empty((0, 0)), np.empty(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, series_codes[1:] != series_codes[:-1]])
    position = np.arange(len(series_codes)) - np.repeat(starts, np.diff(np.r_[starts, len(series_codes)]))
    matrix = np.full((int(series_codes[-1]) + 1, int(position.max()) + 1), np.nan)
    matrix[series_codes, position] = values
    return matrix, position


def _trailing_mean(rows: np.ndarray, window: int, min_periods: int) -> np.ndarray:
    """pandas' `rolling(window, min_periods).mean()` along axis 1: NaNs skipped, `min_periods` values needed."""
    observed = ~np.isnan(rows)
    zero = np.zeros((rows.shape[0], 1))
    sums = np.concatenate([zero, np.cumsum(np.where(observed, rows, 0.0), axis=1)], axis=1)
    counts = np.concatenate([zero, np.cumsum(observed, axis=1)], axis=1)
    end = np.arange(1, rows.shape[1] + 1)
    start = np.maximum(end - window, 0)
    total, count = sums[:, end] - sums[:, start], counts[:, end] - counts[:, start]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count >= min_periods, total / count, np.nan)


def _shifted(rows: np.ndarray) -> np.ndarray:
    """Each row moved one place right (the value for t is the one computed up to t − 1)."""
    return np.concatenate([np.full((rows.shape[0], 1), np.nan), rows[:, :-1]], axis=1)


def panel_self_baseline_ewma(
    frame: pd.DataFrame,
    baseline: int = 24,
    lam: float = 0.2,
    L: float = 2.962,  # noqa: N803 - the literature's name
    value_column: str = "z_adj",
) -> pd.DataFrame:
    """Per-row self-baseline standardised value, EWMA statistic (SDs) and signal for every (org, indicator) series.

    The same as `self_baseline_standardise` then `ewma` on each series on its own (rows in period
    order within a series; the baseline counts observed rows), for thousands of series at once.
    """
    work = frame.sort_values(["org", "indicator", "period"], kind="stable")
    needed = (baseline * 3) // 4
    # Each series' observed rows left-aligned in one (series × rows) matrix, so the trailing means
    # are cumulative-sum differences along axis 1 instead of a pandas rolling window per group.
    series_codes = work.groupby(["org", "indicator"], sort=False).ngroup().to_numpy()
    n_series = int(series_codes.max()) + 1 if len(series_codes) else 0
    rows, position = left_aligned(series_codes, work[value_column].to_numpy(dtype=float))
    mean = _shifted(_trailing_mean(rows, baseline, needed))
    moving_range = np.abs(np.diff(rows, axis=1, prepend=np.nan))
    mean_mr = _shifted(_trailing_mean(moving_range, baseline - 1, max(1, needed - 1)))
    sigma = mean_mr / D2
    with np.errstate(divide="ignore", invalid="ignore"):
        standardised = ((rows - mean) / np.where(sigma > 0, sigma, np.nan))[series_codes, position]
    work = work.assign(standardised=standardised)
    period_codes, periods = pd.factorize(work["period"], sort=True)
    matrix = np.full((n_series, len(periods)), np.nan)
    matrix[series_codes, period_codes] = standardised
    limit = L * np.sqrt(lam / (2.0 - lam))
    statistic, signal = _ewma_matrix(matrix, lam, limit)
    work["ewma"] = statistic[series_codes, period_codes]
    work["signal"] = signal[series_codes, period_codes]
    work["limit"] = limit
    return work.loc[frame.index]


def slipping(
    signals: pd.DataFrame,
    window_months: int = 6,
    min_indicators: int = 2,
    spc_concerns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Organisations "slipping": ≥ min_indicators indicators signalling within window_months months."""
    # `signals` has columns org, indicator and signal_period (or period). Two signals are within
    # six months when they fall inside six consecutive calendar months (January and June are,
    # January and July are not). A signal that coincides (same org, indicator and month) with an
    # SPC concern point in `spc_concerns` (org, indicator, period) counts on its own, as methods §6
    # says. Qualifying signals less than `window_months` apart are merged into one episode; one
    # row per episode: org, first_period, last_period, indicators (sorted tuple), n_indicators,
    # with_spc_concern.
    period_column = "signal_period" if "signal_period" in signals.columns else "period"
    columns = ["org", "first_period", "last_period", "indicators", "n_indicators", "with_spc_concern"]
    if signals.empty:
        return pd.DataFrame(columns=columns)
    work = signals[["org", "indicator", period_column]].rename(columns={period_column: "period"})
    work = work.assign(month=month_index(work["period"]))
    work = work.drop_duplicates(["org", "indicator", "month"])
    work["spc"] = False
    if spc_concerns is not None and not spc_concerns.empty:
        concern_keys = set(
            zip(spc_concerns["org"], spc_concerns["indicator"], month_index(spc_concerns["period"]), strict=True)
        )
        work["spc"] = [key in concern_keys for key in zip(work["org"], work["indicator"], work["month"], strict=True)]
    work = work.sort_values(["org", "month", "indicator"], kind="stable")

    rows = []
    # Signals are rare (a few per trust per year), so a loop per organisation is cheap and clear.
    for org, group in work.groupby("org", sort=True):
        months = group["month"].to_numpy()
        indicators = group["indicator"].to_numpy()
        spc = group["spc"].to_numpy()
        qualifying = spc.copy()
        for i in range(len(months)):
            in_window = (months > months[i] - window_months) & (months <= months[i])
            if len(set(indicators[in_window])) >= min_indicators:
                qualifying |= in_window
        chosen = np.flatnonzero(qualifying)
        if len(chosen) == 0:
            continue
        breaks = np.flatnonzero(np.diff(months[chosen]) >= window_months) + 1
        for episode in np.split(chosen, breaks):
            names = tuple(sorted(set(indicators[episode])))
            rows.append(
                {
                    "org": org,
                    "first_period": group["period"].iloc[episode[0]],
                    "last_period": group["period"].iloc[episode[-1]],
                    "indicators": names,
                    "n_indicators": len(names),
                    "with_spc_concern": bool(spc[episode].any()),
                }
            )
    return pd.DataFrame(rows, columns=columns)
