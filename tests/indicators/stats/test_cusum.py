"""Methods §6: the level CUSUM on z_adj, its in-control run length, and the panel version."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from indicators.stats.early_warning import (
    cusum,
    cusum_arl0,
    cusum_matrix,
    expected_false_alarms_per_month,
    panel_cusum,
)


def test_it_accumulates_excess_over_k_and_resets_after_a_signal():
    result = cusum([1.0, 2.0, -3.0, 2.5, 2.5, 1.0, 0.5], k=0.5, h=3.0)
    # S: 0.5, 2.0, 0 (floored), 2.0, 4.0 → signal, reset; then 0.5, 0.5
    np.testing.assert_allclose(result.statistic, [0.5, 2.0, 0.0, 2.0, 4.0, 0.5, 0.5])
    np.testing.assert_array_equal(result.signal, [False, False, False, False, True, False, False])
    np.testing.assert_array_equal(result.signal_indices, [4])


def test_it_carries_the_statistic_over_missing_periods():
    result = cusum([2.0, np.nan, 2.0, 1.5], k=0.5, h=4.389)
    np.testing.assert_allclose(result.statistic, [1.5, 1.5, 3.0, 4.0])
    assert not result.signal.any()


def test_it_needs_strictly_more_than_h_to_signal():
    assert not cusum([4.5], k=0.5, h=4.0).signal[0]
    assert cusum([4.5001], k=0.5, h=4.0).signal[0]


@pytest.mark.parametrize(("h", "arl"), [(4.0, 335), (4.389, 500), (5.0, 931)])
def test_it_gives_the_in_control_run_lengths_in_the_methods(h, arl):
    assert cusum_arl0(k=0.5, h=h) == pytest.approx(arl, rel=0.01)


def test_it_agrees_with_a_brute_force_simulation_of_run_lengths():
    rng = np.random.default_rng(20261101)
    chains = 20_000
    statistic = np.zeros(chains)
    run_length = np.zeros(chains)
    alive = np.ones(chains, dtype=bool)
    step = 0
    while alive.any():
        step += 1
        statistic[alive] = np.maximum(0.0, statistic[alive] + rng.standard_normal(alive.sum()) - 0.5)
        fired = alive & (statistic > 4.0)
        run_length[fired] = step
        alive &= ~fired
    standard_error = run_length.std() / np.sqrt(chains)
    assert cusum_arl0(k=0.5, h=4.0) == pytest.approx(run_length.mean(), abs=4 * standard_error)


def test_it_raises_signals_at_the_rate_the_markov_chain_predicts():
    rng = np.random.default_rng(7)
    n_series, n_periods = 250, 4000
    frame = pd.DataFrame(
        {
            "org": np.repeat(np.arange(n_series), n_periods),
            "indicator": "ed_4hr",
            "period": np.tile(np.arange(n_periods), n_series),
            "z_adj": rng.standard_normal(n_series * n_periods),
        }
    )
    signals = panel_cusum(frame, k=0.5, h=4.0)["signal"].sum()
    assert len(frame) / signals == pytest.approx(cusum_arl0(k=0.5, h=4.0), rel=0.06)


@pytest.mark.parametrize(("h", "arl"), [(4.0, 8.38), (5.0, 10.4)])
def test_it_gives_the_textbook_run_length_after_a_one_sd_shift(h, arl):
    # Montgomery, Introduction to Statistical Quality Control, Table 9.3 (k = ½).
    assert cusum_arl0(k=0.5, h=h, mean=1.0) == pytest.approx(arl, abs=0.05)


def test_it_turns_run_length_into_expected_false_alarms_per_month():
    assert expected_false_alarms_per_month(800, k=0.5, h=4.389) == pytest.approx(1.6, abs=0.01)
    assert expected_false_alarms_per_month(1000, k=0.5, h=4.0) == pytest.approx(1000 / 335.36, rel=1e-3)


def test_panel_cusum_matches_cusum_on_each_series():
    rng = np.random.default_rng(3)
    periods = [date(2015 + m // 12, m % 12 + 1, 1) for m in range(36)]
    rows = []
    for org in ("RF4", "RXX", "RYY"):
        for indicator in ("ed_4hr", "rtt_18wk"):
            for period in periods:
                if rng.random() < 0.1:
                    continue  # a missing month for this series only
                rows.append((org, indicator, period, rng.normal(0.6, 1.0)))
    frame = pd.DataFrame(rows, columns=["org", "indicator", "period", "z_adj"]).sample(frac=1.0, random_state=1)
    result = panel_cusum(frame, k=0.5, h=3.0)
    for _, series in result.groupby(["org", "indicator"]):
        series = series.sort_values("period")
        direct = cusum(series["z_adj"].to_numpy(), k=0.5, h=3.0)
        np.testing.assert_allclose(series["cusum"], direct.statistic)
        np.testing.assert_array_equal(series["signal"], direct.signal)
    assert result["signal"].any()
    assert list(result.index) == list(frame.index)


def test_panel_cusum_refuses_duplicate_rows():
    frame = pd.DataFrame({"org": ["A", "A"], "indicator": ["x", "x"], "period": [1, 1], "z_adj": [0.0, 1.0]})
    with pytest.raises(ValueError, match="one row per"):
        panel_cusum(frame)


def test_cusum_matrix_rows_padded_with_nan_equal_one_cusum_per_series():
    rng = np.random.default_rng(3)
    series = [rng.normal(0.8, 1.0, n) for n in (5, 40, 90)]
    series[1][[3, 17]] = np.nan  # a missing period inside a series carries S
    matrix = np.full((3, 90), np.nan)
    for row, values in enumerate(series):
        matrix[row, : len(values)] = values
    statistic, signal = cusum_matrix(matrix, k=0.5, h=4.389)
    for row, values in enumerate(series):
        alone = cusum(values, k=0.5, h=4.389)
        assert statistic[row, : len(values)].tolist() == alone.statistic.tolist()
        assert np.flatnonzero(signal[row, : len(values)]).tolist() == alone.signal_indices.tolist()
    assert signal[:, :].any()  # the drifting series do signal, so the comparison is not vacuous
