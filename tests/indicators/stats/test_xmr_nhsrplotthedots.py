"""XmR charts exactly as NHSRplotthedots 0.2.2: its published limits (methods §5) and its rule tests.

The limits are the package's own vignette and test figures; the rule cases restate the vectors of
its tests/testthat/test-ptd_calculate_point_type.R (issue #167: falling trends are flagged; #180:
a trend's points take the trend's direction, rules in precedence order).
"""

import numpy as np
import pytest

from indicators.stats.spc import xmr, xmr_panel

RNORM = [-0.5604756, -0.2301775, 1.5587083, 0.0705084, 0.1292877, 1.7150650, 0.4609162, -1.2650612,
         -0.6868529, -0.4456620, 1.2240818, 0.3598138, 0.4007715, 0.1106827, -0.5558411, 1.7869131,
         0.4978505, -1.9666172, 0.7013559, -0.4727914]  # fmt: skip
STEADY = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def test_it_matches_the_package_limits_for_twenty_normal_points():
    chart = xmr(RNORM)
    assert chart.mean == pytest.approx(0.1416238, abs=1e-7)
    assert chart.lower == pytest.approx(-3.01138, abs=1e-5)
    assert chart.upper == pytest.approx(3.294627, abs=1e-6)


def test_it_matches_the_package_limits_with_a_freak_point_screened_and_unscreened():
    values = list(RNORM)
    values[14] = 10.0
    screened = xmr(values)
    assert screened.mean == pytest.approx(0.6694159, abs=1e-7)
    assert (screened.lower, screened.upper) == pytest.approx((-2.383666, 3.722497), abs=1e-6)
    unscreened = xmr(values, screen_moving_ranges=False)
    assert (unscreened.lower, unscreened.upper) == pytest.approx((-4.596625, 5.935457), abs=1e-6)


def test_it_matches_the_package_and_the_excel_tool_on_a_steady_series_with_one_spike():
    screened = xmr(STEADY)
    assert screened.mean == pytest.approx(1.94, abs=0.005)
    assert (screened.lower, screened.upper) == pytest.approx((-0.72, 4.60), abs=0.005)
    excel = xmr(STEADY, screen_moving_ranges=False)  # the MDC Excel tool does not screen
    assert (excel.lower, excel.upper) == pytest.approx((-3.06, 6.95), abs=0.005)
    assert screened.rule[4] == "beyond_limit" and screened.point_type[4] == "special_cause_improvement"
    assert xmr(STEADY, improvement_direction="decrease").point_type[4] == "special_cause_concern"


def _with_baseline(tail, direction="increase"):
    """A quiet 14-point baseline (mean 0, mean MR 1) followed by the points under test."""
    return xmr([0.5, -0.5] * 7 + list(tail), baseline=14, improvement_direction=direction)


def test_a_rising_trend_of_seven_is_flagged_and_a_tie_breaks_it():
    # 1:7 is a trend; c(1:3, 3:6) is not (a repeated value breaks it).
    rising = _with_baseline(np.arange(1, 8) * 0.1 - 0.35)
    assert list(rising.rule[14:]) == ["trend"] * 7 and set(rising.side[14:]) == {"high"}
    tied = _with_baseline(np.array([1, 2, 3, 3, 4, 5, 6]) * 0.1 - 0.35)
    assert "trend" not in set(tied.rule)


def test_a_falling_trend_of_seven_is_flagged_too():
    # 7:1 — the package's issue #167: falling trends were once missed.
    chart = _with_baseline(np.arange(7, 0, -1) * 0.1 - 0.45, direction="increase")
    assert list(chart.rule[14:]) == ["trend"] * 7
    assert set(chart.point_type[14:]) == {"special_cause_concern"}


def test_a_trend_takes_its_direction_not_its_side_of_the_mean():
    # #180: seven falling points all above the mean are a falling trend (concern when higher is
    # better), not "above the mean" (which would read as improvement).
    chart = _with_baseline([1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7])
    assert set(chart.rule[14:]) == {"trend"}
    assert set(chart.side[14:]) == {"low"}
    assert chart.variation_icon == "special_cause_concern"


@pytest.mark.parametrize(
    ("tail", "flagged"),
    [
        ([1.9, 0.3, 1.9], {14, 16}),  # close, not close, close; all above: both close points
        ([1.9, 1.9, 0.3], {14, 15}),
        ([1.9, -0.3, 1.9], set()),  # the middle point is below the mean: not one side
        ([1.9, 0.3, 0.3, 1.9], set()),  # two near-limit points four apart: no window of three holds both
        ([-1.9, -1.9, -0.3], {14, 15}),
    ],
)
def test_two_of_three_needs_all_three_on_one_side_and_flags_only_the_near_limit_points(tail, flagged):
    chart = _with_baseline(tail)
    assert chart.upper_near < 1.9 < chart.upper
    assert {i for i, rule in enumerate(chart.rule) if rule == "two_of_three"} == flagged


def test_seven_on_one_side_is_a_shift_and_eight_with_a_break_is_not():
    assert list(_with_baseline([0.2] * 7).rule[14:]) == ["shift"] * 7
    assert "shift" not in set(_with_baseline([0.2] * 6 + [-0.2, 0.2]).rule)


def test_rules_take_precedence_beyond_limit_then_trend_then_two_of_three_then_shift():
    # A run of seven above the mean that also rises, with its last point beyond the limit.
    chart = _with_baseline([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 3.0])
    assert list(chart.rule[14:]) == ["trend"] * 6 + ["beyond_limit"]


def test_the_variation_icon_is_the_last_points_type_and_assurance_uses_its_limits():
    chart = xmr(STEADY + [6.0], improvement_direction="decrease", target=6.0)
    assert chart.upper < 6.0
    assert chart.point_type[-1] == "special_cause_concern"
    assert chart.variation_icon == "special_cause_concern"
    # Direction "decrease": target above the UPL → every point passes; below the LPL → fails.
    assert chart.assurance == "consistent_pass"
    assert xmr(STEADY, improvement_direction="decrease", target=-1.0).assurance == "consistent_fail"
    assert xmr(STEADY, improvement_direction="decrease", target=2.0).assurance == "inconsistent"
    assert xmr(STEADY, improvement_direction="neutral", target=2.0).assurance is None


def test_limits_are_not_clipped_at_zero():
    assert xmr(STEADY).lower < 0


def test_the_panel_gives_the_same_charts():
    matrix = np.array([RNORM[:18], STEADY], dtype=float)
    panel = xmr_panel(matrix, improvement_direction="decrease", target=2.0)
    for row in range(2):
        single = xmr(matrix[row], improvement_direction="decrease", target=2.0)
        assert panel.result(row).point_type.tolist() == single.point_type.tolist()
        assert panel.variation_icon[row] == single.variation_icon
        assert panel.assurance[row] == single.assurance
