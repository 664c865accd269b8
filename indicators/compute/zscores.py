"""z-scores per period (methods §1), at the displayed and the analysis cadence, and the independent points."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats import periods
from ..stats.constants import Z95
from ..stats.zscores import panel_proportion_z, panel_ratio_z, panel_score_z, to_quarters
from .meta import ROLLING_YEAR_INDICATOR_CODES, IndicatorMeta, period_number


def _higher_is_worse(meta: IndicatorMeta) -> bool:
    # Neutral indicators (staffing shares) keep the natural direction: positive z = higher than national.
    return meta.polarity != "higher_is_better"


def compute_zscores(frame: pd.DataFrame, meta: IndicatorMeta) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-row z and z_adj for one indicator's observations, and the per-period national values."""
    work = frame.rename(columns={"organisation_id": "org"})
    if meta.kind == "proportion":
        work = work[(work["denominator"] > 0) & work["numerator"].notna()]
        scored = panel_proportion_z(
            work[["org", "period", "numerator", "denominator"]], higher_is_worse=_higher_is_worse(meta)
        )
        national = scored.groupby("period", sort=True).agg(
            national=("national", "first"), phi=("phi", "first"), tau2=("tau2", "first"), n_trusts=("org", "size")
        )
        scored["value"] = scored["numerator"] / scored["denominator"]
    elif meta.kind == "ratio":
        # SHMI-like ratios: published limits where a row has them, otherwise limits rebuilt from
        # observed (numerator) and expected (denominator) over the period's trusts (methods §2).
        observed = work["numerator"].to_numpy(dtype=float)
        expected = work["denominator"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            from_counts = np.where(expected > 0, observed / expected, np.nan)
        value = work["value"].to_numpy(dtype=float)
        work = work.assign(value=np.where(value > 0, value, from_counts), observed=observed, expected=expected)
        work = work[work["value"] > 0]
        scored = panel_ratio_z(work[["org", "period", "value", "upper", "observed", "expected"]])
        scored = scored[scored["method"] != ""].copy()
        rebuilt = (scored["method"] == "counts").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            ucl = np.exp(Z95 * np.sqrt(1.0 / scored["expected"].to_numpy(dtype=float) + scored["tau2"].to_numpy()))
        scored["upper"] = np.where(rebuilt, ucl, scored["upper"].to_numpy(dtype=float))
        scored["limits_rebuilt"] = rebuilt
        national = scored.groupby("period", sort=True).agg(
            tau2=("tau2", "first"), n_trusts=("org", "size"), national=("value", "median")
        )
        national["national"] = 1.0  # an observed/expected ratio is 1 nationally by construction
        national["phi"] = np.nan
        scored["numerator"] = scored["observed"]
        scored["denominator"] = scored["expected"]
    else:
        work = work[work["value"].notna()]
        scored = panel_score_z(work[["org", "period", "value"]], higher_is_worse=meta.polarity == "lower_is_better")
        national = scored.groupby("period", sort=True).agg(national=("value", "mean"), n_trusts=("org", "size"))
        national["phi"] = np.nan
        national["tau2"] = np.nan
        scored["numerator"] = np.nan
        scored["denominator"] = np.nan
    if meta.kind != "ratio":
        scored["upper"] = np.nan
        scored["limits_rebuilt"] = False
    zscores = scored[
        ["org", "period", "numerator", "denominator", "value", "z", "z_adj", "upper", "limits_rebuilt"]
    ].rename(columns={"org": "organisation_id"})
    return national.reset_index(), zscores.reset_index(drop=True)


def independent_points(zscores: pd.DataFrame, meta: IndicatorMeta) -> tuple[pd.DataFrame, str]:
    """The rows whose values do not overlap, and their cadence: non-overlapping years of a rolling year."""
    if meta.code not in ROLLING_YEAR_INDICATOR_CODES or zscores.empty or meta.cadence == "annual":
        return zscores, meta.cadence
    index = period_number(zscores["period"], meta.cadence)
    # One anchor for every trust (the latest period of the indicator), so all charts use the same years.
    keep = periods.non_overlapping_annual(index, meta.cadence, anchor=int(index.max()))
    return zscores[keep], "annual"


def analysis_zscores(frame: pd.DataFrame, zscores: pd.DataFrame, meta: IndicatorMeta) -> tuple[pd.DataFrame, str]:
    """z-scores at the indicator's analysis cadence, and that cadence (methods §1: quarterly analysis).

    A monthly proportion analysed quarterly sums r and n over each calendar quarter, then scores
    the quarters (never averaging monthly z). Only complete quarters (all three months reported)
    are scored, so a quarter straddling the start or end of a gap is not a part-quarter. Other
    kinds, or no coarser cadence, keep the displayed z-scores.
    """
    if meta.code in ROLLING_YEAR_INDICATOR_CODES:
        return independent_points(zscores, meta)
    cadence = meta.its_cadence
    if cadence == meta.cadence or meta.kind != "proportion" or meta.cadence != "monthly" or cadence != "quarterly":
        return zscores, meta.cadence
    monthly = frame.rename(columns={"organisation_id": "org"})
    monthly = monthly[(monthly["denominator"] > 0) & monthly["numerator"].notna()]
    quarters = to_quarters(monthly[["org", "period", "numerator", "denominator"]])
    quarters = quarters[quarters["n_months"] == 3].drop(columns="n_months")
    if quarters.empty:
        return quarters.assign(z_adj=[]).rename(columns={"org": "organisation_id"}), cadence
    quarters = quarters.assign(period=pd.to_datetime(quarters["period"])).rename(columns={"org": "organisation_id"})
    _, quarterly = compute_zscores(quarters, meta)
    return quarterly, cadence
