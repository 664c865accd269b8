"""Methods §8: bottom-quartile counts against the expected 25%, exact test and Clopper–Pearson CI."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from indicators.stats.staff_survey import binomial_test_vs, clopper_pearson


def test_it_reproduces_the_worked_example():
    result = binomial_test_vs(9, 20, p0=0.25)
    assert result.p_value == pytest.approx(0.06524, abs=5e-6)
    assert result.ci_low == pytest.approx(0.2306, abs=5e-5)
    assert result.ci_high == pytest.approx(0.6847, abs=5e-5)
    assert result.expected == 5.0
    assert result.proportion == 0.45


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=80), st.data(), st.sampled_from([0.1, 0.25, 0.5, 0.7]))
def test_it_agrees_with_scipy(n, data, p0):
    k = data.draw(st.integers(min_value=0, max_value=n))
    ours = binomial_test_vs(k, n, p0=p0)
    reference = binomtest(k, n, p0)
    interval = reference.proportion_ci(method="exact")
    assert ours.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-15)
    assert ours.ci_low == pytest.approx(interval.low, abs=1e-12)
    assert ours.ci_high == pytest.approx(interval.high, abs=1e-12)


def test_it_reaches_the_ends_of_zero_to_one_at_the_extremes():
    assert clopper_pearson(0, 10)[0] == 0.0
    assert clopper_pearson(10, 10)[1] == 1.0


def test_it_refuses_impossible_counts():
    with pytest.raises(ValueError):
        clopper_pearson(11, 10)
    with pytest.raises(ValueError):
        binomial_test_vs(1, 10, p0=1.0)
