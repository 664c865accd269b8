"""Plain scores (staff survey themes, financial segment): cross-sectional standardisation per period."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from indicators.stats.zscores import panel_score_z


def _frame():
    return pd.DataFrame(
        {
            "org": ["A", "B", "C", "A", "B", "C"],
            "period": [date(2018, 1, 1)] * 3 + [date(2019, 1, 1)] * 3,
            "value": [6.0, 7.0, 8.0, 5.0, 5.0, 8.0],
        }
    )


def test_it_standardises_against_each_periods_mean_and_sd():
    result = panel_score_z(_frame(), higher_is_worse=True)
    np.testing.assert_allclose(result["z"].iloc[:3], [-1.0, 0.0, 1.0])
    later = np.array([5.0, 5.0, 8.0])
    np.testing.assert_allclose(result["z"].iloc[3:], (later - later.mean()) / later.std(ddof=1))
    np.testing.assert_allclose(result["z_adj"], result["z"])
    assert result["tau2"].isna().all()


def test_it_orients_higher_is_better_scores_so_positive_is_worse():
    result = panel_score_z(_frame(), higher_is_worse=False)
    assert result["z"].iloc[0] == pytest.approx(1.0)


def test_it_standardises_within_a_benchmarking_group_when_given():
    frame = _frame().assign(group=["acute", "acute", "mental", "acute", "acute", "mental"])
    result = panel_score_z(frame, higher_is_worse=True)
    np.testing.assert_allclose(result["z"].iloc[:2], [-0.5 / np.sqrt(0.5), 0.5 / np.sqrt(0.5)])
    # A group of one has no spread: no z rather than a division by zero.
    assert np.isnan(result["z"].iloc[2])
    assert result["z"].iloc[3:5].isna().all()
