"""Methods §4: DerSimonian–Laird random-effects pooling, against the worked example and statsmodels."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.meta_analysis import combine_effects

from indicators.stats.pooling import dersimonian_laird

ESTIMATES = [-0.80, -0.35, -1.10, 0.20, -0.55]
SES = [0.30, 0.25, 0.40, 0.35, 0.20]


def test_it_reproduces_the_worked_example():
    pooled = dersimonian_laird(ESTIMATES, SES)
    assert pooled.k == 5
    assert pooled.fixed_estimate == pytest.approx(-0.503293, abs=1e-6)
    assert pooled.fixed_se == pytest.approx(0.122605, abs=1e-6)
    assert pooled.q == pytest.approx(7.671779, abs=1e-6)
    assert pooled.tau2 == pytest.approx(0.073677, abs=1e-6)
    assert pooled.i2 == pytest.approx(0.4786, abs=1e-4)
    assert pooled.estimate == pytest.approx(-0.505396, abs=1e-6)
    assert pooled.se == pytest.approx(0.177817, abs=1e-6)
    assert pooled.ci_low == pytest.approx(-0.853910, abs=1e-6)
    assert pooled.ci_high == pytest.approx(-0.156881, abs=1e-6)


def _statsmodels(y, se):
    result = combine_effects(np.asarray(y), np.asarray(se) ** 2, method_re="chi2")
    frame = result.summary_frame()
    return result, frame.loc["random effect"], frame.loc["fixed effect"]


def test_it_agrees_with_statsmodels_on_the_worked_example():
    pooled = dersimonian_laird(ESTIMATES, SES)
    result, random_effect, fixed_effect = _statsmodels(ESTIMATES, SES)
    assert pooled.estimate == pytest.approx(random_effect["eff"], rel=1e-10)
    assert pooled.se == pytest.approx(random_effect["sd_eff"], rel=1e-10)
    assert pooled.ci_low == pytest.approx(random_effect["ci_low"], rel=1e-6)
    assert pooled.fixed_estimate == pytest.approx(fixed_effect["eff"], rel=1e-10)
    assert pooled.tau2 == pytest.approx(result.tau2, rel=1e-10)
    assert pooled.i2 == pytest.approx(result.i2, rel=1e-10)
    assert pooled.q == pytest.approx(result.q, rel=1e-10)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # statsmodels divides by a zero τ² + v sum
@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=-3, max_value=3), st.floats(min_value=0.05, max_value=2.0)),
        min_size=2,
        max_size=30,
    )
)
def test_it_agrees_with_statsmodels_on_random_inputs(pairs):
    y = np.array([estimate for estimate, _ in pairs])
    se = np.array([error for _, error in pairs])
    pooled = dersimonian_laird(y, se)
    result, random_effect, fixed_effect = _statsmodels(y, se)
    assert pooled.tau2 >= 0
    assert 0 <= pooled.i2 <= 1
    assert pooled.fixed_estimate == pytest.approx(fixed_effect["eff"], rel=1e-8, abs=1e-10)
    if result.tau2 > 0:
        assert pooled.estimate == pytest.approx(random_effect["eff"], rel=1e-8, abs=1e-10)
        assert pooled.se == pytest.approx(random_effect["sd_eff"], rel=1e-8)
        assert pooled.tau2 == pytest.approx(result.tau2, rel=1e-8)
    else:
        # statsmodels' "chi2" leaves a negative moment estimate unclipped; methods §4 truncates
        # τ² at zero, where random effects collapse to the fixed-effect pooling.
        assert pooled.tau2 == 0.0
        assert pooled.estimate == pytest.approx(pooled.fixed_estimate)
        assert pooled.se == pytest.approx(fixed_effect["sd_eff"], rel=1e-8)


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(5)))
def test_it_does_not_depend_on_the_order_of_trusts(order):
    pooled = dersimonian_laird(np.array(ESTIMATES)[order], np.array(SES)[order])
    assert pooled.estimate == pytest.approx(-0.505396, abs=1e-6)
    assert pooled.tau2 == pytest.approx(0.073677, abs=1e-6)


def test_it_returns_the_single_trust_unchanged_when_k_is_one():
    pooled = dersimonian_laird([0.4], [0.2])
    assert (pooled.k, pooled.tau2, pooled.i2, pooled.q) == (1, 0.0, 0.0, 0.0)
    assert pooled.estimate == pytest.approx(0.4)
    assert pooled.fixed_estimate == pytest.approx(0.4)
    assert pooled.se == pytest.approx(0.2)


def test_it_returns_none_when_no_trust_has_an_estimate():
    assert dersimonian_laird([], []) is None
    assert dersimonian_laird([np.nan], [0.2]) is None


def test_it_leaves_out_trusts_whose_coefficient_was_not_estimable():
    pooled = dersimonian_laird(ESTIMATES + [np.nan, 1.0], SES + [0.3, np.nan])
    assert pooled.k == 5
    assert pooled.estimate == pytest.approx(-0.505396, abs=1e-6)


def test_it_reports_no_heterogeneity_for_identical_estimates():
    pooled = dersimonian_laird([0.5, 0.5, 0.5], [0.1, 0.2, 0.3])
    assert pooled.tau2 == 0.0 and pooled.i2 == 0.0


def test_it_refuses_non_positive_standard_errors():
    with pytest.raises(ValueError):
        dersimonian_laird([0.1, 0.2], [0.1, 0.0])
