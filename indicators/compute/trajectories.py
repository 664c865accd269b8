"""Interrupted time series per trust spell (methods §3) and the pooled effects across trusts (Table 23)."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ..page_results import finite_list
from ..stats import periods
from ..stats.its import fit_its
from ..stats.pooling import dersimonian_laird
from ..stats.spells import Spell
from .meta import (
    ALWAYS_POOLED,
    POOL_GROUPS,
    QUANTITIES,
    IndicatorMeta,
    date_number,
    finite_or_none,
    period_number,
)
from .spells import spell_group


def _coefficient_dict(fit) -> dict:
    out = {}
    for name in QUANTITIES:
        coefficient = fit[name]
        if coefficient is not None and np.isfinite(coefficient.se) and coefficient.se > 0:
            out[name] = {
                "estimate": float(coefficient.estimate),
                "se": float(coefficient.se),
                "ci_low": float(coefficient.ci_low),
                "ci_high": float(coefficient.ci_high),
            }
    return out


@functools.lru_cache(maxsize=4096)
def _period_label(number: int, cadence: str) -> str:
    """A period's label (a fit's series repeats the same few hundred periods across trusts)."""
    return periods.index_label(number, cadence)


def compute_trajectories(
    zscores: pd.DataFrame, meta: IndicatorMeta, spells: dict[int, list[Spell]], cadence: str | None = None
) -> list[dict]:
    """One interrupted-time-series fit per trust spell with enough data (methods §3), at `cadence`.

    `zscores` are at `cadence` (default the indicator's own; the analysis cadence when the
    evaluation analysed it coarser, e.g. ED by quarter). A window never bridges a gap in the data:
    the fit uses only the run (stats.periods) holding the last observed period before entry, so a
    segment that would cross a gap stops at it, and a fit whose segment is then too short is not
    made (methods §3, minimum data).
    """
    cadence = cadence or meta.cadence
    if meta.cadence == "annual" or zscores.empty:
        return []  # annual series (staff survey): entry-versus-exit comparisons instead (issue 10)
    pre_periods = meta.pre_window_months // periods.STEP_MONTHS[cadence]
    finite = zscores[np.isfinite(zscores["z_adj"].to_numpy(dtype=float))]
    numbers = period_number(finite["period"], cadence)
    z_values = finite["z_adj"].to_numpy(dtype=float)
    by_org = {}
    for org, index in finite.groupby("organisation_id").indices.items():
        order = index[np.argsort(numbers[index], kind="stable")]
        by_org[org] = (numbers[order], z_values[order])
    fits = []
    for org, org_spells in spells.items():
        if org not in by_org:
            continue
        org_idx, org_z = by_org[org]
        for spell in org_spells:
            entry = date_number(spell.entered, cadence)
            # t_x is the first period after exit: the period after the one containing the exit date.
            exit_ = date_number(spell.exited, cadence) + 1 if spell.exited else None
            reentry = date_number(spell.re_entry_after, cadence) if spell.re_entry_after else None
            if exit_ is not None and exit_ <= entry:
                exit_ = entry + 1
            if reentry is not None and exit_ is not None and reentry < exit_:
                reentry = exit_
            in_run = periods.run_containing(org_idx, entry - 1, meta.gap_tolerance)
            if not in_run.any():
                continue  # no data before entry: nothing to compare against
            idx, z = org_idx[in_run], org_z[in_run]
            fit = fit_its(z, idx, entry, exit_, reentry, pre_periods=pre_periods)
            if fit is None:
                continue
            coefficients = _coefficient_dict(fit)
            if not coefficients:
                continue
            start, end = int(fit.window[0]), int(fit.window[-1])
            # The observed z of each window position (t counts the window's periods from 1), else None.
            observed = np.full(len(fit.window), np.nan)
            t = fit.t.astype(int)
            present = (t >= 1) & (t <= len(observed))
            observed[t[present] - 1] = np.asarray(fit.observed, dtype=float)[present]
            series = [
                {
                    "period": _period_label(number, cadence),
                    "z_adj": z,
                    "fitted": fitted,
                    "counterfactual": counterfactual,
                }
                for number, z, fitted, counterfactual in zip(
                    fit.window.astype(int).tolist(),
                    finite_list(observed),
                    finite_list(fit.fitted),
                    finite_list(fit.counterfactual),
                    strict=True,
                )
            ]
            fits.append(
                {
                    "organisation_id": org,
                    "regime_group": spell_group(spell),
                    "spell_entered": spell.entered,
                    "spell_exited": spell.exited,
                    "regimes": ">".join(spell.regimes),
                    "method": fit.method,
                    "n": int(fit.n),
                    "n_change_points": int(fit.n_change_points),
                    "rho": finite_or_none(fit.rho),
                    "durbin_watson": finite_or_none(fit.dw),
                    "coefficients": coefficients,
                    "series": series,
                    "window_start": periods.index_date(start, cadence),
                    "window_end": periods.index_date(end, cadence),
                    "cadence": cadence,
                }
            )
    return fits


def compute_pooled(trajectories: list[dict]) -> list[dict]:
    """The Table-23 rows: each coefficient pooled across trusts by DerSimonian–Laird, per regime group."""
    rows = []
    for group, members in POOL_GROUPS.items():
        fits = [fit for fit in trajectories if fit["regime_group"] in members]
        if not fits and group not in ALWAYS_POOLED:
            continue
        for quantity in QUANTITIES:
            pairs = [
                (fit["coefficients"][quantity]["estimate"], fit["coefficients"][quantity]["se"])
                for fit in fits
                if quantity in fit["coefficients"]
            ]
            pooled = dersimonian_laird([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else None
            row = {
                "regime_group": group,
                "quantity": quantity,
                "n": len(pairs),
                # Pooled from any synthetic fit: the pooled number is synthetic too.
                "synthetic": any(fit.get("synthetic", False) for fit in fits if quantity in fit["coefficients"]),
            }
            if pooled is not None:
                row.update(
                    estimate=pooled.estimate,
                    se=pooled.se,
                    ci_low=pooled.ci_low,
                    ci_high=pooled.ci_high,
                    tau2=pooled.tau2,
                    i2=pooled.i2,
                    fixed_estimate=pooled.fixed_estimate,
                )
            rows.append(row)
    return rows
