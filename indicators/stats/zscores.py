"""z-scores of each trust-period against the national value, adjusted for overdispersion (methods §1–2).

Every z is oriented so that positive = worse. For proportions that means "higher than national"
once the caller has framed the indicator as breaches (the catalogue does); pass
`higher_is_worse=False` for the rare proportion where higher is better.

The panel functions run on every indicator-period at once: rows are grouped by `period` (and by
`indicator` when that column is present) and every per-group statistic is a bincount or a sorted
scan over group codes, so the nightly ~330k observations take well under a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Two-sided 95% normal quantile, to the precision the published SHMI limits use.
from .constants import Z95

# Winsorising percentiles (Spiegelhalter 2005 uses the 10% and 90% points).
WINSOR_LOW, WINSOR_HIGH = 10.0, 90.0


@dataclass(frozen=True)
class PeriodZ:
    """z-scores for one indicator-period; arrays follow the input trust order (NaN where no data)."""

    national: float
    flipped: bool
    s: np.ndarray
    z: np.ndarray
    z_winsorised: np.ndarray
    z_adj: np.ndarray
    phi: float
    tau2: float
    n_trusts: int


@dataclass(frozen=True)
class ShmiZ:
    """SHMI z-scores rebuilt from observed and expected deaths for one SHMI period."""

    z: np.ndarray
    z_adj: np.ndarray
    phi: float
    tau2: float
    ucl95: np.ndarray
    lcl95: np.ndarray
    kept: np.ndarray
    n_trusts: int


# --- shared group machinery -------------------------------------------------------------------


def _group_sum(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of `values` per group code, ignoring NaN (unitless)."""
    return np.bincount(codes, weights=np.where(np.isnan(values), 0.0, values), minlength=n_groups)


def _group_quantiles(values: np.ndarray, codes: np.ndarray, n_groups: int, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Per-group percentiles `qs` (0–100) of the non-NaN values, R type 7 / NumPy linear (value units)."""
    ok = ~np.isnan(values)
    v, c = values[ok], codes[ok]
    # One sort serves every percentile: by value, then stably by group.
    order = np.argsort(v, kind="stable")
    order = order[np.argsort(c[order], kind="stable")]
    v = v[order]
    counts = np.bincount(c, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    has = counts > 0
    results = []
    for q in qs:
        out = np.full(n_groups, np.nan)
        h = (counts[has] - 1) * (q / 100.0)
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, counts[has] - 1)
        v_lo, v_hi = v[starts[has] + lo], v[starts[has] + hi]
        out[has] = v_lo + (h - lo) * (v_hi - v_lo)
        results.append(out)
    return results


def _tau2(phi: np.ndarray, n: np.ndarray, sum_w: np.ndarray, sum_w2: np.ndarray) -> np.ndarray:
    """Additive overdispersion τ² (DerSimonian–Laird moment form on the transformed scale) per group."""
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = sum_w - sum_w2 / sum_w
        tau2 = np.maximum(0.0, (n * phi - (n - 1)) / denom)
    # With fewer than two trusts there is no between-trust spread to estimate: no adjustment.
    tau2 = np.where((n * phi < n - 1) | (n < 2), 0.0, tau2)
    return np.where(n > 0, tau2, np.nan)


def _group_keys(frame: pd.DataFrame) -> list[str]:
    """Columns that define one indicator-period (unitless)."""
    return ["indicator", "period"] if "indicator" in frame.columns else ["period"]


def _codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, int]:
    """Dense integer group codes for `keys` and the number of groups."""
    codes = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    return codes, int(codes.max()) + 1 if len(codes) else 0


def _polarity(frame: pd.DataFrame, higher_is_worse: bool) -> np.ndarray:
    """+1 where higher is worse, −1 where higher is better; a `higher_is_worse` column wins."""
    if "higher_is_worse" in frame.columns:
        return np.where(frame["higher_is_worse"].astype(bool).to_numpy(), 1.0, -1.0)
    return np.full(len(frame), 1.0 if higher_is_worse else -1.0)


# --- proportions (§1) -------------------------------------------------------------------------


def _proportion_core(
    r: np.ndarray,
    n: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    national_supplied: np.ndarray,
    binomial: bool,
    sign: np.ndarray,
) -> dict[str, np.ndarray]:
    """Steps 1–4 of methods §1 for every group at once; per-row arrays out (z in SDs)."""
    r = np.asarray(r, dtype=float)
    n = np.asarray(n, dtype=float)
    # Rows outside 0 ≤ r ≤ n are data errors the importer should have caught; they must not
    # poison the national value or φ for everyone else, so they are left out like missing data.
    valid = np.isfinite(r) & np.isfinite(n) & (n > 0) & (r >= 0) & (r <= n)
    r_v = np.where(valid, r, 0.0)
    n_v = np.where(valid, n, 0.0)

    sum_r = np.bincount(codes, weights=r_v, minlength=n_groups)
    sum_n = np.bincount(codes, weights=n_v, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        national_g = np.where(np.isnan(national_supplied), sum_r / sum_n, national_supplied)
    flipped_g = national_g > 0.5
    # Work with the smaller tail so the square-root transform removes the skew it is meant to.
    pi_g = np.where(flipped_g, 1.0 - national_g, national_g)
    pi = pi_g[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(valid, r / n, np.nan)
        p = np.where(flipped_g[codes], 1.0 - p, p)
        y = np.sqrt(p)
        y0 = np.sqrt(pi)
        s = 1.0 / (2.0 * np.sqrt(np.where(valid, n, np.nan)))
        if binomial:
            s = s * np.sqrt(1.0 - pi)
        # Flipping to 1 − p reverses direction; undo it so positive still means "higher p".
        orient = np.where(flipped_g[codes], -1.0, 1.0) * sign
        z = orient * (y - y0) / s

    q_low, q_high = _group_quantiles(z, codes, n_groups, (WINSOR_LOW, WINSOR_HIGH))
    z_w = np.minimum(np.maximum(z, q_low[codes]), q_high[codes])

    count = np.bincount(codes, weights=valid.astype(float), minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi_g = _group_sum(z_w**2, codes, n_groups) / count
        w = 1.0 / s**2
    tau2_g = _tau2(phi_g, count, _group_sum(w, codes, n_groups), _group_sum(w**2, codes, n_groups))
    with np.errstate(divide="ignore", invalid="ignore"):
        z_adj = orient * (y - y0) / np.sqrt(s**2 + tau2_g[codes])

    return {
        "national": national_g[codes],
        "flipped": flipped_g[codes],
        "s": s,
        "z": z,
        "z_winsorised": z_w,
        "z_adj": z_adj,
        "phi": phi_g[codes],
        "tau2": tau2_g[codes],
        "n_trusts": count[codes].astype(np.int64),
    }


def proportion_z(numerator, denominator, national=None, binomial=False, higher_is_worse=True) -> PeriodZ:
    """z and overdispersion-adjusted z_adj (SDs, positive = worse) for one indicator-period's trusts."""
    r = np.asarray(numerator, dtype=float).ravel()
    n = np.asarray(denominator, dtype=float).ravel()
    if r.shape != n.shape:
        raise ValueError("numerator and denominator must have the same length")
    supplied = np.array([np.nan if national is None else float(national)])
    if national is not None and not 0.0 <= supplied[0] <= 1.0:
        raise ValueError(f"national proportion must lie in [0, 1], got {national}")
    codes = np.zeros(len(r), dtype=np.int64)
    sign = np.full(len(r), 1.0 if higher_is_worse else -1.0)
    out = _proportion_core(r, n, codes, 1, supplied, binomial, sign)
    empty = len(r) == 0
    return PeriodZ(
        national=float(supplied[0]) if empty else float(out["national"][0]),
        flipped=False if empty else bool(out["flipped"][0]),
        s=out["s"],
        z=out["z"],
        z_winsorised=out["z_winsorised"],
        z_adj=out["z_adj"],
        phi=np.nan if empty else float(out["phi"][0]),
        tau2=np.nan if empty else float(out["tau2"][0]),
        n_trusts=0 if empty else int(out["n_trusts"][0]),
    )


def panel_proportion_z(frame: pd.DataFrame, binomial: bool = False, higher_is_worse: bool = True) -> pd.DataFrame:
    """Per-row z, z_adj (SDs, positive = worse) with per-period π, φ, τ² for a long org×period frame."""
    keys = _group_keys(frame)
    codes, n_groups = _codes(frame, keys)
    supplied = np.full(n_groups, np.nan)
    if "national" in frame.columns:
        national = frame["national"].astype(float)
        per_group = national.groupby(codes)
        if ((per_group.max() - per_group.min()) > 0).any():
            raise ValueError("a period has more than one supplied national value")
        firsts = per_group.first()
        supplied[firsts.index.to_numpy()] = firsts.to_numpy()
        if np.any((supplied < 0) | (supplied > 1)):
            raise ValueError("supplied national proportions must lie in [0, 1]")
    out = _proportion_core(
        frame["numerator"].to_numpy(dtype=float),
        frame["denominator"].to_numpy(dtype=float),
        codes,
        n_groups,
        supplied,
        binomial,
        _polarity(frame, higher_is_worse),
    )
    result = frame.copy()
    for column in ("national", "flipped", "s", "z", "z_adj", "phi", "tau2", "n_trusts"):
        result[column] = out[column]
    return result


def to_quarters(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum numerator and denominator by org (and indicator) and calendar quarter (period = quarter start)."""
    keys = ["org"] + (["indicator"] if "indicator" in frame.columns else [])
    periods = pd.to_datetime(frame["period"])
    quarter = periods.dt.to_period("Q").dt.start_time
    if frame["period"].dtype == object:
        # Keep dates as dates when they came in as dates (house style: months are `date`s).
        quarter = quarter.dt.date
    work = frame[keys + ["numerator", "denominator"]].assign(period=quarter.to_numpy(), n_months=1)
    # min_count=1 keeps a quarter with no reported months as missing rather than as zero.
    grouped = work.groupby(keys + ["period"], sort=True)
    result = grouped[["numerator", "denominator"]].sum(min_count=1)
    result["n_months"] = grouped["n_months"].sum()
    return result.reset_index()


# --- SHMI and other ratios (§2) ----------------------------------------------------------------


def shmi_z_from_limits(shmi, upper95) -> np.ndarray:
    """z_adj (SDs, positive = worse) of SHMI values from their published 95% overdispersed upper limits."""
    shmi = np.asarray(shmi, dtype=float)
    upper95 = np.asarray(upper95, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = Z95 * np.log(shmi) / np.log(upper95)
    return np.where((shmi > 0) & (upper95 > 1), z, np.nan)


def _ratio_counts_core(observed: np.ndarray, expected: np.ndarray, codes: np.ndarray, n_groups: int) -> dict:
    """Methods §2 rebuild from O and E with truncation, for every group at once (per-row arrays)."""
    valid = np.isfinite(observed) & np.isfinite(expected) & (observed > 0) & (expected > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(valid, np.log(observed / expected), np.nan)
        s2 = np.where(valid, 1.0 / expected, np.nan)
        z = y / np.sqrt(s2)
    count = np.bincount(codes, weights=valid.astype(float), minlength=n_groups)
    rank = pd.Series(z).groupby(codes).rank(method="average").to_numpy()
    # Truncate (not winsorise) the outer deciles: g = ⌊rank·10/(I+1)⌋, keep 1 ≤ g ≤ 8.
    g = np.floor(rank * 10.0 / (count[codes] + 1.0))
    kept = valid & (g >= 1) & (g <= 8)
    kept_f = kept.astype(float)
    n_kept = np.bincount(codes, weights=kept_f, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi_g = _group_sum(np.where(kept, z**2, 0.0), codes, n_groups) / n_kept
        w = np.where(kept, 1.0 / s2, 0.0)
    tau2_g = _tau2(phi_g, n_kept, _group_sum(w, codes, n_groups), _group_sum(w**2, codes, n_groups))
    tau2 = tau2_g[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        half_width = Z95 * np.sqrt(s2 + tau2)
        z_adj = y / np.sqrt(s2 + tau2)
    return {
        "z": z,
        "z_adj": z_adj,
        "phi": phi_g[codes],
        "tau2": tau2,
        "ucl95": np.exp(half_width),
        "lcl95": np.exp(-half_width),
        "kept": kept,
        "n_trusts": count[codes].astype(np.int64),
    }


def shmi_z_from_counts(observed, expected) -> ShmiZ:
    """SHMI z, z_adj (SDs, positive = worse) and rebuilt 95% limits (ratio) from observed/expected deaths."""
    o = np.asarray(observed, dtype=float).ravel()
    e = np.asarray(expected, dtype=float).ravel()
    if o.shape != e.shape:
        raise ValueError("observed and expected must have the same length")
    out = _ratio_counts_core(o, e, np.zeros(len(o), dtype=np.int64), 1)
    empty = len(o) == 0
    return ShmiZ(
        z=out["z"],
        z_adj=out["z_adj"],
        phi=np.nan if empty else float(out["phi"][0]),
        tau2=np.nan if empty else float(out["tau2"][0]),
        ucl95=out["ucl95"],
        lcl95=out["lcl95"],
        kept=out["kept"],
        n_trusts=0 if empty else int(out["n_trusts"][0]),
    )


def panel_ratio_z(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-row z, z_adj (SDs, positive = worse) and τ² for ratio indicators such as SHMI."""
    n = len(frame)
    z = np.full(n, np.nan)
    z_adj = np.full(n, np.nan)
    tau2 = np.full(n, np.nan)
    method = np.full(n, "", dtype=object)

    has_counts = {"observed", "expected"} <= set(frame.columns)
    if has_counts:
        keys = _group_keys(frame)
        codes, n_groups = _codes(frame, keys)
        counts = _ratio_counts_core(
            frame["observed"].to_numpy(dtype=float), frame["expected"].to_numpy(dtype=float), codes, n_groups
        )
        ok = np.isfinite(counts["z_adj"])
        z[ok], z_adj[ok], tau2[ok] = counts["z"][ok], counts["z_adj"][ok], counts["tau2"][ok]
        method[ok] = "counts"

    if "upper" in frame.columns:
        # Published limits already carry the overdispersion, and the unadjusted z cannot be
        # recovered from them, so z = z_adj and τ² is not known (NaN). They win over counts:
        # they are the official figures.
        from_limits = shmi_z_from_limits(frame["value"].to_numpy(dtype=float), frame["upper"].to_numpy(dtype=float))
        ok = np.isfinite(from_limits)
        z[ok], z_adj[ok], tau2[ok] = from_limits[ok], from_limits[ok], np.nan
        method[ok] = "limits"
    elif not has_counts:
        raise ValueError("panel_ratio_z needs value and upper columns, or observed and expected columns")

    result = frame.copy()
    result["z"] = z
    result["z_adj"] = z_adj
    result["tau2"] = tau2
    result["method"] = method
    return result


# --- plain scores ------------------------------------------------------------------------------


def panel_score_z(frame: pd.DataFrame, higher_is_worse: bool) -> pd.DataFrame:
    """Per-row z (SDs across trusts that period, positive = worse) for scores such as staff survey themes."""
    # Scores have no sampling variance we can model (survey themes are published means, the
    # financial segment is a 1–4 rating), so the z is a plain cross-sectional standardisation:
    # (x − period mean) / period SD (ddof=1). There is nothing to split into sampling and
    # between-trust variance, so z_adj = z and τ² is NaN rather than a made-up zero. When a
    # `group` column is present (benchmarking group) the mean and SD are taken within it.
    keys = _group_keys(frame) + (["group"] if "group" in frame.columns else [])
    values = frame["value"].astype(float)
    grouped = values.groupby([frame[key] for key in keys], sort=False, dropna=False)
    mean = grouped.transform("mean")
    sd = grouped.transform("std")
    sign = _polarity(frame, higher_is_worse)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = sign * ((values - mean) / sd.where(sd > 0)).to_numpy()
    result = frame.copy()
    result["z"] = z
    result["z_adj"] = z
    result["tau2"] = np.nan
    return result
