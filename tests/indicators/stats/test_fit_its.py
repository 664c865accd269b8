"""Methods §3: one trust's interrupted time series, its window rules and per-coefficient availability."""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from indicators.stats.its import COEFFICIENT_NAMES, fit_its, its_design, ols_fit, prais_winsten

TRUE = {"intercept": 1.0, "pre_slope": 0.03, "level_change": -0.6, "slope_change_during": -0.04}


def _trust(n_before=18, n_in=24, n_after=0, noise=0.05, seed=0, start=500, after_slope=0.0):
    """z_adj for periods start … with entry after n_before periods (and exit after n_in)."""
    rng = np.random.default_rng(seed)
    n = n_before + n_in + n_after
    t_exit = n_before + n_in + 1 if n_after else None
    X = its_design(n, t_entry=n_before + 1, t_exit=t_exit)
    b = [TRUE["intercept"], TRUE["pre_slope"], TRUE["level_change"], TRUE["slope_change_during"]]
    if n_after:
        b.append(after_slope)
    z = X @ np.array(b) + noise * rng.normal(size=n)
    periods = np.arange(start, start + n)
    entry = start + n_before
    exit_ = entry + n_in if n_after or t_exit else None
    return z, periods, entry, exit_


def test_it_fits_one_change_point_while_the_trust_is_still_in_the_regime():
    z, periods, entry, _ = _trust()
    fit = fit_its(z, periods, entry)
    assert fit.n_change_points == 1
    assert fit.method == "prais_winsten"
    assert fit.n == 42
    assert fit.t_entry == 19 and fit.t_exit is None
    for name, value in TRUE.items():
        assert fit[name].estimate == pytest.approx(value, abs=0.15)
    assert fit["slope_change_after"] is None
    assert list(fit) == list(COEFFICIENT_NAMES)


def test_it_matches_statsmodels_gls_at_the_fitted_rho():
    z, periods, entry, _ = _trust(seed=1, noise=0.3)
    fit = fit_its(z, periods, entry)
    X = its_design(len(z), t_entry=19)
    lags = np.abs(np.subtract.outer(np.arange(len(z)), np.arange(len(z))))
    gls = sm.GLS(z, X, sigma=fit.rho**lags / (1 - fit.rho**2)).fit()
    assert fit["level_change"].estimate == pytest.approx(gls.params[2], rel=1e-8)
    assert fit["level_change"].se == pytest.approx(gls.bse[2], rel=1e-8)


def test_it_reports_student_t_confidence_intervals():
    z, periods, entry, _ = _trust(seed=2, noise=0.3)
    fit = fit_its(z, periods, entry)
    coefficient = fit["pre_slope"]
    half = stats.t.ppf(0.975, fit.fit.df) * coefficient.se
    assert coefficient.ci_low == pytest.approx(coefficient.estimate - half)
    assert coefficient.ci_high == pytest.approx(coefficient.estimate + half)


def test_it_uses_data_up_to_exit_only_when_fewer_than_six_periods_follow_exit():
    z, periods, entry, exit_ = _trust(n_after=5, seed=3)
    fit = fit_its(z, periods, entry, exit_index=exit_)
    assert fit.n_change_points == 1
    assert fit.window[-1] == exit_ - 1
    assert fit.n == 42
    assert fit.segment_counts == {"pre": 18, "during": 24, "after": 0}
    assert fit["slope_change_after"] is None


def test_it_fits_two_change_points_with_six_or_more_periods_after_exit():
    z, periods, entry, exit_ = _trust(n_after=12, seed=4, after_slope=0.05)
    fit = fit_its(z, periods, entry, exit_index=exit_)
    assert fit.n_change_points == 2
    assert fit.t_exit == 18 + 24 + 1
    assert fit.segment_counts == {"pre": 18, "during": 24, "after": 12}
    assert fit["slope_change_after"].estimate == pytest.approx(0.05, abs=0.03)
    X = its_design(len(z), t_entry=19, t_exit=43)
    np.testing.assert_allclose(fit.fitted, X @ fit.fit.coef)


def test_it_stops_the_post_exit_segment_at_re_entry():
    z, periods, entry, exit_ = _trust(n_after=12, seed=5)
    fit = fit_its(z, periods, entry, exit_index=exit_, reentry_index=exit_ + 8)
    assert fit.n_change_points == 2
    assert fit.window[-1] == exit_ + 7
    assert fit.segment_counts["after"] == 8
    short = fit_its(z, periods, entry, exit_index=exit_, reentry_index=exit_ + 4)
    assert short.n_change_points == 1
    assert short.window[-1] == exit_ - 1


def test_it_uses_ols_when_the_window_is_shorter_than_24_periods():
    z, periods, entry, _ = _trust(n_before=12, n_in=10, seed=6)
    fit = fit_its(z, periods, entry)
    assert fit.method == "ols"
    reference = ols_fit(z, its_design(22, t_entry=13))
    np.testing.assert_allclose(fit.fit.coef, reference.coef)


def test_it_starts_the_window_eighteen_periods_before_entry_by_default():
    z, periods, entry, _ = _trust(n_before=30, seed=7)
    fit = fit_its(z, periods, entry)
    assert fit.window[0] == entry - 18
    assert fit.segment_counts["pre"] == 18
    cancer = fit_its(z, periods, entry, pre_periods=24)
    assert cancer.window[0] == entry - 24


def test_it_gives_up_when_the_pre_entry_segment_is_too_short():
    z, periods, entry, _ = _trust(n_before=5, seed=8)
    assert fit_its(z, periods, entry) is None


def test_it_withholds_in_regime_coefficients_when_the_regime_segment_is_short():
    z, periods, entry, _ = _trust(n_in=4, seed=9)
    fit = fit_its(z, periods, entry)
    assert fit["pre_slope"] is not None
    assert fit["level_change"] is None
    assert fit["slope_change_during"] is None


def test_it_drops_missing_periods_but_keeps_their_place_in_time():
    z, periods, entry, _ = _trust(seed=10, noise=0.3)
    z = z.copy()
    z[[3, 25, 26]] = np.nan
    fit = fit_its(z, periods, entry)
    assert fit.n == 39
    assert len(fit.window) == 42
    assert np.isnan(fit.observed[[3, 25, 26]]).all()
    keep = np.isfinite(z)
    t = np.arange(1, 43)[keep]
    reference = prais_winsten(z[keep], its_design(42, t_entry=19)[keep], times=t)
    np.testing.assert_allclose(fit.fit.coef, reference.coef)


def test_it_carries_the_pre_entry_line_forward_as_the_counterfactual():
    z, periods, entry, _ = _trust(seed=11)
    fit = fit_its(z, periods, entry)
    np.testing.assert_allclose(fit.counterfactual, fit["intercept"].estimate + fit["pre_slope"].estimate * fit.t)
    np.testing.assert_allclose(fit.fitted[:18], fit.counterfactual[:18])


def test_it_accepts_periods_in_any_order():
    z, periods, entry, _ = _trust(seed=12)
    order = np.random.default_rng(0).permutation(len(z))
    shuffled = fit_its(z[order], periods[order], entry)
    straight = fit_its(z, periods, entry)
    assert shuffled["level_change"].estimate == pytest.approx(straight["level_change"].estimate)


def test_it_refuses_inconsistent_dates():
    z, periods, entry, _ = _trust()
    with pytest.raises(ValueError):
        fit_its(z, periods, entry, exit_index=entry)
    with pytest.raises(ValueError):
        fit_its(z, periods, entry, exit_index=entry + 10, reentry_index=entry + 5)
