"""Interrupted time series of one trust's z-scores around its regime spell (methods §3).

Model (t = 1…N over the window; t_e first period in the regime; t_x first period after exit):
    z = b0 + b1·t + b2·I + b3·D [+ b4·A]
    I = 1[t ≥ t_e];  D = min(t, t_x) − t_e when t ≥ t_e, else 0;  A = (t − t_x)·1[t ≥ t_x]
fitted by iterated Prais–Winsten AR(1) FGLS when the window holds at least 24 observations, by
OLS otherwise. No lagged dependent variable: it would change what b2 means and make trusts
unpoolable. Everything here is small dense NumPy with direct LAPACK calls (the fits are tiny, so
per-call overhead is what costs) so ~1000 trust fits take a fraction of a second; statsmodels is
the reference in the tests, not a dependency of the hot path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import special
from scipy.linalg import lapack

RHO_LIMIT = 0.99
TOLERANCE, MAX_ITERATIONS = 1e-8, 100  # the ρ iteration: stop when ρ moves less than TOLERANCE

COEFFICIENT_NAMES = ("intercept", "pre_slope", "level_change", "slope_change_during", "slope_change_after")


@dataclass(frozen=True)
class PWFit:
    """A linear fit with AR(1) diagnostics; coef and se in the units of y per unit of each X column."""

    coef: np.ndarray
    se: np.ndarray
    cov: np.ndarray
    rho: float
    dw: float
    dw_transformed: float
    sigma2: float
    n: int
    df: int
    converged: bool
    iterations: int
    fitted: np.ndarray
    resid: np.ndarray


@dataclass(frozen=True)
class Coefficient:
    """One ITS coefficient: estimate, standard error and 95% CI (z units, or z units per period)."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True, eq=False)
class ItsFit(Mapping):
    """One trust's ITS fit; indexing by coefficient name gives a Coefficient, or None when not estimable."""

    coefficients: dict[str, Coefficient | None]
    rho: float
    dw: float
    n: int
    n_change_points: int
    method: str
    window: np.ndarray
    t: np.ndarray
    observed: np.ndarray
    fitted: np.ndarray
    counterfactual: np.ndarray
    t_entry: int
    t_exit: int | None
    segment_counts: dict[str, int] = field(default_factory=dict)
    fit: PWFit | None = None

    def __getitem__(self, name: str) -> Coefficient | None:
        return self.coefficients[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.coefficients)

    def __len__(self) -> int:
        return len(self.coefficients)


def its_design(n_periods: int, t_entry: int, t_exit: int | None = None) -> np.ndarray:
    """Design matrix [1, t, I, D] or [1, t, I, D, A] for t = 1…n_periods (columns unitless / periods)."""
    t = np.arange(1, n_periods + 1, dtype=float)
    return _design(t, t_entry, t_exit)


def _design(t: np.ndarray, t_entry: int, t_exit: int | None) -> np.ndarray:
    """The ITS design at arbitrary period positions t (1-based, may have gaps)."""
    if t_exit is not None and t_exit <= t_entry:
        raise ValueError("t_exit must come after t_entry")
    # Filled column by column (this runs twice per fit, ~1000 fits a night). max(t − t_e, 0) is
    # t − t_e from entry on and 0 before it.
    design = np.empty((len(t), 4 if t_exit is None else 5))
    design[:, 0] = 1.0
    design[:, 1] = t
    np.greater_equal(t, t_entry, out=design[:, 2])
    if t_exit is None:
        np.maximum(t - t_entry, 0.0, out=design[:, 3])
        return design
    # D holds its value after exit: time spent in the regime, not time since entry.
    np.maximum(np.minimum(t, t_exit) - t_entry, 0.0, out=design[:, 3])
    np.maximum(t - t_exit, 0.0, out=design[:, 4])
    return design


def _durbin_watson(e: np.ndarray) -> float:
    """Durbin–Watson statistic Σ(e_t − e_{t−1})² / Σe_t² (0–4, 2 = no autocorrelation)."""
    denom = float(e @ e)
    steps = e[1:] - e[:-1]
    return float(steps @ steps) / denom if denom > 0 else np.nan


def _lag_one_rho(e: np.ndarray, adjacent: np.ndarray | None) -> float:
    """Lag-1 autocorrelation Σe_t e_{t−1} / Σe_t² over adjacent periods, clipped to ±0.99."""
    # `adjacent` marks the consecutive pairs one period apart (None: all of them are).
    denom = float(e @ e)
    if denom <= 0:
        return 0.0
    products = e[1:] * e[:-1]
    numer = float(products.sum() if adjacent is None else products[adjacent].sum())
    return min(max(numer / denom, -RHO_LIMIT), RHO_LIMIT)  # a scalar clip, without np.clip's overhead


def _ar1_transform(a: np.ndarray, rho: float, gap_powers: np.ndarray | None) -> np.ndarray:
    """Prais–Winsten whitening of rows of `a` (1-D or 2-D) for AR(1) errors with coefficient rho."""
    out = np.empty_like(a, dtype=float)
    out[0] = np.sqrt(1.0 - rho**2) * a[0]
    if gap_powers is None:
        # Every step is one period: phi = rho and the rescaling below is exactly 1.
        np.multiply(a[:-1], rho, out=out[1:])
        np.subtract(a[1:], out[1:], out=out[1:])
        return out
    # With a gap of g periods the correlation is rho**g; rescaling keeps the innovation variance
    # equal to that of the gap-free rows, so this is exact GLS for AR(1) with missing months and
    # reduces to x_t − rho·x_{t−1} when there are no gaps.
    phi = rho**gap_powers
    scale = np.sqrt((1.0 - phi**2) / (1.0 - rho**2))
    if a.ndim == 1:
        out[1:] = (a[1:] - phi * a[:-1]) / scale
    else:
        out[1:] = (a[1:] - phi[:, None] * a[:-1]) / scale[:, None]
    return out


def _least_squares(stacked: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS of the last column of `stacked` = [X | y] on the others: coefficients, R⁻¹ and residuals.

    One Householder QR of [X | y] by LAPACK directly (these fits are tiny, so NumPy's wrapper
    overhead dominated): its leading block is X's R and the top of its last column is Q'y;
    (X'X)⁻¹ = R⁻¹R⁻ᵀ. Refuses a rank-deficient X.
    """
    p = stacked.shape[1] - 1
    qr, _, _, info = lapack.dgeqrf(stacked)
    if info != 0:
        raise np.linalg.LinAlgError(f"QR failed (info={info})")
    diagonal = np.abs(np.diagonal(qr)[:p])
    if diagonal.min() <= 1e-10 * diagonal.max():
        raise np.linalg.LinAlgError("design is rank deficient")
    # dtrtri reads and writes the upper triangle only; the Householder vectors below it are zeroed.
    r_inv, info = lapack.dtrtri(qr[:p, :p])
    if info != 0:
        raise np.linalg.LinAlgError("design is rank deficient")
    r_inv *= _upper_mask(p)
    coef = r_inv @ qr[:p, p]
    return coef, r_inv, stacked[:, p] - stacked[:, :p] @ coef


@lru_cache(maxsize=16)
def _upper_mask(p: int) -> np.ndarray:
    return np.triu(np.ones((p, p)))


def _coefficients_only(whitened: np.ndarray) -> np.ndarray:
    """OLS coefficients of the last column on the others by the normal equations (inside the ρ iteration)."""
    p = whitened.shape[1] - 1
    gram = whitened.T @ whitened  # [X'X X'y; y'X y'y] in one product
    _, _, coef, info = lapack.dgesv(gram[:p, :p], gram[:p, p])
    if info != 0:
        raise np.linalg.LinAlgError("Singular matrix")
    return coef


@lru_cache(maxsize=256)
def _t_critical(df: int) -> float:
    """Two-sided 95% Student t quantile for df degrees of freedom (cached: ~1000 fits a night)."""
    return float(special.stdtrit(df, 0.975))  # scipy.stats.t.ppf, without importing scipy.stats


def _check(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate shapes and values for a linear fit."""
    y = np.asarray(y, dtype=float).ravel()
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError("X must be a 2-D array with one row per observation")
    if not np.isfinite(y).all() or not np.isfinite(X).all():
        raise ValueError("y and X must be finite; drop missing periods first")
    return y, X


def _check_estimable(X: np.ndarray) -> None:
    n, p = X.shape
    if n <= p:
        raise np.linalg.LinAlgError(f"design is not estimable (n={n}, p={p})")


def _stack(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """[X | y] as one array, so the AR(1) whitening is one pass over the rows."""
    stacked = np.empty((X.shape[0], X.shape[1] + 1))
    stacked[:, :-1] = X
    stacked[:, -1] = y
    return stacked


def _gaps(times, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Gaps between consecutive observations as (the gaps as floats, the pairs one period apart),
    or (None, None) when every gap is one period (also when times is None)."""
    if times is None:
        return None, None
    times = np.asarray(times, dtype=np.int64)
    gaps = times[1:] - times[:-1]
    if len(gaps) != n - 1:
        raise ValueError("times must be strictly increasing integers, one per observation")
    adjacent = gaps == 1
    if adjacent.all():
        return None, None
    if (gaps < 1).any():
        raise ValueError("times must be strictly increasing integers, one per observation")
    return gaps.astype(float), adjacent


def ols_fit(y, X, times=None) -> PWFit:
    """Ordinary least squares with the lag-1 residual autocorrelation and Durbin–Watson reported, not used."""
    return _ols_fit(*_check(y, X), times)


def _ols_fit(y: np.ndarray, X: np.ndarray, times) -> PWFit:
    _check_estimable(X)
    n, p = X.shape
    coef, r_inv, resid = _least_squares(_stack(X, y))
    xtx_inv = r_inv @ r_inv.T
    sigma2 = float(resid @ resid) / (n - p)
    dw = _durbin_watson(resid)
    fitted = X @ coef
    return PWFit(
        coef=coef,
        se=np.sqrt(np.diagonal(xtx_inv) * sigma2),
        cov=xtx_inv * sigma2,
        rho=_lag_one_rho(resid, _gaps(times, n)[1]),
        dw=dw,
        dw_transformed=dw,
        sigma2=sigma2,
        n=n,
        df=n - p,
        converged=True,
        iterations=0,
        fitted=fitted,
        resid=y - fitted,
    )


def prais_winsten(y, X, tol=TOLERANCE, max_iter=MAX_ITERATIONS, rho=None, times=None) -> PWFit:
    """Iterated Prais–Winsten AR(1) FGLS (fixed `rho` if given); coef/se in y units per X unit."""
    return _prais_winsten(*_check(y, X), tol, max_iter, rho, times)


def _prais_winsten(y: np.ndarray, X: np.ndarray, tol: float, max_iter: int, rho, times) -> PWFit:
    _check_estimable(X)
    n, p = X.shape
    gap_powers, adjacent = _gaps(times, n)
    # [X | y] is whitened in one pass: the fits are tiny, so call overhead dominates.
    stacked = _stack(X, y)
    _, _, ols_resid = _least_squares(stacked)  # also the rank check
    # DW is reported on the OLS residuals: it describes the series, so it is comparable between
    # trusts fitted by OLS and by Prais–Winsten; dw_transformed checks what the AR(1) left behind.
    dw = _durbin_watson(ols_resid)

    if rho is not None:
        current = float(np.clip(rho, -RHO_LIMIT, RHO_LIMIT))
        iterations, converged = 0, True
    else:
        current = _lag_one_rho(ols_resid, adjacent)
        iterations, converged = 0, False
        for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
            coef = _coefficients_only(_ar1_transform(stacked, current, gap_powers))
            updated = _lag_one_rho(y - X @ coef, adjacent)
            if abs(updated - current) < tol:
                current, converged = updated, True
                break
            current = updated

    coef, r_inv, whitened_resid = _least_squares(_ar1_transform(stacked, current, gap_powers))
    xtx_inv = r_inv @ r_inv.T
    sigma2 = float(whitened_resid @ whitened_resid) / (n - p)
    fitted = X @ coef
    return PWFit(
        coef=coef,
        se=np.sqrt(np.diagonal(xtx_inv) * sigma2),
        cov=xtx_inv * sigma2,
        rho=current,
        dw=dw,
        dw_transformed=_durbin_watson(whitened_resid),
        sigma2=sigma2,
        n=n,
        df=n - p,
        converged=converged,
        iterations=iterations,
        fitted=fitted,
        resid=y - fitted,
    )


def fit_its(
    z,
    periods_index,
    entry_index: int,
    exit_index: int | None = None,
    reentry_index: int | None = None,
    min_segment: int = 6,
    min_ar1: int = 24,
    pre_periods: int | None = 18,
) -> ItsFit | None:
    """Fit one trust's ITS on z_adj (SDs) over its window; None when the pre-entry segment is too short."""
    # `periods_index` are integer period positions (e.g. months since 2000), one per z. The window
    # runs from `pre_periods` before entry (None: from the first period given) to the last period
    # before `reentry_index`. With at least `min_segment` observed periods after exit the model has
    # two change points; otherwise the data stop at exit and there is one. Availability rules, each
    # because a coefficient is only as good as the segments it compares:
    # - fewer than `min_segment` observed pre-entry periods → None (every row is measured against
    #   the pre-entry trend);
    # - fewer than `min_segment` observed in-regime periods → level_change and
    #   slope_change_during are None (the in-regime line is too short to have a slope);
    # - slope_change_after exists only with two change points (≥ `min_segment` after exit).
    # Missing z are dropped but keep their period positions (Prais–Winsten handles the gap).
    z = np.asarray(z, dtype=float).ravel()
    idx = np.asarray(periods_index, dtype=np.int64).ravel()
    if z.shape != idx.shape:
        raise ValueError("z and periods_index must have the same length")
    if not (idx[1:] > idx[:-1]).all():  # not already strictly increasing
        order = np.argsort(idx)
        z, idx = z[order], idx[order]
        if (idx[1:] == idx[:-1]).any():
            raise ValueError("periods_index has duplicates")
    if exit_index is not None and exit_index <= entry_index:
        raise ValueError("exit_index must come after entry_index")
    if reentry_index is not None and (exit_index is None or reentry_index < exit_index):
        raise ValueError("reentry_index needs an exit_index at or before it")

    # idx is sorted, so the window and its segments are slices found by binary search.
    finite = np.isfinite(z)
    observed_at = np.flatnonzero(finite)
    first_observed = int(idx[observed_at[0]]) if len(observed_at) else entry_index
    # t = 1 is the first period of the window that has data, so leading empty months are not "window".
    start = first_observed if pre_periods is None else max(entry_index - pre_periods, first_observed)
    low = int(np.searchsorted(idx, start))
    high = len(idx) if reentry_index is None else int(np.searchsorted(idx, reentry_index))
    z, idx, observed = z[low:high], idx[low:high], finite[low:high]

    at_entry = int(np.searchsorted(idx, entry_index))
    n_pre = int(np.count_nonzero(observed[:at_entry]))
    if exit_index is None:
        n_during, n_after = int(np.count_nonzero(observed[at_entry:])), 0
    else:
        at_exit = int(np.searchsorted(idx, exit_index))
        n_during = int(np.count_nonzero(observed[at_entry:at_exit]))
        n_after = int(np.count_nonzero(observed[at_exit:]))

    two_change_points = exit_index is not None and n_after >= min_segment
    if exit_index is not None and not two_change_points:
        # Too little after exit to estimate a slope: use the data up to exit only.
        z, idx, observed = z[:at_exit], idx[:at_exit], observed[:at_exit]
        n_after = 0
    if n_pre < min_segment or not observed.any():
        return None

    end = int(idx[-1])
    window = np.arange(start, end + 1, dtype=np.int64)
    t_window = (window - start + 1).astype(float)
    t_entry = entry_index - start + 1
    t_exit = exit_index - start + 1 if two_change_points else None

    times = idx[observed] - start + 1
    X = _design(times.astype(float), t_entry, t_exit)
    y = z[observed]
    n, p = X.shape
    try:
        # y and X are finite by construction, so the public entry points' checks are skipped.
        if n >= min_ar1:
            fit, method = _prais_winsten(y, X, TOLERANCE, MAX_ITERATIONS, None, times), "prais_winsten"
        else:
            fit, method = _ols_fit(y, X, times), "ols"
    except np.linalg.LinAlgError:
        return None  # e.g. no observed period in the regime: the regime columns are all zero

    # Per-coefficient CIs use Student t on the fit's N − p df: windows are short.
    t_crit = _t_critical(fit.df)
    available = {
        "intercept": True,
        "pre_slope": True,
        "level_change": n_during >= min_segment,
        "slope_change_during": n_during >= min_segment,
        "slope_change_after": two_change_points,
    }
    coefficients: dict[str, Coefficient | None] = {}
    for column, name in enumerate(COEFFICIENT_NAMES):
        if column >= p or not available[name]:
            coefficients[name] = None
            continue
        estimate, se = float(fit.coef[column]), float(fit.se[column])
        coefficients[name] = Coefficient(estimate, se, estimate - t_crit * se, estimate + t_crit * se)

    z_window = np.full(len(window), np.nan)
    z_window[idx - start] = z
    return ItsFit(
        coefficients=coefficients,
        rho=fit.rho,
        dw=fit.dw,
        n=n,
        n_change_points=2 if two_change_points else 1,
        method=method,
        window=window,
        t=t_window,
        observed=z_window,
        fitted=_design(t_window, t_entry, t_exit) @ fit.coef,
        counterfactual=fit.coef[0] + fit.coef[1] * t_window,
        t_entry=t_entry,
        t_exit=t_exit,
        segment_counts={"pre": n_pre, "during": n_during, "after": n_after},
        fit=fit,
    )
