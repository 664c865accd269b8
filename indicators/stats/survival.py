"""Time in regime: Kaplan–Meier, Aalen–Johansen cumulative incidence and the exit-target outcome (methods §7).

Times are in months from the origin (entry for time in regime, exit for re-entry). The default
confidence interval is log-log (Kalbfleisch–Prentice): it stays inside [0, 1] without clipping
and behaves well in the tails, which matter for "exited by 24 months" with a few dozen trusts.
The log type (R survival's default) is also returned, clipped to [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import Z95


@dataclass(frozen=True)
class KM:
    """Kaplan–Meier estimate at `times` (months): survival, Greenwood variance and 95% CIs."""

    times: np.ndarray
    n_at_risk: np.ndarray
    n_events: np.ndarray
    survival: np.ndarray
    variance: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    ci_low_log: np.ndarray
    ci_high_log: np.ndarray
    ci_low_loglog: np.ndarray
    ci_high_loglog: np.ndarray
    ci_type: str
    event_times: np.ndarray
    event_survival: np.ndarray
    event_greenwood: np.ndarray

    def survival_at(self, t) -> np.ndarray | float:
        """Ŝ(t), the probability (0–1) of no event by month t (right-continuous step function)."""
        return self._step(self.event_survival, t, 1.0)

    def ci_at(self, t, ci_type: str = "log-log") -> tuple[float, float]:
        """95% CI (0–1) for Ŝ(t) of the given type ('log-log' or 'log')."""
        survival = np.atleast_1d(self._step(self.event_survival, t, 1.0))
        greenwood = np.atleast_1d(self._step(self.event_greenwood, t, 0.0))
        low, high = _confidence(survival, greenwood, ci_type)
        return float(low[0]), float(high[0])

    def _step(self, values: np.ndarray, t, before: float):
        position = np.searchsorted(self.event_times, np.asarray(t, dtype=float), side="right") - 1
        out = np.where(position >= 0, values[np.maximum(position, 0)] if len(values) else before, before)
        return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class CumulativeIncidence:
    """Aalen–Johansen cumulative incidence (0–1) of one cause at the distinct event times (months)."""

    times: np.ndarray
    n_at_risk: np.ndarray
    cif: np.ndarray
    survival_all: np.ndarray

    def at(self, t) -> np.ndarray | float:
        """Cumulative incidence (0–1) of the cause by month t."""
        position = np.searchsorted(self.times, np.asarray(t, dtype=float), side="right") - 1
        out = np.where(position >= 0, self.cif[np.maximum(position, 0)] if len(self.cif) else 0.0, 0.0)
        return float(out) if np.ndim(out) == 0 else out


@dataclass(frozen=True)
class ExitOutcome:
    """Per-spell primary outcome (exited within target, no re-entry within follow-up) and its share."""

    success: np.ndarray
    determined: np.ndarray
    n: int
    n_determined: int
    n_success: int
    share: float
    share_of_all: float


def _confidence(survival: np.ndarray, greenwood: np.ndarray, ci_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise 95% CI for Ŝ on the log or log-log scale (0–1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.sqrt(greenwood)
        if ci_type == "log":
            low = survival * np.exp(-Z95 * se_log)
            high = np.minimum(1.0, survival * np.exp(Z95 * se_log))
        elif ci_type == "log-log":
            log_s = np.log(survival)
            theta = np.log(-log_s)
            se_theta = se_log / np.abs(log_s)
            low = np.exp(-np.exp(theta + Z95 * se_theta))
            high = np.exp(-np.exp(theta - Z95 * se_theta))
        else:
            raise ValueError("ci_type must be 'log-log' or 'log'")
    # Where Ŝ is 1 (no events yet) or 0 (everyone has had the event) the interval degenerates.
    low = np.where(survival >= 1.0, 1.0, np.where(survival <= 0.0, 0.0, low))
    high = np.where(survival >= 1.0, 1.0, np.where(survival <= 0.0, 0.0, high))
    return low, high


def kaplan_meier(durations, events, times=None) -> KM:
    """Kaplan–Meier survival (0–1) with Greenwood variance; at the event times, or at `times` (months)."""
    durations = np.asarray(durations, dtype=float).ravel()
    events = np.asarray(events, dtype=bool).ravel()
    if durations.shape != events.shape:
        raise ValueError("durations and events must have the same length")
    if np.any(~np.isfinite(durations)) or np.any(durations < 0):
        raise ValueError("durations must be finite and non-negative")

    event_times = np.unique(durations[events])
    # At risk at t: still under observation just before t (durations ≥ t, censored at t included).
    sorted_durations = np.sort(durations)
    at_risk = len(durations) - np.searchsorted(sorted_durations, event_times, side="left")
    n_events = np.searchsorted(np.sort(durations[events]), event_times, side="right") - np.searchsorted(
        np.sort(durations[events]), event_times, side="left"
    )
    survival = np.cumprod(1.0 - n_events / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        increments = n_events / (at_risk * (at_risk - n_events))
    greenwood = np.cumsum(increments)

    if times is None:
        out_times, out_survival, out_greenwood = event_times, survival, greenwood
        out_risk, out_events = at_risk, n_events
    else:
        out_times = np.asarray(times, dtype=float).ravel()
        position = np.searchsorted(event_times, out_times, side="right") - 1
        valid = position >= 0
        safe = np.maximum(position, 0)
        out_survival = np.where(valid, survival[safe] if len(survival) else 1.0, 1.0)
        out_greenwood = np.where(valid, greenwood[safe] if len(greenwood) else 0.0, 0.0)
        out_risk = len(durations) - np.searchsorted(sorted_durations, out_times, side="left")
        out_events = np.array([int(np.sum(events & (durations == t))) for t in out_times], dtype=np.int64)

    out_greenwood = np.where(out_survival <= 0.0, np.nan, out_greenwood)
    variance = np.where(out_survival <= 0.0, 0.0, out_survival**2 * out_greenwood)
    low_log, high_log = _confidence(out_survival, out_greenwood, "log")
    low_ll, high_ll = _confidence(out_survival, out_greenwood, "log-log")
    return KM(
        times=out_times,
        n_at_risk=np.asarray(out_risk, dtype=np.int64),
        n_events=np.asarray(out_events, dtype=np.int64),
        survival=out_survival,
        variance=variance,
        ci_low=low_ll,
        ci_high=high_ll,
        ci_low_log=low_log,
        ci_high_log=high_log,
        ci_low_loglog=low_ll,
        ci_high_loglog=high_ll,
        ci_type="log-log",
        event_times=event_times,
        event_survival=survival,
        event_greenwood=greenwood,
    )


def aalen_johansen(durations, causes, cause_of_interest) -> CumulativeIncidence:
    """Cumulative incidence (0–1) of `cause_of_interest` with competing causes (cause 0 = censored)."""
    durations = np.asarray(durations, dtype=float).ravel()
    causes = np.asarray(causes).ravel()
    if durations.shape != causes.shape:
        raise ValueError("durations and causes must have the same length")
    any_event = causes != 0
    times = np.unique(durations[any_event])
    sorted_durations = np.sort(durations)
    at_risk = len(durations) - np.searchsorted(sorted_durations, times, side="left")
    events_all = np.array([np.sum(any_event & (durations == t)) for t in times], dtype=float)
    events_cause = np.array([np.sum((causes == cause_of_interest) & (durations == t)) for t in times], dtype=float)
    survival = np.cumprod(1.0 - events_all / at_risk)
    # The cause's hazard at t applies to those still free of every cause just before t.
    survival_before = np.concatenate(([1.0], survival[:-1]))
    cif = np.cumsum(survival_before * events_cause / at_risk)
    return CumulativeIncidence(times=times, n_at_risk=at_risk, cif=cif, survival_all=survival)


def exit_within_target(
    time_in_regime,
    exited,
    time_to_reentry=None,
    reentered=None,
    target_months: float = 24,
    follow_up_months: float = 12,
) -> ExitOutcome:
    """Per spell: exited within target_months and no re-entry within follow_up_months (months in)."""
    # `time_in_regime` is months from entry to exit (or to the data cut-off when not exited);
    # `time_to_reentry` is months from exit to re-entry (or to the cut-off when not re-entered).
    # A spell is undetermined while it could still go either way: in the regime for no longer than
    # the target at the cut-off, or exited in time with less than the follow-up observed and no
    # re-entry. `share` is over determined spells; `share_of_all` over every spell (the report's
    # Table 29 convention, which counts the undetermined as not yet successes).
    time_in_regime = np.asarray(time_in_regime, dtype=float).ravel()
    exited = np.asarray(exited, dtype=bool).ravel()
    n = len(time_in_regime)
    if time_to_reentry is None:
        time_to_reentry = np.full(n, np.inf)
    if reentered is None:
        reentered = np.zeros(n, dtype=bool)
    time_to_reentry = np.asarray(time_to_reentry, dtype=float).ravel()
    reentered = np.asarray(reentered, dtype=bool).ravel()

    exited_in_time = exited & (time_in_regime <= target_months)
    came_back = reentered & (time_to_reentry <= follow_up_months)
    followed_up = came_back | (time_to_reentry >= follow_up_months)
    success = exited_in_time & ~came_back & followed_up
    failure = (time_in_regime > target_months) | (exited_in_time & came_back)
    determined = success | failure
    n_determined = int(determined.sum())
    n_success = int(success.sum())
    return ExitOutcome(
        success=success,
        determined=determined,
        n=n,
        n_determined=n_determined,
        n_success=n_success,
        share=n_success / n_determined if n_determined else np.nan,
        share_of_all=n_success / n if n else np.nan,
    )


def survival_step(event_times, event_survival, t) -> float:
    """Ŝ(t) (0–1) read off a stored Kaplan–Meier step function (its event times in months and Ŝ there)."""
    event_times = np.asarray(event_times, dtype=float)
    position = int(np.searchsorted(event_times, float(t), side="right")) - 1
    return float(event_survival[position]) if position >= 0 else 1.0


def conditional_event_probability(event_times, event_survival, t, horizon: float = 12) -> float:
    """P(event by month t + horizon | no event by month t) = 1 − Ŝ(t + horizon) / Ŝ(t), 0–1 (NaN when Ŝ(t) = 0)."""
    now = survival_step(event_times, event_survival, t)
    later = survival_step(event_times, event_survival, t + horizon)
    return 1.0 - later / now if now > 0 else float("nan")
