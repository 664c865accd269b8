"""Methods §2: SHMI z-scores from published limits, or rebuilt from observed and expected deaths."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from indicators.stats.zscores import panel_ratio_z, shmi_z_from_counts, shmi_z_from_limits

OBSERVED = [1150, 980, 2100, 760, 1320, 1890, 640, 1005, 1500, 870]
EXPECTED = [1000, 1010, 1900, 800, 1250, 1950, 700, 990, 1420, 905]


def test_it_converts_a_shmi_and_its_upper_limit_to_z():
    assert shmi_z_from_limits(1.15, 1.1234) == pytest.approx(2.35415, abs=1e-5)


def test_it_gives_negative_z_below_one_and_exactly_1_96_at_the_limit():
    z = shmi_z_from_limits([0.9, 1.1234, 1.0], [1.1234, 1.1234, 1.1234])
    assert z[0] < 0
    assert z[1] == pytest.approx(1.959964)
    assert z[2] == 0.0


def test_it_rejects_limits_that_are_not_above_one():
    assert np.isnan(shmi_z_from_limits(1.2, 0.95))


def test_it_reproduces_the_worked_example_from_counts():
    result = shmi_z_from_counts(OBSERVED, EXPECTED)
    assert list(np.flatnonzero(~result.kept)) == [0, 6]
    assert result.phi == pytest.approx(4.19599691, abs=1e-8)
    assert result.tau2 == pytest.approx(0.003015067, abs=1e-9)
    assert result.z[0] == pytest.approx(4.4196607, abs=1e-6)
    assert result.ucl95[0] == pytest.approx(1.1322335, abs=1e-6)
    assert result.z_adj[0] == pytest.approx(2.2056801, abs=1e-6)


def test_it_truncates_by_decile_group_using_average_ranks_for_ties():
    # Twenty trusts: g = floor(rank * 10 / 21) is 0 for ranks 1-2 and 9 for rank 19-20.
    observed = np.arange(100, 120) * 10.0
    result = shmi_z_from_counts(observed, np.full(20, 1100.0))
    assert list(np.flatnonzero(~result.kept)) == [0, 1, 18, 19]
    # Tied at the edge: ranks 2 and 3 average to 2.5, g = floor(25/21) = 1, so both are kept.
    observed[2] = observed[1]
    tied = shmi_z_from_counts(observed, np.full(20, 1100.0))
    assert list(np.flatnonzero(~tied.kept)) == [0, 18, 19]


def test_it_rebuilds_limits_from_counts_in_a_panel():
    frame = pd.DataFrame(
        {
            "org": [f"R{i}" for i in range(10)] * 2,
            "period": [date(2019, 1, 1)] * 10 + [date(2019, 4, 1)] * 10,
            "observed": OBSERVED + list(np.array(OBSERVED) * 1.01),
            "expected": EXPECTED * 2,
        }
    )
    result = panel_ratio_z(frame)
    first = result[result["period"] == date(2019, 1, 1)]
    direct = shmi_z_from_counts(OBSERVED, EXPECTED)
    np.testing.assert_allclose(first["z_adj"], direct.z_adj)
    assert (result["method"] == "counts").all()
    second = result[result["period"] == date(2019, 4, 1)]
    direct_second = shmi_z_from_counts(np.array(OBSERVED) * 1.01, EXPECTED)
    np.testing.assert_allclose(second["tau2"], direct_second.tau2)


def test_it_prefers_published_limits_when_present():
    frame = pd.DataFrame(
        {
            "org": ["RF4", "RXX"],
            "period": [date(2019, 1, 1)] * 2,
            "value": [1.15, 0.95],
            "lower": [0.89, 0.89],
            "upper": [1.1234, np.nan],
        }
    )
    result = panel_ratio_z(frame)
    assert result["z_adj"].iloc[0] == pytest.approx(2.35415, abs=1e-5)
    assert result["z"].iloc[0] == result["z_adj"].iloc[0]
    assert np.isnan(result["tau2"].iloc[0])
    assert result["method"].iloc[0] == "limits"
    assert np.isnan(result["z_adj"].iloc[1])


def test_it_needs_limits_or_counts():
    with pytest.raises(ValueError):
        panel_ratio_z(pd.DataFrame({"org": ["A"], "period": [date(2019, 1, 1)], "value": [1.0]}))
