"""Methods §7: Kaplan–Meier time in regime with Greenwood variance and log / log-log intervals."""

import numpy as np
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from indicators.stats.survival import kaplan_meier

MONTHS = [14, 20, 26, 30, 36, 18, 9, 40]
EXITED = [1, 1, 1, 0, 1, 0, 1, 0]  # 30+, 18+ and 40+ are censored at the cut-off


def test_it_reproduces_the_worked_example():
    km = kaplan_meier(MONTHS, EXITED)
    assert km.survival_at(12) == pytest.approx(0.875)
    assert km.survival_at(24) == pytest.approx(0.600)
    low, high = km.ci_at(24, "log")
    assert (low, high) == (pytest.approx(0.3315, abs=5e-5), 1.0)
    low, high = km.ci_at(24, "log-log")
    assert low == pytest.approx(0.1955, abs=5e-5)
    assert high == pytest.approx(0.8523, abs=5e-5)


def test_it_states_log_log_as_the_default_interval():
    km = kaplan_meier(MONTHS, EXITED, times=[24])
    assert km.ci_type == "log-log"
    assert km.ci_low[0] == pytest.approx(0.1955, abs=5e-5)
    assert km.ci_low_log[0] == pytest.approx(0.3315, abs=5e-5)
    assert km.ci_high_log[0] == 1.0
    assert km.n_at_risk[0] == 4


def test_it_agrees_with_statsmodels_on_survival_and_greenwood_errors():
    rng = np.random.default_rng(5)
    durations = np.round(rng.exponential(20, 60))  # rounded so there are ties
    events = rng.random(60) < 0.7
    ours = kaplan_meier(durations, events)
    reference = SurvfuncRight(durations, events.astype(int))
    np.testing.assert_allclose(ours.times, reference.surv_times)
    np.testing.assert_allclose(ours.survival, reference.surv_prob, rtol=1e-12)
    finite = ours.survival > 0
    np.testing.assert_allclose(np.sqrt(ours.variance[finite]), reference.surv_prob_se[finite], rtol=1e-10)
    np.testing.assert_array_equal(ours.n_at_risk, reference.n_risk)
    np.testing.assert_array_equal(ours.n_events, reference.n_events)


def test_it_is_a_right_continuous_step_function():
    km = kaplan_meier(MONTHS, EXITED)
    assert km.survival_at(0) == 1.0
    assert km.survival_at(8.99) == 1.0
    assert km.survival_at(9) == pytest.approx(0.875)
    np.testing.assert_allclose(km.survival_at([9, 13.9, 14]), [0.875, 0.875, 0.75])


def test_it_collapses_the_interval_where_survival_is_one_or_zero():
    km = kaplan_meier([3, 5], [1, 1], times=[1, 5])
    assert (km.ci_low[0], km.ci_high[0]) == (1.0, 1.0)
    assert km.survival[1] == 0.0
    assert (km.ci_low[1], km.ci_high[1]) == (0.0, 0.0)
    assert km.variance[1] == 0.0


def test_it_refuses_negative_durations():
    with pytest.raises(ValueError):
        kaplan_meier([-1, 2], [1, 1])
