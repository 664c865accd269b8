"""Analysis cadence: ED is analysed by quarter (sum r and n, then score), displayed by month (methods §1)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from indicators import compute
from indicators.stats import periods
from indicators.stats.spells import Spell

ED = compute.IndicatorMeta(
    id=1,
    code="ed_4hr",
    kind="proportion",
    cadence="monthly",
    polarity="lower_is_better",
    pre_window_months=18,
    analysis_cadence="quarterly",
)


def _monthly(n_trusts=8, n_months=48, seed=0, drop=()):
    rng = np.random.default_rng(seed)
    rows = []
    for org in range(n_trusts):
        size = rng.integers(3000, 9000)
        level = rng.normal(0.2, 0.03)
        for month in range(n_months):
            if (org, month) in drop:
                continue
            p = min(max(level + rng.normal(0, 0.01) - (0.03 if org == 0 and month >= 24 else 0), 0.01), 0.9)
            rows.append(
                {
                    "organisation_id": org,
                    "period": pd.Timestamp(periods.shift_months(date(2016, 4, 1), month)),
                    "numerator": float(rng.binomial(size, p)),
                    "denominator": float(size),
                    "value": np.nan,
                }
            )
    return pd.DataFrame(rows)


def _quarterly_z_by_hand(frame):
    """Methods §1 from scratch: sum r, n over each complete quarter; SR z; winsorised φ; τ²; z_adj."""
    sums = {}
    for row in frame.itertuples():
        quarter = (row.period.year, (row.period.month - 1) // 3)
        r, n, months = sums.get((row.organisation_id, quarter), (0.0, 0.0, 0))
        sums[(row.organisation_id, quarter)] = (r + row.numerator, n + row.denominator, months + 1)
    out = {}
    for quarter in sorted({key[1] for key in sums}):
        members = {org: (r, n) for (org, q), (r, n, months) in sums.items() if q == quarter and months == 3}
        r = np.array([v[0] for v in members.values()])
        n = np.array([v[1] for v in members.values()])
        pi = r.sum() / n.sum()
        s = 1 / (2 * np.sqrt(n))
        z = (np.sqrt(r / n) - np.sqrt(pi)) / s
        q10, q90 = np.percentile(z, [10, 90])
        phi = np.mean(np.clip(z, q10, q90) ** 2)
        count = len(z)
        w = 1 / s**2
        tau2 = (
            0.0
            if count * phi < count - 1
            else max(0.0, (count * phi - (count - 1)) / (w.sum() - (w**2).sum() / w.sum()))
        )
        z_adj = (np.sqrt(r / n) - np.sqrt(pi)) / np.sqrt(s**2 + tau2)
        for org, value in zip(members, z_adj, strict=True):
            out[(org, date(quarter[0], quarter[1] * 3 + 1, 1))] = value
    return out


def test_quarterly_z_sum_r_and_n_over_the_quarter_then_score_it():
    frame = _monthly()
    _, monthly = compute.compute_zscores(frame, ED)
    quarterly, cadence = compute.analysis_zscores(frame, monthly, ED)
    assert cadence == "quarterly"
    expected = _quarterly_z_by_hand(frame)
    got = {(row.organisation_id, row.period.date()): row.z_adj for row in quarterly.itertuples()}
    assert got.keys() == expected.keys() and len(got) == 8 * 16
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-10, abs=1e-12)


def test_a_quarter_missing_a_month_is_not_scored_as_a_part_quarter():
    frame = _monthly(drop={(3, 7)})  # trust 3 misses November 2016
    _, monthly = compute.compute_zscores(frame, ED)
    quarterly, _ = compute.analysis_zscores(frame, monthly, ED)
    trust_3 = set(quarterly.loc[quarterly["organisation_id"] == 3, "period"].dt.date)
    assert date(2016, 10, 1) not in trust_3 and date(2017, 1, 1) in trust_3
    expected = _quarterly_z_by_hand(frame)
    assert (3, date(2016, 10, 1)) not in expected


def test_the_fits_and_pooled_effects_are_quarterly_while_z_scores_and_spc_stay_monthly():
    frame = _monthly()
    spells = {org: [Spell(entered=date(2018, 4, 1), exited=None, regimes=("SMQ",))] for org in range(4)}
    results = compute.compute_indicator(frame, ED, spells)
    assert len(results.zscores) == 8 * 48  # monthly, for display
    assert {len(chart["points"]) for chart in results.spc} == {36}  # monthly, latest three years
    assert results.trajectories and {fit["cadence"] for fit in results.trajectories} == {"quarterly"}
    fit = results.trajectories[0]
    # 18 months before entry = 6 quarters: October 2016 to the last quarter of data.
    assert fit["window_start"] == date(2016, 10, 1) and fit["window_end"] == date(2020, 1, 1)
    assert all(date.fromisoformat(point["period"]).month in (1, 4, 7, 10) for point in fit["series"])
    assert {row["cadence"] for row in results.pooled} == {"quarterly"}


def test_an_indicator_without_an_analysis_cadence_is_analysed_at_its_own():
    monthly_meta = compute.IndicatorMeta(
        id=2, code="rtt_18wk", kind="proportion", cadence="monthly", polarity="lower_is_better", pre_window_months=18
    )
    frame = _monthly()
    _, monthly = compute.compute_zscores(frame, monthly_meta)
    same, cadence = compute.analysis_zscores(frame, monthly, monthly_meta)
    assert cadence == "monthly" and same is monthly
