"""Methods §1 across a whole panel: per-period statistics computed for every period at once."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from indicators.stats.zscores import panel_proportion_z, proportion_z


def _synthetic_panel(seed=7, n_orgs=40, n_periods=12, indicators=("ed_4hr", "rtt_18wk")):
    rng = np.random.default_rng(seed)
    rows = []
    for indicator, base in zip(indicators, (0.15, 0.7), strict=False):
        for month in range(n_periods):
            period = date(2019 + month // 12, month % 12 + 1, 1)
            for org in range(n_orgs):
                n = int(rng.integers(200, 20000))
                p = np.clip(base + rng.normal(0, 0.04), 0.001, 0.999)
                rows.append((f"R{org:02d}", indicator, period, int(rng.binomial(n, p)), n))
    return pd.DataFrame(rows, columns=["org", "indicator", "period", "numerator", "denominator"])


def test_it_matches_proportion_z_applied_to_each_period():
    panel = _synthetic_panel()
    # Knock out some rows so groups differ in size.
    panel.loc[panel.sample(frac=0.05, random_state=1).index, "denominator"] = 0
    result = panel_proportion_z(panel)
    for (_, _), rows in result.groupby(["indicator", "period"]):
        direct = proportion_z(rows["numerator"], rows["denominator"])
        np.testing.assert_allclose(rows["z"], direct.z, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(rows["z_adj"], direct.z_adj, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(rows["s"], direct.s, rtol=1e-12)
        assert rows["phi"].iloc[0] == pytest.approx(direct.phi, rel=1e-12)
        assert rows["tau2"].iloc[0] == pytest.approx(direct.tau2, rel=1e-12, abs=1e-18)
        assert rows["national"].iloc[0] == pytest.approx(direct.national, rel=1e-12)


def test_it_keeps_the_input_rows_in_order():
    panel = _synthetic_panel().sample(frac=1.0, random_state=3)
    result = panel_proportion_z(panel)
    assert list(result.index) == list(panel.index)
    pd.testing.assert_frame_equal(result[panel.columns], panel)


def test_it_flips_indicators_whose_national_value_is_above_a_half():
    result = panel_proportion_z(_synthetic_panel())
    assert result.loc[result["indicator"] == "rtt_18wk", "flipped"].all()
    assert not result.loc[result["indicator"] == "ed_4hr", "flipped"].any()


def test_it_uses_a_supplied_national_column_per_period():
    panel = _synthetic_panel(indicators=("ed_4hr",), n_periods=2)
    panel["national"] = np.where(panel["period"] == date(2019, 1, 1), 0.2, np.nan)
    result = panel_proportion_z(panel)
    first = result[result["period"] == date(2019, 1, 1)]
    second = result[result["period"] == date(2019, 2, 1)]
    assert (first["national"] == 0.2).all()
    assert second["national"].iloc[0] == pytest.approx(second["numerator"].sum() / second["denominator"].sum())
    direct = proportion_z(first["numerator"], first["denominator"], national=0.2)
    np.testing.assert_allclose(first["z_adj"], direct.z_adj)


def test_it_refuses_two_national_values_for_one_period():
    panel = _synthetic_panel(indicators=("ed_4hr",), n_periods=1)
    panel["national"] = np.linspace(0.1, 0.2, len(panel))
    with pytest.raises(ValueError, match="more than one"):
        panel_proportion_z(panel)


def test_it_reproduces_the_worked_example_inside_a_panel():
    frame = pd.DataFrame(
        {
            "org": list("ABCDE"),
            "period": [date(2019, 4, 1)] * 5,
            "numerator": [1100, 1500, 1050, 1150, 1500],
            "denominator": [8000, 12000, 6000, 10000, 9000],
        }
    )
    result = panel_proportion_z(frame)
    np.testing.assert_allclose(result["z_adj"], [-0.1054832, -0.6512676, 1.3811257, -1.1051195, 1.0731586], atol=1e-6)
    assert result["phi"].iloc[0] == pytest.approx(28.7000953, abs=1e-6)


def test_it_returns_an_empty_frame_for_no_rows():
    empty = pd.DataFrame({"org": [], "period": [], "numerator": [], "denominator": []})
    result = panel_proportion_z(empty)
    assert result.empty
    assert {"z", "z_adj", "tau2"} <= set(result.columns)
