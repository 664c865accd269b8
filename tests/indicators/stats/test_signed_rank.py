"""Methods §8: paired Wilcoxon signed-rank of staff survey deviations at entry and at exit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from indicators.stats.staff_survey import signed_rank


def test_it_uses_the_exact_distribution_for_small_untied_samples():
    entry = np.array([0.1, -0.3, 0.2, 0.0, -0.5, 0.4, -0.2, 0.3])
    exit_ = entry + np.array([1.5, -0.2, 0.3, 2.0, 0.7, -0.4, 1.1, 0.9])
    result = signed_rank(entry, exit_)
    assert result.method == "exact"
    assert result.zero_method == "wilcox"
    assert result.statistic == 32.0 and result.w_minus == 4.0
    reference = stats.wilcoxon(exit_ - entry, method="exact")
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)
    assert result.p_value == pytest.approx(0.0546875)


def test_it_drops_zero_differences():
    result = signed_rank([1.0, 2.0, 3.0, 4.0], [1.0, 2.5, 2.0, 6.0])
    assert result.n == 3 and result.n_zero == 1


def test_it_falls_back_to_the_normal_approximation_with_ties():
    entry = np.zeros(12)
    exit_ = np.array([0.5, 0.5, -0.2, 1.0, 0.3, 0.3, 0.8, -0.1, 0.6, 0.4, 0.0, 0.9])
    result = signed_rank(entry, exit_)
    assert result.method == "normal"
    reference = stats.wilcoxon(exit_, zero_method="wilcox", correction=True, method="asymptotic")
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-10)


def test_it_uses_the_normal_approximation_above_49_pairs():
    rng = np.random.default_rng(3)
    differences = rng.normal(0.2, 1.0, 60)
    result = signed_rank(np.zeros(60), differences)
    assert result.method == "normal"
    reference = stats.wilcoxon(differences, correction=True, method="asymptotic")
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-10)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=-40, max_value=40), min_size=3, max_size=45))
def test_it_agrees_with_scipy_on_any_sample(values):
    differences = np.array(values, dtype=float) / 10
    if np.count_nonzero(differences) < 1:
        return
    result = signed_rank(np.zeros(len(differences)), differences)
    nonzero = differences[differences != 0]
    method = "exact" if result.method == "exact" else "asymptotic"
    reference = stats.wilcoxon(nonzero, zero_method="wilcox", correction=True, method=method)
    assert result.p_value == pytest.approx(min(1.0, reference.pvalue), rel=1e-9, abs=1e-12)


def test_it_returns_no_test_when_nothing_changed():
    result = signed_rank([1.0, 2.0], [1.0, 2.0])
    assert result.n == 0 and np.isnan(result.p_value)
