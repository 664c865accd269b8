"""Methods §1: z-score of a proportion against the national value, with additive overdispersion."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indicators.stats.zscores import proportion_z

DENOMINATORS = [8000, 12000, 6000, 10000, 9000]
NUMERATORS = [1100, 1500, 1050, 1150, 1500]


def test_it_reproduces_the_worked_example():
    result = proportion_z(NUMERATORS, DENOMINATORS)
    assert result.national == pytest.approx(0.14, abs=1e-12)
    assert not result.flipped
    assert result.n_trusts == 5
    np.testing.assert_allclose(result.s, [0.00559017, 0.00456435, 0.00645497, 0.00500000, 0.00527046], atol=1e-8)
    np.testing.assert_allclose(result.z, [-0.6003063, -4.5159392, 6.8419000, -7.0098479, 6.4667095], atol=1e-6)
    np.testing.assert_allclose(
        result.z_winsorised, [-0.6003063, -4.5159392, 6.6918238, -6.0122844, 6.4667095], atol=1e-6
    )
    np.testing.assert_allclose(result.z_adj, [-0.1054832, -0.6512676, 1.3811257, -1.1051195, 1.0731586], atol=1e-6)
    assert result.phi == pytest.approx(28.7000953, abs=1e-6)
    assert result.tau2 == pytest.approx(0.00098086273, rel=1e-7)


def test_it_reproduces_the_worked_example_with_the_binomial_option():
    result = proportion_z(NUMERATORS, DENOMINATORS, binomial=True)
    assert result.phi == pytest.approx(33.3722039, abs=1e-6)
    assert result.tau2 == pytest.approx(0.00098480023, rel=1e-7)
    assert result.z_adj[0] == pytest.approx(-0.1055061, abs=1e-6)


def test_it_gives_nearly_the_same_adjusted_z_with_either_variance():
    plain = proportion_z(NUMERATORS, DENOMINATORS).z_adj
    binomial = proportion_z(NUMERATORS, DENOMINATORS, binomial=True).z_adj
    assert np.max(np.abs(binomial - plain) / np.abs(plain)) < 0.01


def test_it_sets_tau2_to_zero_when_there_is_no_overdispersion():
    result = proportion_z([62, 70, 48, 66], [400, 500, 300, 450])
    assert result.n_trusts * result.phi < result.n_trusts - 1
    assert result.tau2 == 0.0
    np.testing.assert_allclose(result.z_adj, result.z, rtol=0, atol=1e-12)


def test_it_uses_the_smaller_tail_and_keeps_positive_meaning_higher():
    # Achievement framed as a proportion > 0.5: the method works on 1 − p, and a trust with a
    # higher p than national must still come out positive.
    breaches = proportion_z(NUMERATORS, DENOMINATORS)
    achievement = proportion_z(np.subtract(DENOMINATORS, NUMERATORS), DENOMINATORS, higher_is_worse=False)
    assert achievement.flipped
    assert achievement.national == pytest.approx(0.86)
    np.testing.assert_allclose(achievement.z, breaches.z, atol=1e-9)
    np.testing.assert_allclose(achievement.z_adj, breaches.z_adj, atol=1e-9)


def test_it_flips_the_sign_when_higher_is_better():
    worse = proportion_z(NUMERATORS, DENOMINATORS)
    better = proportion_z(NUMERATORS, DENOMINATORS, higher_is_worse=False)
    np.testing.assert_allclose(better.z_adj, -worse.z_adj)


def test_it_gives_nan_to_trusts_without_data_and_leaves_them_out_of_phi():
    result = proportion_z(NUMERATORS + [5, np.nan, 3], DENOMINATORS + [0, 100, np.nan])
    reference = proportion_z(NUMERATORS, DENOMINATORS)
    assert result.n_trusts == 5
    assert np.all(np.isnan(result.z[5:])) and np.all(np.isnan(result.z_adj[5:]))
    np.testing.assert_allclose(result.z_adj[:5], reference.z_adj)
    assert result.phi == pytest.approx(reference.phi)
    assert result.tau2 == pytest.approx(reference.tau2)


def test_it_uses_a_supplied_national_value():
    result = proportion_z(NUMERATORS, DENOMINATORS, national=0.13)
    assert result.national == 0.13
    expected_z = 2 * np.sqrt(DENOMINATORS) * (np.sqrt(np.divide(NUMERATORS, DENOMINATORS)) - np.sqrt(0.13))
    np.testing.assert_allclose(result.z, expected_z)


def test_it_leaves_a_single_trust_unadjusted():
    result = proportion_z([10], [100], national=0.2)
    assert result.tau2 == 0.0
    assert result.z_adj[0] == pytest.approx(result.z[0])


trust_data = st.lists(
    st.tuples(st.integers(min_value=50, max_value=20000), st.floats(min_value=0.01, max_value=0.6)),
    min_size=3,
    max_size=40,
)


def _arrays(trusts):
    n = np.array([size for size, _ in trusts], dtype=float)
    r = np.round(n * np.array([share for _, share in trusts]))
    return r, n


@settings(max_examples=150, deadline=None)
@given(trust_data)
def test_it_never_makes_an_adjusted_z_larger_than_the_raw_z(trusts):
    r, n = _arrays(trusts)
    result = proportion_z(r, n)
    assert result.tau2 >= 0
    assert np.all(np.abs(result.z_adj) <= np.abs(result.z) + 1e-12)


@settings(max_examples=100, deadline=None)
@given(trust_data, st.randoms(use_true_random=False))
def test_it_does_not_depend_on_the_order_of_trusts(trusts, random):
    r, n = _arrays(trusts)
    order = list(range(len(r)))
    random.shuffle(order)
    straight = proportion_z(r, n)
    shuffled = proportion_z(r[order], n[order])
    np.testing.assert_allclose(shuffled.z_adj, straight.z_adj[order], rtol=1e-10, atol=1e-12)
    assert shuffled.tau2 == pytest.approx(straight.tau2, rel=1e-10, abs=1e-15)
