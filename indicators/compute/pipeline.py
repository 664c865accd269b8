"""Every per-indicator result in one call, with each result's provenance (synthetic or not)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..page_results import with_implied_tau2
from ..stats import periods
from ..stats.spells import Spell
from .alerts import compute_alerts
from .meta import ROLLING_YEAR_INDICATOR_CODES, IndicatorMeta, IndicatorResults
from .observations import screen_rows
from .spc import compute_spc
from .trajectories import compute_pooled, compute_trajectories
from .zscores import analysis_zscores, compute_zscores


def compute_indicator(
    frame: pd.DataFrame,
    meta: IndicatorMeta,
    spells: dict[int, list[Spell]],
    k: float = 0.5,
    h: float = 4.389,
    synthetic_spells: frozenset = frozenset(),
) -> IndicatorResults:
    """Every per-indicator result: national values, z-scores, trajectories, pooled effects, SPC, alerts.

    Provenance: when `frame` has a boolean `synthetic` column (the observation came from generated
    demo data), each fit, pooled effect, chart and alert says whether any of its inputs was
    synthetic; a fit around a synthetic episode (`synthetic_spells`: (organisation, spell entry)) is
    synthetic whatever its observations.
    """
    frame, problems = screen_rows(frame, meta)
    national, zscores = compute_zscores(frame, meta)
    national = with_implied_tau2(national, zscores, meta.kind)  # stored for the funnel page
    its_zscores, its_cadence = analysis_zscores(frame, zscores, meta)
    trajectories = compute_trajectories(its_zscores, meta, spells, cadence=its_cadence)
    spc = compute_spc(zscores, meta)
    alerts = compute_alerts(zscores, meta, k, h)
    _mark_synthetic(frame, meta, trajectories, spc, alerts, synthetic_spells)
    pooled = [dict(row, cadence=its_cadence) for row in compute_pooled(trajectories)]
    return IndicatorResults(
        national=national,
        zscores=zscores,
        trajectories=trajectories,
        pooled=pooled,
        spc=spc,
        alerts=alerts,
        problems=problems,
    )


def _mark_synthetic(frame, meta, trajectories, spc, alerts, synthetic_spells) -> None:
    """Set `synthetic` on each fit, chart and alert (in place) from its inputs' provenance."""
    flags = frame["synthetic"].to_numpy(dtype=bool) if "synthetic" in frame.columns else np.zeros(len(frame), bool)
    marked = frame.loc[flags, ["organisation_id", "period"]]
    months_by_org: dict[int, np.ndarray] = {
        int(org): np.sort(periods.month_index(group["period"])) for org, group in marked.groupby("organisation_id")
    }

    def any_between(org: int, first: int, last: int) -> bool:
        months = months_by_org.get(int(org))
        if months is None:
            return False
        at = int(np.searchsorted(months, first))
        return at < len(months) and months[at] <= last

    for fit in trajectories:
        first = periods.month_of(fit["window_start"])
        step = periods.STEP_MONTHS[fit["cadence"]]
        last = periods.month_of(fit["window_end"]) + step - 1  # to the end of the last period
        fit["synthetic"] = (fit["organisation_id"], fit["spell_entered"]) in synthetic_spells or any_between(
            fit["organisation_id"], first, last
        )
    step = 12 if meta.code in ROLLING_YEAR_INDICATOR_CODES else periods.STEP_MONTHS[meta.cadence]
    for chart in spc:
        if chart["points"]:
            first = periods.month_of(chart["points"][0]["period"]) - (step - 1 if step == 12 else 0)
            last = periods.month_of(chart["points"][-1]["period"])
            chart["synthetic"] = any_between(chart["organisation_id"], first, last)
        else:
            chart["synthetic"] = False
    if len(alerts):
        months = periods.month_index(alerts["period"])
        alerts["synthetic"] = [
            any_between(org, month, month) for org, month in zip(alerts["organisation_id"], months, strict=True)
        ]
    else:
        alerts["synthetic"] = pd.Series(dtype=bool)
