"""A series is runs of consecutive periods: no SPC chart, CUSUM or ITS window spans a gap (issue 10)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from indicators import compute
from indicators.stats import periods
from indicators.stats.spells import Spell

ED = compute.IndicatorMeta(
    id=1, code="ed_4hr", kind="proportion", cadence="monthly", polarity="lower_is_better", pre_window_months=12
)


def _months(first: date, count: int) -> list[pd.Timestamp]:
    return [pd.Timestamp(periods.shift_months(first, step)) for step in range(count)]


# The 2019–2024 hole of the bundled A&E data: April 2016 – March 2019, then June 2024 – June 2025.
BEFORE = _months(date(2016, 4, 1), 36)
AFTER = _months(date(2024, 6, 1), 13)


def _zscores(values: np.ndarray, z: np.ndarray, stamps, org: int = 7) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "organisation_id": org,
            "period": pd.DatetimeIndex(stamps),
            "numerator": np.nan,
            "denominator": np.nan,
            "value": values,
            "z": z,
            "z_adj": z,
        }
    )


def test_a_run_ends_only_where_more_periods_are_missing_than_the_tolerance():
    index = [0, 1, 2, 4, 7, 8]  # one month missing after 2 (tolerated), two after 4 (a gap)
    assert periods.run_ids(index).tolist() == [0, 0, 0, 0, 1, 1]
    assert periods.run_ids(index, tolerance=0).tolist() == [0, 0, 0, 1, 2, 2]
    assert periods.runs(index) == [(0, 4), (7, 8)]
    assert periods.latest_run_mask(index).tolist() == [False] * 4 + [True] * 2
    assert periods.run_containing(index, 5).tolist() == [True] * 4 + [False] * 2
    assert periods.gap_breaks(index).tolist() == [False, False, False, False, True, False]


def test_period_positions_are_calendar_months_quarters_and_years():
    stamps = ["2019-03-01", "2024-06-01"]
    assert periods.month_index(stamps).tolist() == [2019 * 12 + 2, 2024 * 12 + 5]
    assert periods.period_index(stamps, "quarterly").tolist() == [(2019 * 12 + 2) // 3, (2024 * 12 + 5) // 3]
    assert periods.index_date(periods.date_index(date(2024, 8, 17), "quarterly"), "quarterly") == date(2024, 7, 1)
    assert periods.shift_months(date(2024, 1, 31), -2) == date(2023, 11, 1)
    with pytest.raises(ValueError, match="cadence"):
        periods.period_index(stamps, "weekly")


def test_the_spc_chart_uses_only_the_latest_run_and_says_so():
    rng = np.random.default_rng(3)
    values = np.r_[0.10 + 0.01 * rng.normal(size=36), 0.30 + 0.01 * rng.normal(size=13)]
    frame = _zscores(values, np.zeros(49), BEFORE + AFTER)
    (chart,) = compute.compute_spc(frame, ED)
    assert chart["gap_before"] is True
    assert [point["period"] for point in chart["points"]] == [stamp.date().isoformat() for stamp in AFTER]
    later = values[36:]
    # Independent: the XmR mean and screened mean moving range of the 13 later points by hand.
    ranges = np.abs(np.diff(later))
    kept = ranges[ranges < 3.267 * ranges.mean()]
    assert chart["mean"] == pytest.approx(later.mean())
    assert chart["upper"] == pytest.approx(later.mean() + 2.66 * kept.mean())
    # Drawn across the hole, the step from 0.10 to 0.30 would have made most points special cause.
    assert all(point["point_type"] == "common_cause" for point in chart["points"])


def test_a_single_missing_month_does_not_end_the_chart():
    stamps = AFTER[:5] + AFTER[6:]  # one month missing inside the run
    frame = _zscores(np.linspace(0.2, 0.3, 12), np.zeros(12), stamps)
    (chart,) = compute.compute_spc(frame, ED)
    assert chart["gap_before"] is False
    assert len(chart["points"]) == 12


def _cusum_by_hand(z, k=0.5, h=4.389):
    s, fired = 0.0, []
    for position, value in enumerate(z):
        s = max(0.0, s + value - k)
        if s > h:
            fired.append(position)
            s = 0.0
    return fired


def test_the_cusum_restarts_after_a_gap():
    z = np.full(49, 0.0)
    z[33:36] = [1.5, 1.5, 1.5]  # S = 1, 2, 3 before the hole
    z[36:38] = [2.0, 2.0]  # S = 4.5, 6 if carried across the hole; 1.5, 3 after a restart
    frame = _zscores(np.full(49, 0.2), z, BEFORE + AFTER)
    alerts = compute.compute_alerts(frame, ED, k=0.5, h=4.389)
    assert alerts[alerts["kind"] == "cusum"].empty
    assert _cusum_by_hand(z[36:]) == [] and _cusum_by_hand(z[:36]) == []
    assert _cusum_by_hand(z) == [36]  # what a CUSUM carried across the hole would have said


def _ed_trust_with_hole(seed=0):
    rng = np.random.default_rng(seed)
    stamps = BEFORE + AFTER
    return stamps, 0.3 * rng.normal(size=len(stamps))


def test_an_its_window_never_bridges_the_hole():
    stamps, z = _ed_trust_with_hole()
    frame = _zscores(np.full(len(z), 0.2), z, stamps)
    spell = Spell(entered=date(2018, 6, 1), exited=date(2020, 6, 30), regimes=("SMQ",))
    (fit,) = compute.compute_trajectories(frame, ED, {7: [spell]})
    assert fit["window_start"] == date(2017, 6, 1)
    assert fit["window_end"] == date(2019, 3, 1)  # the in-regime segment stops at the hole
    assert fit["n_change_points"] == 1 and "slope_change_after" not in fit["coefficients"]
    assert all(point["period"] <= "2019-03-01" for point in fit["series"])

    # Independent: OLS (N = 22 < 24) of z on [1, t, I, D] over June 2017 – March 2019 by statsmodels.
    used = slice(BEFORE.index(pd.Timestamp("2017-06-01")), 36)
    t = np.arange(1, 23, dtype=float)
    regime = (t >= 13).astype(float)
    X = np.column_stack([np.ones(22), t, regime, np.maximum(t - 13, 0.0)])
    reference = sm.OLS(z[used], X).fit()
    assert fit["method"] == "ols" and fit["n"] == 22
    assert fit["coefficients"]["level_change"]["estimate"] == pytest.approx(reference.params[2], rel=1e-9)
    assert fit["coefficients"]["level_change"]["se"] == pytest.approx(reference.bse[2], rel=1e-9)


def test_a_segment_cut_short_by_the_hole_leaves_its_rows():
    stamps, z = _ed_trust_with_hole(seed=1)
    frame = _zscores(np.full(len(z), 0.2), z, stamps)
    # Entry three months before the hole, exit during it: 3 in-regime months (< 6), and the ten
    # post-exit months after the hole are a different run, so no after-exit slope either.
    spell = Spell(entered=date(2019, 1, 1), exited=date(2024, 5, 31), regimes=("SMQ",))
    (fit,) = compute.compute_trajectories(frame, ED, {7: [spell]})
    assert set(fit["coefficients"]) == {"pre_slope"}
    assert fit["window_end"] == date(2019, 3, 1)


def test_a_spell_entered_after_the_hole_with_too_short_a_pre_entry_run_has_no_fit():
    stamps, z = _ed_trust_with_hole(seed=2)
    frame = _zscores(np.full(len(z), 0.2), z, stamps)
    spell = Spell(entered=date(2024, 9, 1), exited=None, regimes=("CP",))  # 3 months of data before entry
    assert compute.compute_trajectories(frame, ED, {7: [spell]}) == []


def test_the_self_baseline_ewma_restarts_after_a_gap():
    # A steady series before the hole and a higher steady one after it: across the hole the EWMA
    # would judge 2024 against 2016–19 and signal; restarted, the new run has no 18-period baseline yet.
    rng = np.random.default_rng(5)
    z = np.r_[0.1 * rng.normal(size=36), 3.0 + 0.1 * rng.normal(size=13)]
    frame = _zscores(np.full(49, 0.2), z, BEFORE + AFTER)
    alerts = compute.compute_alerts(frame, ED, k=100.0, h=1000.0)  # CUSUM out of the way
    assert alerts[alerts["kind"] == "ewma"].empty
    carried = _zscores(np.full(49, 0.2), z, _months(date(2016, 4, 1), 49))  # the same values, no hole
    assert not compute.compute_alerts(carried, ED, k=100.0, h=1000.0).query("kind == 'ewma'").empty
