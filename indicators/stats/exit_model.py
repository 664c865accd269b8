"""Exit likelihood from a proportional-hazards model of time to exit (statsmodels PHReg, Efron ties).

Time is months from entry to exit; an open episode is censored at the day of the fit. The
covariates are what is known of every episode at entry (regime, route), so the fit uses closed
and open episodes alike. For an open episode already `t0` months in, the probability of exit by
month `T` is 1 − S(T | x) / S(t0 | x), with S(t | x) = exp(−H0(t) · exp(x·β)) and H0 the Breslow
baseline cumulative hazard. Its 95% interval draws β from its estimated normal distribution
(N(β̂, V̂), 400 draws, seeded) and recomputes H0 for each draw; the uncertainty of H0 given β is
not included, so the interval is somewhat too narrow for small programmes.

Discrimination is Harrell's concordance: in-sample, and from k-fold cross-validation (each fold's
risk scores from a model fitted without it), the figure that says how well it ranks new episodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import Z95


def harrell_c(durations, events, risk) -> float:
    """Harrell's C: of usable pairs (the shorter time an event), the share where the shorter has the higher risk.

    Ties in risk count one half; pairs with equal times are not usable. NaN when there is no usable pair.
    """
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    r = np.asarray(risk, dtype=float)
    shorter = (t[:, None] < t[None, :]) & e[:, None]
    usable = shorter.sum()
    if usable == 0:
        return float("nan")
    concordant = (shorter & (r[:, None] > r[None, :])).sum() + 0.5 * (shorter & (r[:, None] == r[None, :])).sum()
    return float(concordant / usable)


def breslow(durations, events, linear_predictor) -> tuple[np.ndarray, np.ndarray]:
    """(distinct event times, Breslow cumulative baseline hazard at them) for one linear predictor x·β."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    risk = np.exp(np.asarray(linear_predictor, dtype=float))
    times, deaths = np.unique(t[e], return_counts=True)
    if times.size == 0:
        return times, times.astype(float)
    order = np.argsort(t)
    t_sorted, risk_sorted = t[order], risk[order]
    at_risk_sum = np.cumsum(risk_sorted[::-1])[::-1]  # sum of exp(xβ) over T_j >= t_sorted[i]
    first = np.searchsorted(t_sorted, times, side="left")
    return times, np.cumsum(deaths / at_risk_sum[first])


def _step(times: np.ndarray, cumhaz: np.ndarray, at) -> np.ndarray:
    """H0 at `at` (right-continuous step; 0 before the first event)."""
    index = np.searchsorted(times, np.asarray(at, dtype=float), side="right") - 1
    return np.where(index >= 0, cumhaz[np.clip(index, 0, None)], 0.0) if times.size else np.zeros_like(at, dtype=float)


@dataclass
class CoxFit:
    names: list[str]
    params: np.ndarray
    bse: np.ndarray
    cov: np.ndarray
    durations: np.ndarray
    events: np.ndarray
    exog: np.ndarray
    concordance: float
    cv_concordance: float | None
    n: int
    n_events: int

    @property
    def hazard_ratios(self) -> list[tuple[str, float, float, float]]:
        """(covariate, HR, 95% low, 95% high): HR above 1 means a faster exit."""
        return [
            (name, float(np.exp(b)), float(np.exp(b - Z95 * s)), float(np.exp(b + Z95 * s)))
            for name, b, s in zip(self.names, self.params, self.bse)
        ]

    def exit_probability(self, x, months_in: float, by_month: float, *, draws: int = 400, seed: int = 0):
        """(P(exit by `by_month` | still in at `months_in`), 95% low, high) for covariates `x`."""
        p, low, high = self.exit_probabilities([x], [months_in], [by_month], draws=draws, seed=seed)
        return float(p[0]), float(low[0]), float(high[0])

    def exit_probabilities(self, xs, months_in, by_month, *, draws: int = 400, seed: int = 0):
        """Arrays (P, 95% low, 95% high) of exit by `by_month` given still in at `months_in`, one per row of `xs`."""
        start, end = np.asarray(months_in, dtype=float), np.asarray(by_month, dtype=float)
        xs = np.asarray(xs, dtype=float).reshape(len(start), len(self.names))

        def probabilities(beta: np.ndarray) -> np.ndarray:
            times, cumhaz = breslow(self.durations, self.events, self.exog @ beta)
            gained = _step(times, cumhaz, end) - _step(times, cumhaz, start)
            return 1.0 - np.exp(-gained * np.exp(xs @ beta))

        point = probabilities(self.params)
        if not self.names:
            return point, point.copy(), point.copy()
        rng = np.random.default_rng(seed)
        sampled = rng.multivariate_normal(self.params, self.cov, size=draws, method="cholesky")
        values = np.array([probabilities(beta) for beta in sampled])
        return point, np.quantile(values, 0.025, axis=0), np.quantile(values, 0.975, axis=0)


def _fit_params(durations, events, exog):
    from statsmodels.duration.hazard_regression import PHReg

    result = PHReg(durations, exog, status=events.astype(int), ties="efron").fit(disp=False)
    return np.asarray(result.params), np.asarray(result.bse), np.asarray(result.cov_params())


def fit_exit_model(durations, events, exog, names: list[str], *, folds: int = 5, seed: int = 0) -> CoxFit:
    """Fit the model on every episode and estimate its concordance in and out of sample."""
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    x = np.asarray(exog, dtype=float).reshape(len(t), len(names))
    if len(t) < 10 or e.sum() < 5:
        raise ValueError(f"too few episodes to fit ({len(t)} episodes, {int(e.sum())} exits; at least 10 and 5)")
    if names:
        params, bse, cov = _fit_params(t, e, x)
    else:
        params, bse, cov = np.zeros(0), np.zeros(0), np.zeros((0, 0))
    # A higher hazard of exit means a shorter time: the risk score for C is the linear predictor.
    concordance = harrell_c(t, e, x @ params)
    cv = None
    if names and folds >= 2 and len(t) >= 5 * folds:
        rng = np.random.default_rng(seed)
        fold_of = rng.permutation(len(t)) % folds
        held_risk = np.empty(len(t))
        try:
            for k in range(folds):
                train = fold_of != k
                beta, _, _ = _fit_params(t[train], e[train], x[train])
                held_risk[~train] = x[~train] @ beta
            cv = harrell_c(t, e, held_risk)
        except (np.linalg.LinAlgError, ValueError):
            cv = None
    return CoxFit(names, params, bse, cov, t, e, x, concordance, cv, len(t), int(e.sum()))
