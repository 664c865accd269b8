"""An XmR chart of each trust's latest values (methods §5), and the points it marks a concern."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats.spc import xmr_panel
from .meta import ORDINAL_INDICATOR_CODES, SPC_POINTS, SPC_TARGETS, IndicatorMeta, finite_or_none, period_number
from .zscores import independent_points


def _direction(meta: IndicatorMeta) -> str:
    return {"lower_is_better": "decrease", "higher_is_better": "increase"}.get(meta.polarity, "neutral")


def _latest_runs(ordered: pd.DataFrame, meta: IndicatorMeta, cadence: str) -> tuple[np.ndarray, dict[int, bool]]:
    """Rows (sorted by trust, period) in each trust's latest run, and whether earlier runs were dropped."""
    if ordered.empty:
        return np.zeros(0, dtype=bool), {}
    orgs = ordered["organisation_id"].to_numpy()
    index = period_number(ordered["period"], cadence)
    new_org = np.r_[True, orgs[1:] != orgs[:-1]]
    new_run = new_org | np.r_[False, np.diff(index) > meta.gap_tolerance + 1]
    run = np.cumsum(new_run)
    ends = np.r_[np.flatnonzero(new_org)[1:], len(orgs)] - 1
    last_run = np.repeat(run[ends], np.diff(np.r_[0, ends + 1]))
    keep = run == last_run
    first_run = np.repeat(run[np.flatnonzero(new_org)], np.diff(np.r_[0, ends + 1]))
    dropped = {int(org): bool(flag) for org, flag in zip(orgs[ends], (last_run != first_run)[ends], strict=True)}
    return keep, dropped


def _latest_rebases(meta: IndicatorMeta) -> dict[int, pd.Timestamp]:
    """Each rebased trust's latest rebase period (only the last segment is charted)."""
    latest: dict[int, pd.Timestamp] = {}
    for organisation_id, period in meta.rebases:
        stamp = pd.Timestamp(period)
        if organisation_id not in latest or stamp > latest[organisation_id]:
            latest[organisation_id] = stamp
    return latest


def _rebase_label(stamp: pd.Timestamp | None) -> str | None:
    return None if stamp is None else stamp.strftime("%Y-%m-%d")


def compute_spc(zscores: pd.DataFrame, meta: IndicatorMeta) -> list[dict]:
    """An XmR chart of each trust's latest values (methods §5), with its icons."""
    charts = []
    if meta.cadence == "annual" or meta.code in ORDINAL_INDICATOR_CODES:
        return charts  # a few annual points, or a 1–4 rating: no XmR (issue 10)
    direction = _direction(meta)
    target = meta.target if meta.target is not None else SPC_TARGETS.get(meta.code)
    points, cadence = independent_points(zscores, meta)
    ordered = points[np.isfinite(points["value"].to_numpy(dtype=float))]
    ordered = ordered.sort_values(["organisation_id", "period"], kind="stable")
    # Only each trust's latest run of consecutive periods is charted: limits drawn across a gap
    # of years (A&E 2019–2024) would compare two different processes. `gap_before` says so.
    keep, gap_before = _latest_runs(ordered, meta, cadence)
    ordered = ordered[keep]
    # A rebased chart is drawn from its rebase period on: its limits are the new process's.
    rebased_from = _latest_rebases(meta)
    if rebased_from:
        starts = ordered["organisation_id"].map(rebased_from)
        ordered = ordered[starts.isna().to_numpy() | (ordered["period"] >= starts).to_numpy()]
    orgs = ordered["organisation_id"].to_numpy()
    values = ordered["value"].to_numpy(dtype=float)
    # Format each distinct period once (a few dozen) rather than every row.
    period_codes, periods = pd.factorize(ordered["period"], use_na_sentinel=False)
    labels = pd.Series(periods).dt.strftime("%Y-%m-%d").to_numpy()[period_codes].tolist()
    if len(orgs) == 0:
        return charts
    # One slice per trust (rows are sorted by trust), the last SPC_POINTS of each.
    starts = np.flatnonzero(np.r_[True, orgs[1:] != orgs[:-1]])
    ends = np.r_[starts[1:], len(orgs)]
    firsts = np.maximum(starts, ends - SPC_POINTS)
    lengths = ends - firsts
    # All the charts in one call: trust r's slice right-aligned in row r, NaN before it.
    width = int(lengths.max())
    matrix = np.full((len(firsts), width), np.nan)
    offsets = width - lengths
    row_of_point = np.repeat(np.arange(len(firsts)), lengths)
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    matrix[row_of_point, offsets[row_of_point] + within] = values[firsts[row_of_point] + within]
    charted = np.flatnonzero(np.isfinite(matrix).sum(axis=1) >= 2)
    if len(charted) == 0:
        return charts
    panel = xmr_panel(matrix[charted], improvement_direction=direction, target=target)
    rules, kinds = panel.rule.tolist(), panel.point_type.tolist()
    shown = [None if value != value else value for value in np.where(np.isfinite(values), values, np.nan).tolist()]
    for chart, row in enumerate(charted.tolist()):
        first, last, offset = int(firsts[row]), int(ends[row]), int(offsets[row])
        charts.append(
            {
                "organisation_id": int(orgs[first]),
                "gap_before": bool(gap_before.get(int(orgs[first]), False)),
                "rebased_from": _rebase_label(rebased_from.get(int(orgs[first]))),
                "target": target,
                "mean": finite_or_none(panel.mean[chart]),
                "upper": finite_or_none(panel.upper[chart]),
                "lower": finite_or_none(panel.lower[chart]),
                "trial_limits": bool(panel.trial_limits[chart]),
                "variation_icon": panel.variation_icon[chart],
                "assurance": panel.assurance[chart] or "",
                "points": [
                    {"period": period, "value": value, "rule": rule, "point_type": kind}
                    for period, value, rule, kind in zip(
                        labels[first:last], shown[first:last], rules[chart][offset:], kinds[chart][offset:], strict=True
                    )
                ],
            }
        )
    return charts


SPC_CONCERN_POINT = "special_cause_concern"  # the point type a concern point carries (NHSRplotthedots)


def spc_concern_points(charts: list[dict], indicator_id: int) -> pd.DataFrame:
    """(organisation_id, indicator_id, period) of every SPC point typed special_cause_concern."""
    rows = [
        (chart["organisation_id"], indicator_id, point["period"])
        for chart in charts
        for point in chart["points"]
        if point["point_type"] == SPC_CONCERN_POINT
    ]
    frame = pd.DataFrame(rows, columns=["organisation_id", "indicator_id", "period"])
    frame["period"] = pd.to_datetime(frame["period"])
    return frame
