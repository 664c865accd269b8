"""Methods §1: quarterly analysis sums counts over the quarter; it never averages monthly z."""

from datetime import date

import pandas as pd

from indicators.stats.zscores import to_quarters


def test_it_sums_numerator_and_denominator_by_org_and_quarter():
    frame = pd.DataFrame(
        {
            "org": ["RF4", "RF4", "RF4", "RF4", "RXX"],
            "period": [date(2019, 1, 1), date(2019, 2, 1), date(2019, 3, 1), date(2019, 4, 1), date(2019, 3, 1)],
            "numerator": [10, 20, 30, 5, 7],
            "denominator": [100, 200, 300, 50, 70],
        }
    )
    quarters = to_quarters(frame)
    assert quarters.to_dict("records") == [
        {"org": "RF4", "period": date(2019, 1, 1), "numerator": 60, "denominator": 600, "n_months": 3},
        {"org": "RF4", "period": date(2019, 4, 1), "numerator": 5, "denominator": 50, "n_months": 1},
        {"org": "RXX", "period": date(2019, 1, 1), "numerator": 7, "denominator": 70, "n_months": 1},
    ]


def test_it_keeps_indicators_apart_and_accepts_timestamps():
    frame = pd.DataFrame(
        {
            "org": ["RF4"] * 4,
            "indicator": ["ed_4hr", "ed_4hr", "rtt_18wk", "rtt_18wk"],
            "period": pd.to_datetime(["2019-07-01", "2019-09-01", "2019-07-01", "2019-08-01"]),
            "numerator": [1, 2, 3, 4],
            "denominator": [10, 20, 30, 40],
        }
    )
    quarters = to_quarters(frame)
    assert list(quarters["indicator"]) == ["ed_4hr", "rtt_18wk"]
    assert list(quarters["numerator"]) == [3, 7]
    assert (quarters["period"] == pd.Timestamp("2019-07-01")).all()
