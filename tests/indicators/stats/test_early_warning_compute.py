"""Early warning as methods §6: SPC concerns count, and the false-alarm rate is per cadence."""

from datetime import date

import pandas as pd
import pytest

from indicators import compute
from indicators.stats.early_warning import cusum_arl0


def _alerts(rows):
    return pd.DataFrame(rows, columns=["organisation_id", "indicator_id", "period", "kind"]).assign(
        period=lambda frame: pd.to_datetime(frame["period"])
    )


def test_one_signal_in_a_month_its_spc_chart_marks_a_concern_is_slipping():
    alerts = _alerts([(1, 10, "2025-03-01", "ewma"), (2, 10, "2025-03-01", "cusum")])
    concerns = pd.DataFrame({"organisation_id": [1], "indicator_id": [10], "period": pd.to_datetime(["2025-03-01"])})
    payload = compute.compute_early_warning(alerts, [], {"monthly": 10}, date(2025, 6, 1), 0.5, 4.389, concerns)
    assert [(row["organisation_id"], row["with_spc_concern"]) for row in payload["slipping"]] == [(1, True)]


def test_two_indicators_within_six_months_are_slipping_without_a_concern():
    alerts = _alerts([(3, 10, "2025-01-01", "cusum"), (3, 11, "2025-06-01", "ewma")])
    payload = compute.compute_early_warning(alerts, [], {"monthly": 10}, date(2025, 6, 1), 0.5, 4.389)
    assert [row["indicator_ids"] for row in payload["slipping"]] == [[10, 11]]


def test_the_expected_false_alarm_rate_counts_a_quarterly_chart_as_a_third_of_a_monthly_one():
    counts = {"monthly": 800, "quarterly": 150, "annual": 120}
    payload = compute.compute_early_warning(pd.DataFrame(), [], counts, None, 0.5, 4.389)
    arl = cusum_arl0(0.5, 4.389)
    assert payload["expected_false_alarms_per_month"] == pytest.approx(800 / arl + 150 / (3 * arl) + 120 / (12 * arl))
    assert payload["expected_false_alarms_per_month_ewma"] == pytest.approx(800 / 500 + 150 / 1500 + 120 / 6000)
    assert payload["n_charts"] == 1070
