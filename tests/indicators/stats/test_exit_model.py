"""The exit model against hand calculations and a simulation with a known answer."""

import numpy as np
import pytest

from indicators.stats.exit_model import breslow, fit_exit_model, harrell_c


def test_harrell_c_by_hand():
    # Usable pairs (shorter time has an event): (1,2) (1,3) (1,4) (3,4); (2,·) is censored.
    t = [1, 2, 3, 4]
    e = [1, 0, 1, 1]
    risk = [0.9, 0.1, 0.5, 0.5]
    # (1,2) 0.9>0.1 yes; (1,3) yes; (1,4) yes; (3,4) tie = 1/2 → 3.5 / 4.
    assert harrell_c(t, e, risk) == pytest.approx(3.5 / 4)
    assert harrell_c(t, e, [-r for r in risk]) == pytest.approx(0.5 / 4)


def test_breslow_with_no_covariate_is_the_nelson_aalen_estimate():
    t = np.array([2.0, 3.0, 3.0, 5.0, 8.0])
    e = np.array([1, 1, 0, 1, 0], dtype=bool)
    times, cumhaz = breslow(t, e, np.zeros(5))
    # 1/5 at 2; + 1/4 at 3 (one event, four at risk); + 1/2 at 5 (two at risk).
    assert list(times) == [2.0, 3.0, 5.0]
    assert cumhaz == pytest.approx([0.2, 0.45, 0.95])


def test_breslow_agrees_with_statsmodels_baseline_hazard():
    from statsmodels.duration.hazard_regression import PHReg

    rng = np.random.default_rng(3)
    x = rng.normal(size=(120, 2))
    t = rng.exponential(10 / np.exp(x @ [0.5, -0.3]))
    e = rng.random(120) < 0.8
    result = PHReg(t, x, status=e.astype(int), ties="breslow").fit(disp=False)
    times, cumhaz = breslow(t, e, x @ result.params)
    theirs = result.baseline_cumulative_hazard[0]
    assert list(times) == pytest.approx(list(theirs[0]))
    # statsmodels reports the hazard accumulated before each event time (left-continuous), so its
    # value at the k-th time is ours at the (k−1)-th.
    assert theirs[1][0] == 0
    assert list(cumhaz[:-1]) == pytest.approx(list(theirs[1][1:]), rel=1e-6)


def test_it_recovers_a_known_hazard_ratio_and_exit_probability_from_a_simulation():
    # Exponential times to exit, rate 0.05/month, doubled (HR 2) for x = 1; censoring at 36 months.
    rng = np.random.default_rng(1)  # seeds 0–7 give HR 1.79–2.24; the 95% CI covers 2 for this one
    n = 1500
    x = (rng.random(n) < 0.5).astype(float)
    rate = 0.05 * np.exp(np.log(2.0) * x)
    exit_time = rng.exponential(1 / rate)
    t = np.minimum(exit_time, 36.0)
    e = exit_time <= 36.0
    fit = fit_exit_model(t, e, x[:, None], ["x"], folds=5, seed=1)

    (name, hr, low, high) = fit.hazard_ratios[0]
    assert name == "x" and low < 2.0 < high and hr == pytest.approx(2.0, rel=0.12)
    assert 0.55 < fit.concordance < 0.7 and 0.55 < fit.cv_concordance < 0.7
    # Memoryless: P(exit by 24 | in at 12, x = 1) = 1 − exp(−0.1 × 12) = 0.699.
    p, p_low, p_high = fit.exit_probability([1.0], 12, 24, draws=200)
    assert p == pytest.approx(1 - np.exp(-0.1 * 12), abs=0.04)
    assert p_low < p < p_high


def test_too_few_episodes_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="too few episodes"):
        fit_exit_model([1, 2, 3], [1, 0, 1], [[0], [1], [0]], ["x"])
