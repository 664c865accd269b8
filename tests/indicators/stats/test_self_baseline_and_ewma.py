"""Methods §6: slippage against the trust's own history, by trailing-baseline standardisation and EWMA."""

import numpy as np
import pytest

from indicators.stats.early_warning import ewma, self_baseline_standardise


def test_it_standardises_against_the_trailing_baseline_only():
    rng = np.random.default_rng(0)
    z = rng.normal(size=40)
    out = self_baseline_standardise(z, baseline=24)
    t = 30
    window = z[t - 24 : t]
    sigma = np.mean(np.abs(np.diff(window))) / 1.128
    assert out[t] == pytest.approx((z[t] - window.mean()) / sigma)
    assert np.isnan(out[:18]).all()
    assert np.isfinite(out[24:]).all()


def test_it_tolerates_a_missing_month_in_the_baseline():
    z = np.random.default_rng(1).normal(size=40)
    z[20] = np.nan
    out = self_baseline_standardise(z, baseline=24)
    assert np.isnan(out[20])
    assert np.isfinite(out[30])


def test_it_flags_a_sustained_jump_against_the_own_history():
    rng = np.random.default_rng(2)
    z = np.concatenate([rng.normal(0, 0.3, 36), rng.normal(1.5, 0.3, 6)])
    standardised = self_baseline_standardise(z)
    assert np.nanmean(standardised[36:]) > 3


def test_it_runs_an_ewma_with_asymptotic_limits_and_resets_after_a_signal():
    result = ewma([0.0, 3.0, 3.0, 0.0], lam=0.2, L=2.962)
    limit = 2.962 * np.sqrt(0.2 / 1.8)
    assert result.upper == pytest.approx(limit) and result.lower == pytest.approx(-limit)
    np.testing.assert_allclose(result.statistic[:2], [0.0, 0.6])
    assert result.statistic[2] == pytest.approx(0.2 * 3 + 0.8 * 0.6)
    assert list(result.signal) == [False, False, True, False]
    assert result.statistic[3] == 0.0


def test_it_carries_the_ewma_over_missing_values():
    result = ewma([1.0, np.nan, 1.0])
    assert result.statistic[1] == result.statistic[0]
    assert result.statistic[2] == pytest.approx(0.2 + 0.8 * 0.2)


def test_it_signals_about_once_in_five_hundred_in_control_periods():
    x = np.random.default_rng(11).standard_normal(1_000_000)
    result = ewma(x, lam=0.2, L=2.962)
    assert len(x) / result.signal.sum() == pytest.approx(500, rel=0.08)


def test_the_panel_version_equals_standardise_then_ewma_series_by_series():
    import pandas as pd

    from indicators.stats.early_warning import ewma, panel_self_baseline_ewma, self_baseline_standardise

    rng = np.random.default_rng(0)
    rows = []
    for org in range(6):
        for indicator in (1, 2):
            n = int(rng.integers(25, 60))
            z = np.cumsum(rng.normal(0, 1, n)) * 0.3
            z[rng.random(n) < 0.1] = np.nan  # missing values: the baseline counts observed rows only
            for t in range(n):
                period = pd.Timestamp(2015 + t // 12, t % 12 + 1, 1)
                rows.append({"org": org, "indicator": indicator, "period": period, "z_adj": z[t]})
    frame = pd.DataFrame(rows).sample(frac=1, random_state=1)
    out = panel_self_baseline_ewma(frame)
    assert out.index.equals(frame.index)
    assert out["standardised"].notna().sum() > 200
    for _, group in out.groupby(["org", "indicator"]):
        group = group.sort_values("period")
        reference = self_baseline_standardise(group["z_adj"].to_numpy())
        chart = ewma(reference)
        assert np.allclose(group["standardised"].to_numpy(), reference, equal_nan=True)
        assert np.allclose(group["ewma"].to_numpy(), chart.statistic)
        assert (group["signal"].to_numpy() == chart.signal).all()
