"""Methods §6: a trust is slipping when two or more indicators signal within six months."""

from datetime import date

import pandas as pd

from indicators.stats.early_warning import slipping


def _signals(rows):
    return pd.DataFrame(rows, columns=["org", "indicator", "signal_period"])


def test_it_finds_two_indicators_signalling_within_six_months():
    found = slipping(_signals([("RF4", "ed_4hr", date(2019, 1, 1)), ("RF4", "rtt_18wk", date(2019, 6, 1))]))
    assert found.to_dict("records") == [
        {
            "org": "RF4",
            "first_period": date(2019, 1, 1),
            "last_period": date(2019, 6, 1),
            "indicators": ("ed_4hr", "rtt_18wk"),
            "n_indicators": 2,
            "with_spc_concern": False,
        }
    ]


def test_it_ignores_signals_seven_months_apart_and_repeats_of_one_indicator():
    rows = [
        ("RF4", "ed_4hr", date(2019, 1, 1)),
        ("RF4", "rtt_18wk", date(2019, 7, 1)),
        ("RXX", "ed_4hr", date(2019, 1, 1)),
        ("RXX", "ed_4hr", date(2019, 2, 1)),
    ]
    assert slipping(_signals(rows)).empty


def test_it_merges_overlapping_windows_into_one_episode():
    rows = [
        ("RF4", "ed_4hr", date(2019, 1, 1)),
        ("RF4", "rtt_18wk", date(2019, 6, 1)),
        ("RF4", "dtoc", date(2019, 11, 1)),
        ("RF4", "shmi", date(2021, 1, 1)),
        ("RF4", "dtoc", date(2021, 2, 1)),
    ]
    found = slipping(_signals(rows))
    assert list(found["first_period"]) == [date(2019, 1, 1), date(2021, 1, 1)]
    assert list(found["last_period"]) == [date(2019, 11, 1), date(2021, 2, 1)]
    assert found["indicators"].iloc[0] == ("dtoc", "ed_4hr", "rtt_18wk")


def test_it_counts_a_signal_that_coincides_with_an_spc_concern():
    signals = _signals([("RF4", "ed_4hr", date(2019, 3, 1))])
    concerns = pd.DataFrame({"org": ["RF4"], "indicator": ["ed_4hr"], "period": [date(2019, 3, 1)]})
    found = slipping(signals, spc_concerns=concerns)
    assert found["with_spc_concern"].tolist() == [True]
    assert found["n_indicators"].tolist() == [1]


def test_it_returns_an_empty_frame_for_no_signals():
    assert slipping(_signals([])).empty
