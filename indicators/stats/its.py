"""Interrupted time series of one trust's z-scores around its regime spell (methods §3).

Model (t = 1…N over the window; t_e first period in the regime; t_x first period after exit):
    z = b0 + b1·t + b2·I + b3·D [+ b4·A]
    I = 1[t ≥ t_e];  D = min(t, t_x) − t_e when t ≥ t_e, else 0;  A = (t − t_x)·1[t ≥ t_x]
fitted by iterated Prais–Winsten AR(1) FGLS when the window holds at least 24 observations, by
OLS otherwise. No lagged dependent variable: it would change what b2 means and make trusts
unpoolable. Everything here is small dense NumPy so ~1000 trust fits take well under a second;
statsmodels is the reference in the tests, not a dependency of the hot path.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import stats

RHO_LIMIT = 0.99

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
    in_regime = (t >= t_entry).astype(float)
    if t_exit is None:
        during = np.where(t >= t_entry, t - t_entry, 0.0)
        return np.column_stack([np.ones_like(t), t, in_regime, during])
    if t_exit <= t_entry:
        raise ValueError("t_exit must come after t_entry")
    # D holds its value after exit: time spent in the regime, not time since entry.
    during = np.where(t >= t_entry, np.minimum(t, t_exit) - t_entry, 0.0)
    after = np.where(t >= t_exit, t - t_exit, 0.0)
    return np.column_stack([np.ones_like(t), t, in_regime, during, after])


def _durbin_watson(e: np.ndarray) -> float:
    """Durbin–Watson statistic Σ(e_t − e_{t−1})² / Σe_t² (0–4, 2 = no autocorrelation)."""
    denom = float(e @ e)
    return float(np.sum(np.diff(e) ** 2) / denom) if denom > 0 else np.nan


def _lag_one_rho(e: np.ndarray, gaps: np.ndarray) -> float:
    """Lag-1 autocorrelation Σe_t e_{t−1} / Σe_t² over adjacent periods, clipped to ±0.99."""
    denom = float(e @ e)
    if denom <= 0:
        return 0.0
    products = e[1:] * e[:-1]
    numer = float(products.sum() if gaps.max(initial=1) == 1 else products[gaps == 1].sum())
    return float(np.clip(numer / denom, -RHO_LIMIT, RHO_LIMIT))


def _ar1_transform(a: np.ndarray, rho: float, gaps: np.ndarray) -> np.ndarray:
    """Prais–Winsten whitening of rows of `a` (1-D or 2-D) for AR(1) errors with coefficient rho."""
    out = np.empty_like(a, dtype=float)
    out[0] = np.sqrt(1.0 - rho**2) * a[0]
    # With a gap of g periods the correlation is rho**g; rescaling keeps the innovation variance
    # equal to that of the gap-free rows, so this is exact GLS for AR(1) with missing months and
    # reduces to x_t − rho·x_{t−1} when there are no gaps.
    phi = rho ** gaps.astype(float)
    scale = np.sqrt((1.0 - phi**2) / (1.0 - rho**2))
    if a.ndim == 1:
        out[1:] = (a[1:] - phi * a[:-1]) / scale
    else:
        out[1:] = (a[1:] - phi[:, None] * a[:-1]) / scale[:, None]
    return out


def _least_squares(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS by QR: coefficients, (X'X)⁻¹ and the residual sum of squares; refuses a rank-deficient X."""
    q, r = np.linalg.qr(X)
    diagonal = np.abs(np.diag(r))
    if diagonal.min() <= 1e-10 * diagonal.max():
        raise np.linalg.LinAlgError("design is rank deficient")
    r_inv = np.linalg.inv(r)
    coef = r_inv @ (q.T @ y)
    resid = y - X @ coef
    return coef, r_inv @ r_inv.T, float(resid @ resid)


def _coefficients_only(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    """OLS coefficients by the normal equations (inside the ρ iteration, where only β is needed)."""
    return np.linalg.solve(X.T @ X, X.T @ y)


@lru_cache(maxsize=256)
def _t_critical(df: int) -> float:
    """Two-sided 95% Student t quantile for df degrees of freedom (cached: ~1000 fits a night)."""
    return float(stats.t.ppf(0.975, df))


def _check(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate shapes and rank for a linear fit."""
    y = np.asarray(y, dtype=float).ravel()
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] != y.shape[0]:
        raise ValueError("X must be a 2-D array with one row per observation")
    if not np.all(np.isfinite(y)) or not np.all(np.isfinite(X)):
        raise ValueError("y and X must be finite; drop missing periods first")
    n, p = X.shape
    if n <= p:
        raise np.linalg.LinAlgError(f"design is not estimable (n={n}, p={p})")
    return y, X


def _gaps(times, n: int) -> np.ndarray:
    """Period gaps between consecutive observations (all 1 when times is None)."""
    if times is None:
        return np.ones(n - 1, dtype=np.int64)
    gaps = np.diff(np.asarray(times, dtype=np.int64))
    if len(gaps) != n - 1 or np.any(gaps < 1):
        raise ValueError("times must be strictly increasing integers, one per observation")
    return gaps


def ols_fit(y, X, times=None) -> PWFit:
    """Ordinary least squares with the lag-1 residual autocorrelation and Durbin–Watson reported, not used."""
    y, X = _check(y, X)
    n, p = X.shape
    coef, xtx_inv, ssr = _least_squares(y, X)
    resid = y - X @ coef
    sigma2 = ssr / (n - p)
    dw = _durbin_watson(resid)
    return PWFit(
        coef=coef,
        se=np.sqrt(np.diag(xtx_inv) * sigma2),
        cov=xtx_inv * sigma2,
        rho=_lag_one_rho(resid, _gaps(times, n)),
        dw=dw,
        dw_transformed=dw,
        sigma2=sigma2,
        n=n,
        df=n - p,
        converged=True,
        iterations=0,
        fitted=X @ coef,
        resid=resid,
    )


def prais_winsten(y, X, tol=1e-8, max_iter=100, rho=None, times=None) -> PWFit:
    """Iterated Prais–Winsten AR(1) FGLS (fixed `rho` if given); coef/se in y units per X unit."""
    y, X = _check(y, X)
    n, p = X.shape
    gaps = _gaps(times, n)
    ols_coef, _, _ = _least_squares(y, X)  # also the rank check
    ols_resid = y - X @ ols_coef
    # DW is reported on the OLS residuals: it describes the series, so it is comparable between
    # trusts fitted by OLS and by Prais–Winsten; dw_transformed checks what the AR(1) left behind.
    dw = _durbin_watson(ols_resid)

    if rho is not None:
        current = float(np.clip(rho, -RHO_LIMIT, RHO_LIMIT))
        iterations, converged = 0, True
    else:
        current = _lag_one_rho(ols_resid, gaps)
        iterations, converged = 0, False
        # Whiten [X | y] in one pass per iteration: the fits are tiny, so call overhead dominates.
        stacked = np.column_stack([X, y])
        for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
            whitened = _ar1_transform(stacked, current, gaps)
            coef = _coefficients_only(whitened[:, -1], whitened[:, :-1])
            updated = _lag_one_rho(y - X @ coef, gaps)
            if abs(updated - current) < tol:
                current, converged = updated, True
                break
            current = updated

    y_star = _ar1_transform(y, current, gaps)
    X_star = _ar1_transform(X, current, gaps)
    coef, xtx_inv, ssr = _least_squares(y_star, X_star)
    sigma2 = ssr / (n - p)
    return PWFit(
        coef=coef,
        se=np.sqrt(np.diag(xtx_inv) * sigma2),
        cov=xtx_inv * sigma2,
        rho=current,
        dw=dw,
        dw_transformed=_durbin_watson(y_star - X_star @ coef),
        sigma2=sigma2,
        n=n,
        df=n - p,
        converged=converged,
        iterations=iterations,
        fitted=X @ coef,
        resid=y - X @ coef,
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
    if len(np.unique(idx)) != len(idx):
        raise ValueError("periods_index has duplicates")
    order = np.argsort(idx)
    z, idx = z[order], idx[order]
    if exit_index is not None and exit_index <= entry_index:
        raise ValueError("exit_index must come after entry_index")
    if reentry_index is not None and (exit_index is None or reentry_index < exit_index):
        raise ValueError("reentry_index needs an exit_index at or before it")

    first_observed = int(idx[np.isfinite(z)][0]) if np.isfinite(z).any() else entry_index
    # t = 1 is the first period of the window that has data, so leading empty months are not "window".
    start = first_observed if pre_periods is None else max(entry_index - pre_periods, first_observed)
    in_window = idx >= start
    if reentry_index is not None:
        in_window &= idx < reentry_index
    z, idx = z[in_window], idx[in_window]
    observed = np.isfinite(z)

    n_pre = int(np.sum(observed & (idx < entry_index)))
    exit_bound = exit_index if exit_index is not None else np.iinfo(np.int64).max
    n_during = int(np.sum(observed & (idx >= entry_index) & (idx < exit_bound)))
    n_after = int(np.sum(observed & (idx >= exit_bound))) if exit_index is not None else 0

    two_change_points = exit_index is not None and n_after >= min_segment
    if exit_index is not None and not two_change_points:
        # Too little after exit to estimate a slope: use the data up to exit only.
        keep = idx < exit_index
        z, idx, observed = z[keep], idx[keep], observed[keep]
        n_after = 0
    if n_pre < min_segment or not observed.any():
        return None

    end = int(idx[-1])
    window = np.arange(start, end + 1, dtype=np.int64)
    t_window = (window - start + 1).astype(float)
    t_entry = entry_index - start + 1
    t_exit = exit_index - start + 1 if two_change_points else None

    t_obs = (idx[observed] - start + 1).astype(float)
    X = _design(t_obs, t_entry, t_exit)
    y = z[observed]
    n, p = X.shape
    try:
        if n >= min_ar1:
            fit, method = prais_winsten(y, X, times=t_obs.astype(np.int64)), "prais_winsten"
        else:
            fit, method = ols_fit(y, X, times=t_obs.astype(np.int64)), "ols"
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
