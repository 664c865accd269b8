"""Results the pages show that the nightly recompute stores for them, so no page computes a statistic.

- `with_implied_tau2`: per period, the τ² a ratio indicator's published 95% limits imply (median across
  trusts, methods §2), stored on NationalValue.tau2_implied; the funnel uses it when the period's
  own τ² is unknown (every trust scored from its published limits).
- `early_warning_series`: each slipping trust's CUSUM of the adjusted z-score for each of its
  signalling indicators, over the whole stored history and cut to the periods the early-warning
  page draws, stored in the early-warning document beside the slipping list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .stats.early_warning import cusum_matrix, left_aligned
from .stats.funnel import implied_tau2

CUSUM_SHOWN_PERIODS = 36  # the early-warning charts show each CUSUM's latest three years


def with_implied_tau2(national: pd.DataFrame, zscores: pd.DataFrame, kind: str) -> pd.DataFrame:
    """`national` (one row per period) with a `tau2_implied` column: NaN unless `kind` is a ratio.

    Only published limits imply a τ², so rows whose limits were rebuilt from the counts are left out.
    """
    national = national.assign(tau2_implied=np.nan)
    if kind != "ratio" or zscores.empty or national.empty:
        return national
    published = zscores[~zscores["limits_rebuilt"].to_numpy(dtype=bool)]
    by_period = {
        period: implied_tau2(rows["upper"].to_numpy(dtype=float), rows["denominator"].to_numpy(dtype=float))
        for period, rows in published.groupby("period", sort=False)
    }
    values = [by_period.get(period) for period in national["period"]]
    national["tau2_implied"] = np.array([np.nan if value is None else value for value in values], dtype=float)
    return national


def finite_list(values) -> list[float | None]:
    """The values as a list of floats, the non-finite ones None: converted in C, then the few set to None."""
    array = np.asarray(values, dtype=float)
    out = array.tolist()
    for position in np.flatnonzero(~np.isfinite(array)).tolist():
        out[position] = None
    return out


def _fetched(rows) -> list[tuple]:
    """A values_list queryset's tuples; on PostgreSQL through a plain cursor (psycopg already gives dates
    and floats), skipping the ORM's per-row work (~85,000 rows at national scale)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return list(rows)
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def early_warning_series(run, document: dict, computed: dict | None = None) -> dict:
    """{organisation id (str): [{indicator_id, periods, statistic, signals}]} for the slipping trusts.

    The z-scores are `run`'s rows for an indicator the run recomputed, the served rows otherwise
    (what the pages serve once the run's pointers switch). `computed` holds, by indicator id, the
    frames (organisation_id, period, z_adj) this process computed for `run`: those are the rows it
    wrote, so they are taken from memory instead of read back. The CUSUM runs over the whole history
    (its state carries); only the latest CUSUM_SHOWN_PERIODS periods and the signals among them are kept.
    """
    slipping = document.get("slipping", [])
    if not slipping:
        return {}
    k, h = document.get("k", 0.5), document.get("h", 4.389)
    org_ids = sorted({item["organisation_id"] for item in slipping})
    indicator_ids = sorted({i for item in slipping for i in item["indicator_ids"]})
    computed = computed or {}
    frames = [_computed_rows(i, computed[i], org_ids) for i in indicator_ids if i in computed]
    stored = _stored_zscores(run, [i for i in indicator_ids if i not in computed], slipping)
    if stored:
        stored = pd.DataFrame(stored, columns=["organisation_id", "indicator_id", "period", "z"])
        frames.append(stored.assign(period=pd.to_datetime(stored["period"]), z=stored["z"].astype(float)))
    if not frames:
        return {str(item["organisation_id"]): [] for item in slipping}
    rows = pd.concat(frames, ignore_index=True).sort_values(
        ["organisation_id", "indicator_id", "period"], kind="stable"
    )
    z = rows["z"].to_numpy(dtype=float)
    z = np.where(np.isfinite(z), z, np.nan)  # stored as missing, and missing carries the CUSUM
    periods = pd.DatetimeIndex(rows["period"]).to_numpy(dtype="datetime64[D]")
    orgs, indicators = rows["organisation_id"].to_numpy(), rows["indicator_id"].to_numpy()
    new_series = np.r_[True, (orgs[1:] != orgs[:-1]) | (indicators[1:] != indicators[:-1])]
    starts = np.flatnonzero(new_series)
    stops = np.r_[starts[1:], len(rows)]
    spans = {
        (int(orgs[a]), int(indicators[a])): (code, a, b) for code, (a, b) in enumerate(zip(starts, stops, strict=True))
    }
    # Every series' CUSUM in one matrix pass (rows right-padded with NaN, which carries S unchanged
    # after a series' end, so each row's own periods get what a call per series would give).
    matrix, _ = left_aligned(np.cumsum(new_series) - 1, z)
    wanted = [(item["organisation_id"], i) for item in slipping for i in item["indicator_ids"]]
    keys = [key for key in dict.fromkeys(wanted) if key in spans]
    statistics, signals = {}, {}
    if keys:
        statistic, signal = cusum_matrix(matrix[[spans[key][0] for key in keys]], k, h)
        for row, key in enumerate(keys):
            _, a, b = spans[key]
            statistics[key], signals[key] = statistic[row, : b - a], np.flatnonzero(signal[row, : b - a])
    out: dict[str, list[dict]] = {}
    for item in slipping:
        org = item["organisation_id"]
        series = []
        for indicator_id in item["indicator_ids"]:
            if (org, indicator_id) not in spans:
                continue
            _, a, b = spans[(org, indicator_id)]
            first_shown = max(b - a - CUSUM_SHOWN_PERIODS, 0)
            shown = np.datetime_as_string(periods[a + first_shown : b], unit="D").tolist()
            series.append(
                {
                    "indicator_id": indicator_id,
                    "periods": shown,
                    "statistic": finite_list(statistics[(org, indicator_id)][first_shown:]),
                    "signals": [shown[i - first_shown] for i in signals[(org, indicator_id)] if i >= first_shown],
                }
            )
        out[str(org)] = series
    return out


def _computed_rows(indicator_id: int, frame: pd.DataFrame, org_ids: list[int]) -> pd.DataFrame:
    """The slipping trusts' rows of one frame the run computed, in the columns of the stored ones."""
    rows = frame[frame["organisation_id"].isin(org_ids)]
    return pd.DataFrame(
        {
            "organisation_id": rows["organisation_id"].to_numpy(),
            "indicator_id": indicator_id,
            "period": pd.to_datetime(rows["period"], cache=False).to_numpy(),  # no cache: its probe iterates in Python
            "z": rows["z_adj"].to_numpy(dtype=float),
        }
    )


def _stored_zscores(run, indicator_ids: list[int], slipping: list[dict]) -> list[tuple]:
    """(organisation, indicator, period, z_adjusted) of stored rows: `run`'s where it has any for the
    indicator, else the served ones, in (organisation, indicator, period) order; only the series of
    the trusts slipping on the indicator (every series of every slipping trust was most of the table)."""
    from django.db.models import Q

    from .models import ZScore, served_run_ids  # the ORM only here: the rest is plain arithmetic

    if not indicator_ids:
        return []
    served = served_run_ids(indicator_ids)
    in_run = set(
        ZScore.all_runs.filter(run=run, indicator_id__in=indicator_ids)
        .order_by()
        .values_list("indicator_id", flat=True)
        .distinct()
    )
    sources = {i: run.pk if i in in_run else served.get(i) for i in indicator_ids}
    slipping_on: dict[int, set[int]] = {}
    for item in slipping:
        for indicator_id in item["indicator_ids"]:
            slipping_on.setdefault(indicator_id, set()).add(item["organisation_id"])
    series = Q(pk__in=[])
    for indicator_id, run_id in sources.items():  # each run named outright: one partition per indicator
        if run_id is not None and indicator_id in slipping_on:
            series |= Q(indicator_id=indicator_id, run_id=run_id, organisation_id__in=sorted(slipping_on[indicator_id]))
    rows = (
        ZScore.all_runs.filter(series)
        .order_by("organisation_id", "indicator_id", "period")
        .values_list("organisation_id", "indicator_id", "period", "z_adjusted")
    )
    return _fetched(rows)
