"""Rolling years: SHMI publications overlap by nine months, so SPC, CUSUM and ITS use non-overlapping years."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from indicators import compute
from indicators.stats import periods
from indicators.stats.spells import Spell

SHMI = compute.IndicatorMeta(
    id=5, code="shmi", kind="ratio", cadence="quarterly", polarity="lower_is_better", pre_window_months=18
)
QUARTERS = [pd.Timestamp(periods.shift_months(date(2013, 1, 1), 3 * step)) for step in range(49)]  # to Jan 2025


def _rolling_shmi(seed=0, n_trusts=3):
    """Quarterly publications of a rolling 12-month O/E built from independent quarters of deaths."""
    rng = np.random.default_rng(seed)
    rows = []
    for org in range(n_trusts):
        expected = 300.0
        observed = rng.poisson(expected, len(QUARTERS) + 3).astype(float)
        rolling = np.convolve(observed, np.ones(4), "valid") / (4 * expected)  # one value per publication
        for stamp, ratio in zip(QUARTERS, rolling, strict=True):
            rows.append({"organisation_id": org, "period": stamp, "value": ratio, "z": np.log(ratio) * 20})
    frame = pd.DataFrame(rows)
    frame["z_adj"] = frame["z"]
    frame["numerator"] = frame["denominator"] = np.nan
    return frame


def _lag1(x):
    x = np.asarray(x) - np.mean(x)
    return float(x[1:] @ x[:-1] / (x @ x))


def test_the_spc_chart_uses_one_publication_a_year_anchored_on_the_latest():
    frame = _rolling_shmi()
    charts = compute.compute_spc(frame, SHMI)
    chart = next(chart for chart in charts if chart["organisation_id"] == 0)
    assert [point["period"] for point in chart["points"]] == [f"{year}-01-01" for year in range(2013, 2026)]
    annual = frame[(frame["organisation_id"] == 0) & (frame["period"].dt.month == 1)]["value"].to_numpy()
    assert chart["mean"] == pytest.approx(annual.mean())  # by hand: the mean of the 13 January publications
    assert chart["trial_limits"] is False


def test_overlapping_publications_are_autocorrelated_and_the_chosen_years_are_not():
    # The reason for the rule, by hand: overlap makes neighbours share 3 of 4 quarters (ρ ≈ 0.75).
    frame = _rolling_shmi(seed=1, n_trusts=40)
    all_rho = np.mean([_lag1(group["value"]) for _, group in frame.groupby("organisation_id")])
    annual, cadence = compute.independent_points(frame, SHMI)
    assert cadence == "annual"
    annual_rho = np.mean([_lag1(group["value"]) for _, group in annual.groupby("organisation_id")])
    assert all_rho > 0.6
    assert abs(annual_rho) < 0.2


def test_the_cusum_runs_on_the_annual_points():
    frame = _rolling_shmi(seed=2, n_trusts=1)
    frame["z_adj"] = 0.0
    january = frame["period"].dt.month == 1
    # Quarterly values of 1.5 everywhere except January: the overlapping series would signal …
    frame.loc[~january, "z_adj"] = 1.5
    assert compute.compute_alerts(frame.assign(organisation_id=0), SHMI, k=0.5, h=4.389).empty
    # … while annual points of 2.0 (S = 1.5, 3.0, 4.5 > 4.389) signal at the third January, by hand.
    frame.loc[january, "z_adj"] = 2.0
    alerts = compute.compute_alerts(frame, SHMI, k=0.5, h=4.389)
    assert list(pd.to_datetime(alerts["period"]).dt.date)[:1] == [date(2015, 1, 1)]


def test_shmi_gets_no_its_fit_on_overlapping_quarters():
    frame = _rolling_shmi(seed=3, n_trusts=2)
    spells = {0: [Spell(entered=date(2018, 1, 1), exited=None, regimes=("SMQ",))]}
    points, cadence = compute.analysis_zscores(frame, frame, SHMI)
    assert cadence == "annual" and set(points["period"].dt.month) == {1}
    assert compute.compute_trajectories(points, SHMI, spells, cadence=cadence) == []
