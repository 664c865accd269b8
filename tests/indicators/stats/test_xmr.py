"""Methods §5: NHS Making Data Count XmR chart, its rules, precedence, icons and assurance."""

import numpy as np
import pytest

from indicators.stats.spc import xmr

WORKED = [0.2, -0.4, 0.1, 0.5, -0.3, 0.0, -0.6, 0.3, -0.1, 0.4, -0.2, 0.1,
          1.5, 0.3, 1.4, -0.3, -0.5, -0.2, -0.6, -0.1, -0.4, -0.3, 3.2, 0.0]  # fmt: skip


def test_it_reproduces_the_worked_example_limits():
    chart = xmr(WORKED, improvement_direction="increase")
    assert chart.mean == pytest.approx(0.1666667, abs=1e-7)
    assert chart.mean_mr == pytest.approx(0.6238095, abs=1e-7)
    assert chart.upper == pytest.approx(1.826, abs=1e-7)
    assert chart.lower == pytest.approx(-1.492667, abs=1e-6)
    assert chart.upper_near == pytest.approx(0.1666667 + 2 * 2.66 / 3 * 0.6238095, abs=1e-6)
    assert not chart.trial_limits


def test_it_reproduces_the_worked_example_rules():
    chart = xmr(WORKED, improvement_direction="increase")
    flagged = {position + 1: (rule, side) for position, (rule, side) in enumerate(zip(chart.rule, chart.side)) if rule}
    expected = {13: ("two_of_three", "high"), 15: ("two_of_three", "high"), 23: ("beyond_limit", "high")}
    expected.update({point: ("shift", "low") for point in range(16, 23)})
    assert flagged == expected
    assert chart.point_type[12] == "special_cause_improvement"
    assert chart.point_type[15] == "special_cause_concern"
    assert chart.point_type[22] == "special_cause_improvement"
    assert chart.point_type[13] == "common_cause"  # point 14 sits between the two near-limit points
    assert chart.variation_icon == "common_cause"


def test_it_lets_a_point_beyond_the_limit_outrank_the_shift_it_sits_in():
    values = [0.0, 0.1, -0.1, 0.05, -0.05, 0.0, 0.1, -0.1, 0.05, -0.05, 0.0, 0.1, -0.1, 0.05, -0.05]
    values += [0.1, 0.12, 0.1, 2.0, 0.1, 0.12, 0.1]
    chart = xmr(values, baseline=15)
    assert chart.rule[18] == "beyond_limit"
    assert list(chart.rule[15:18]) == ["shift"] * 3
    assert list(chart.rule[19:22]) == ["shift"] * 3


def test_it_flags_seven_strictly_rising_points_as_a_trend():
    values = [0.0, 0.2, -0.2, 0.1, -0.1, 0.0, 0.15, -0.15, 0.05, -0.05, 0.1, -0.1, 0.0]
    values += [-0.4, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2]
    chart = xmr(values, baseline=13, improvement_direction="decrease")
    assert list(chart.rule[13:20]) == ["trend"] * 7
    assert set(chart.side[13:20]) == {"high"}
    assert set(chart.point_type[13:20]) == {"special_cause_concern"}
    assert chart.variation_icon == "special_cause_concern"


def test_it_breaks_a_trend_on_a_tie():
    values = [0.0, 0.2, -0.2, 0.1, -0.1, 0.0, 0.15, -0.15, 0.05, -0.05, 0.1, -0.1, 0.0]
    values += [-0.4, -0.3, -0.2, -0.2, 0.0, 0.1, 0.2]
    chart = xmr(values, baseline=13)
    assert "trend" not in set(chart.rule)


def test_it_breaks_a_shift_on_a_point_exactly_on_the_mean():
    values = [1.0, -1.0] * 7  # mean 0
    values += [0.5, 0.5, 0.5, 0.0, 0.5, 0.5, 0.5]
    chart = xmr(values, baseline=14)
    assert chart.mean == 0.0
    assert "shift" not in set(chart.rule)
    values[17] = 0.4
    assert list(xmr(values, baseline=14).rule[14:21]) == ["shift"] * 7


def test_it_accepts_a_run_length_of_six():
    values = [1.0, -1.0] * 7 + [0.5] * 6
    assert "shift" not in set(xmr(values, baseline=14).rule)
    assert list(xmr(values, baseline=14, run_length=6).rule[14:]) == ["shift"] * 6


def test_a_point_beyond_the_limit_does_not_count_towards_two_of_three():
    # NHSRplotthedots 0.2.2: only points between the 2σ line and the limit count (issue 10 changed
    # this from the Western Electric reading, where a point beyond 3σ counted towards the two).
    values = [0.5, -0.5] * 7 + [0.1, 5.0, 2.2, 0.1]
    chart = xmr(values, baseline=14, screen_moving_ranges=False)
    assert chart.upper_near < 2.2 < chart.upper
    assert chart.rule[15] == "beyond_limit"
    assert chart.rule[16] == ""
    values[17] = 2.3  # now two near-limit points in a window of three above the mean
    assert list(xmr(values, baseline=14, screen_moving_ranges=False).rule[15:18]) == [
        "beyond_limit",
        "two_of_three",
        "two_of_three",
    ]


def test_it_screens_large_moving_ranges_only_when_asked():
    unscreened = xmr(WORKED, screen_moving_ranges=False)
    assert unscreened.mean_mr == pytest.approx(np.mean(np.abs(np.diff(WORKED))))
    assert unscreened.mean_mr > xmr(WORKED).mean_mr


def test_it_calls_limits_from_fewer_than_thirteen_points_trial_limits():
    assert xmr(WORKED[:12]).trial_limits
    assert not xmr(WORKED[:13]).trial_limits
    assert xmr(WORKED, baseline=12).trial_limits


def test_it_computes_limits_from_the_baseline_only():
    chart = xmr(WORKED, baseline=12)
    assert chart.mean == pytest.approx(np.mean(WORKED[:12]))
    assert chart.n_baseline == 12


def test_it_labels_special_causes_neutral_when_no_direction_is_better():
    chart = xmr(WORKED, improvement_direction="neutral", target=0.0)
    assert chart.point_type[22] == "special_cause_neutral_high"
    assert set(chart.point_type[15:22]) == {"special_cause_neutral_low"}
    assert chart.assurance is None


@pytest.mark.parametrize(
    ("direction", "target", "assurance"),
    [
        ("increase", -2.0, "consistent_pass"),
        ("increase", 2.0, "consistent_fail"),
        ("increase", 0.5, "inconsistent"),
        ("decrease", 2.0, "consistent_pass"),
        ("decrease", -2.0, "consistent_fail"),
        ("decrease", None, None),
    ],
)
def test_it_gives_assurance_from_the_target_against_the_limits(direction, target, assurance):
    assert xmr(WORKED, improvement_direction=direction, target=target).assurance == assurance


def test_it_skips_missing_values():
    values = list(WORKED)
    values.insert(5, np.nan)
    chart = xmr(values)
    assert chart.mean == pytest.approx(0.1666667, abs=1e-7)
    assert chart.rule[5] == ""
    assert chart.rule[23] == "beyond_limit"
    assert np.isnan(chart.moving_range[5])


def test_it_refuses_an_unknown_direction_or_too_little_data():
    with pytest.raises(ValueError):
        xmr(WORKED, improvement_direction="up")
    with pytest.raises(ValueError):
        xmr([1.0])
