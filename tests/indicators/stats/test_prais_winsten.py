"""Methods §3: Prais–Winsten AR(1) FGLS, checked against statsmodels GLS and OLS."""

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.stattools import durbin_watson

from indicators.stats.its import its_design, ols_fit, prais_winsten


def _series(seed=0, n=40, rho=0.6):
    rng = np.random.default_rng(seed)
    X = its_design(n, t_entry=19)
    e = np.zeros(n)
    e[0] = rng.normal() / np.sqrt(1 - rho**2)
    for t in range(1, n):
        e[t] = rho * e[t - 1] + rng.normal()
    y = X @ np.array([0.5, 0.02, -0.8, -0.05]) + 0.4 * e
    return y, X


def _ar1_sigma(times, rho):
    lags = np.abs(np.subtract.outer(times, times))
    return rho**lags / (1 - rho**2)


@pytest.mark.parametrize("rho", [-0.5, 0.0, 0.3, 0.8, 0.99])
def test_it_equals_gls_with_the_ar1_covariance_when_rho_is_fixed(rho):
    y, X = _series(seed=1)
    ours = prais_winsten(y, X, rho=rho)
    gls = sm.GLS(y, X, sigma=_ar1_sigma(np.arange(len(y)), rho)).fit()
    np.testing.assert_allclose(ours.coef, gls.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.se, gls.bse, rtol=1e-8)
    assert ours.sigma2 == pytest.approx(gls.scale, rel=1e-9)
    assert ours.rho == rho


def test_it_equals_gls_with_gaps_in_the_series():
    y, X = _series(seed=2, n=36)
    keep = np.ones(len(y), dtype=bool)
    keep[[4, 5, 17, 30]] = False
    times = np.flatnonzero(keep) + 1
    ours = prais_winsten(y[keep], X[keep], rho=0.55, times=times)
    gls = sm.GLS(y[keep], X[keep], sigma=_ar1_sigma(times, 0.55)).fit()
    np.testing.assert_allclose(ours.coef, gls.params, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.se, gls.bse, rtol=1e-8)


def test_it_equals_ols_when_rho_is_zero():
    y, X = _series(seed=3)
    ours = prais_winsten(y, X, rho=0.0)
    ols = sm.OLS(y, X).fit()
    np.testing.assert_allclose(ours.coef, ols.params, rtol=1e-10)
    np.testing.assert_allclose(ours.se, ols.bse, rtol=1e-10)


def test_it_iterates_to_a_fixed_point_of_rho():
    y, X = _series(seed=4, n=60, rho=0.7)
    fit = prais_winsten(y, X)
    assert fit.converged
    assert fit.iterations > 1
    # At convergence the residual autocorrelation reproduces the rho used for the fit.
    resid = y - X @ fit.coef
    assert fit.rho == pytest.approx(np.sum(resid[1:] * resid[:-1]) / np.sum(resid**2), abs=1e-7)
    refit = prais_winsten(y, X, rho=fit.rho)
    np.testing.assert_allclose(refit.coef, fit.coef, rtol=1e-12)
    assert fit.df == len(y) - X.shape[1]


def test_it_reports_durbin_watson_of_the_ols_residuals():
    y, X = _series(seed=5)
    fit = prais_winsten(y, X)
    assert fit.dw == pytest.approx(durbin_watson(sm.OLS(y, X).fit().resid))
    assert abs(fit.dw_transformed - 2) < abs(fit.dw - 2)


def test_it_clips_rho():
    rng = np.random.default_rng(6)
    n = 40
    X = its_design(n, t_entry=20)
    y = np.cumsum(np.cumsum(rng.normal(size=n)))  # integrated twice: residual rho near one
    assert abs(prais_winsten(y, X).rho) <= 0.99
    assert prais_winsten(y, X, rho=1.5).rho == 0.99


def test_it_refuses_a_design_it_cannot_estimate():
    X = its_design(10, t_entry=11)[:, :4]  # the regime columns are all zero
    with pytest.raises(np.linalg.LinAlgError):
        prais_winsten(np.arange(10.0), X)


def test_ols_fit_matches_statsmodels_and_reports_rho_without_using_it():
    y, X = _series(seed=7, n=20)
    ours = ols_fit(y, X)
    reference = sm.OLS(y, X).fit()
    np.testing.assert_allclose(ours.coef, reference.params, rtol=1e-10)
    np.testing.assert_allclose(ours.se, reference.bse, rtol=1e-10)
    assert ours.dw == pytest.approx(durbin_watson(reference.resid))
    assert ours.rho == pytest.approx(np.sum(reference.resid[1:] * reference.resid[:-1]) / np.sum(reference.resid**2))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=-0.9, max_value=0.95))
def test_it_matches_gls_for_any_fixed_rho(seed, rho):
    y, X = _series(seed=seed, n=30)
    ours = prais_winsten(y, X, rho=rho)
    gls = sm.GLS(y, X, sigma=_ar1_sigma(np.arange(len(y)), rho)).fit()
    np.testing.assert_allclose(ours.coef, gls.params, rtol=1e-7, atol=1e-9)
