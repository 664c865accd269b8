"""Early warning (methods §6): CUSUM and self-baseline EWMA signals per trust, and the trusts slipping."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..stats import periods
from ..stats.early_warning import (
    expected_false_alarms_per_month,
    panel_cusum,
    panel_self_baseline_ewma,
    slipping,
)
from .meta import ALERT_COLUMNS, EWMA_ARL0, RECENT_ALERT_MONTHS, EpisodeRecord, IndicatorMeta, period_number
from .zscores import independent_points


def compute_alerts(zscores: pd.DataFrame, meta: IndicatorMeta, k: float, h: float) -> pd.DataFrame:
    """CUSUM signals on each trust's z_adj (methods §6); one row per signal."""
    if meta.cadence == "annual" or zscores.empty:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    points, cadence = independent_points(zscores, meta)
    frame = points.rename(columns={"organisation_id": "org"})
    frame = frame[np.isfinite(frame["z_adj"].to_numpy(dtype=float))].sort_values(["org", "period"], kind="stable")
    if frame.empty:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    # The CUSUM restarts after a gap: each run of consecutive periods is its own series.
    index = period_number(frame["period"], cadence)
    orgs = frame["org"].to_numpy()
    new_run = np.r_[True, orgs[1:] != orgs[:-1]] | np.r_[False, np.diff(index) > meta.gap_tolerance + 1]
    frame = frame.assign(indicator=np.cumsum(new_run))
    scored = panel_cusum(frame[["org", "indicator", "period", "z_adj"]], k=k, h=h)
    fired = scored[scored["signal"]]
    # The statistic is reset after a signal; report the crossing value, h + the excess that fired it.
    level = pd.DataFrame(
        {
            "organisation_id": fired["org"].to_numpy(),
            "period": fired["period"].to_numpy(),
            "statistic": np.maximum(fired["cusum"].to_numpy(dtype=float), h),
            "kind": "cusum",
            "threshold": h,
        }
    )
    # Slippage against the trust's own history (methods §6): z standardised on its trailing 24
    # periods (σ = mean MR / 1.128), then a two-sided EWMA (λ = 0.2, L = 2.962, ARL₀ ≈ 500).
    # Like the CUSUM it restarts after a gap (each run is its own series); only rises count, as
    # positive z is worse.
    own = panel_self_baseline_ewma(frame[["org", "indicator", "period", "z_adj"]])
    own = own[own["signal"] & (own["ewma"] > 0)]
    drift = pd.DataFrame(
        {
            "organisation_id": own["org"].to_numpy(),
            "period": own["period"].to_numpy(),
            "statistic": own["ewma"].to_numpy(dtype=float),
            "kind": "ewma",
            "threshold": own["limit"].to_numpy(dtype=float),
        }
    )
    return pd.concat([level, drift], ignore_index=True) if len(drift) else level


def compute_early_warning(
    alerts: pd.DataFrame,
    episodes: list[EpisodeRecord],
    n_charts,
    data_end: date | None,
    k: float,
    h: float,
    spc_concerns: pd.DataFrame | None = None,
) -> dict:
    """Trusts in no regime "slipping" recently (methods §6), with the expected false-alarm rate.

    Slipping: two or more indicators signalling (level CUSUM or self-baseline EWMA) within six
    months, or one signal in a month its SPC chart marks a concern (`spc_concerns`: org,
    indicator, period). `n_charts` is {cadence: charts}; the false-alarm rate is per month, so a
    quarterly chart (one point a quarter) adds a third of a monthly chart's rate.
    """
    counts = n_charts if isinstance(n_charts, dict) else {"monthly": n_charts}
    total = sum(counts.values())
    payload = {
        "k": k,
        "h": h,
        "n_charts": total,
        "n_charts_by_cadence": counts,
        "expected_false_alarms_per_month": expected_false_alarms_per_month(counts, k=k, h=h) if total else 0.0,
        # The EWMA is calibrated to the same in-control ARL (≈ 500 periods), so it adds about as many.
        "expected_false_alarms_per_month_ewma": (
            sum(count / (EWMA_ARL0 * periods.STEP_MONTHS[cadence]) for cadence, count in counts.items())
        ),
        "window_months": 6,
        "recent_months": RECENT_ALERT_MONTHS,
        "slipping": [],
    }
    if alerts.empty or data_end is None:
        return payload
    cutoff = pd.Timestamp(data_end) - pd.DateOffset(months=RECENT_ALERT_MONTHS)
    recent = alerts[pd.to_datetime(alerts["period"]) > cutoff]
    in_regime = {
        e.organisation_id
        for e in episodes
        if (e.exited is None and not e.exit_unknown) or (e.exited is not None and e.exited >= data_end)
    }
    recent = recent[~recent["organisation_id"].isin(in_regime)]
    if recent.empty:
        return payload
    signals = recent.rename(columns={"organisation_id": "org", "indicator_id": "indicator"})
    concerns = None
    if spc_concerns is not None and not spc_concerns.empty:
        concerns = spc_concerns.rename(columns={"organisation_id": "org", "indicator_id": "indicator"})
    slipping_rows = slipping(signals[["org", "indicator", "period"]], spc_concerns=concerns)
    payload["slipping"] = [
        {
            "organisation_id": int(row.org),
            "first_period": pd.Timestamp(row.first_period).date().isoformat(),
            "last_period": pd.Timestamp(row.last_period).date().isoformat(),
            "indicator_ids": [int(i) for i in row.indicators],
            "n_indicators": int(row.n_indicators),
            "with_spc_concern": bool(row.with_spc_concern),
        }
        for row in slipping_rows.itertuples()
    ]
    return payload
