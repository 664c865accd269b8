"""Exit likelihood for the open episodes of the programme (SMQ, CP, RSP/NOF4, PIP…): a proportional-hazards fit.

Reads only. The model (indicators.stats.exit_model) is fitted on the episodes the user may see
(so a confidential CP episode shapes nothing shown to someone who may not see it), with the
regime and the route of entry as covariates. Each open episode gets the probability of exit by
its regime's target (or the planning horizon), given it is still in; past that, within the next
12 months. Shown beside the board's rule-based light, and marked synthetic where the episodes are.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from oversight.permissions import visible_episodes
from trusts.constants import EpisodeRoute
from trusts.models import RegimeEpisode

from .board import BoardRow, board_rows
from .stats.exit_model import CoxFit, fit_exit_model

DAYS_PER_MONTH = 365.25 / 12
PAST_TARGET_WINDOW = 12
MIN_EPISODES = 10  # episodes a covariate needs to be in the model


@dataclass
class OpenEpisodeExit:
    row: BoardRow
    by_month: int
    past_target: bool
    probability: float
    low: float
    high: float
    # Already in longer than any episode that exited: the baseline hazard is flat there, so the
    # model has no estimate (it would read 0%); shown as such rather than as a probability.
    beyond_follow_up: bool = False

    @property
    def episode(self) -> RegimeEpisode:
        return self.row.episode


@dataclass
class ExitModelReport:
    fit: CoxFit | None
    error: str = ""
    n_synthetic: int = 0
    reference_regime: str = ""
    covariates: list[str] = field(default_factory=list)
    open: list[OpenEpisodeExit] = field(default_factory=list)
    today: date | None = None
    converged: bool = True

    @property
    def synthetic(self) -> bool:
        return self.n_synthetic > 0


def _months(start: date, end: date) -> float:
    return max((end - start).days / DAYS_PER_MONTH, 0.5)  # an exit on the day of entry counts as half a month


def exit_model_report(user, *, today: date | None = None) -> ExitModelReport:
    today = today or date.today()
    episodes = list(
        visible_episodes(user, RegimeEpisode.objects.select_related("regime", "organisation")).filter(
            entered__lte=today
        )
    )
    report = ExitModelReport(fit=None, today=today, n_synthetic=sum(e.synthetic for e in episodes))
    if not episodes:
        report.error = "No regime episodes are held."
        return report
    # A covariate held by only a handful of episodes cannot be estimated (the fit does not converge):
    # such regimes join the reference group and such routes count as direct.
    regimes = Counter(e.regime.code for e in episodes)
    reference = regimes.most_common(1)[0][0]
    regime_columns = sorted(code for code, n in regimes.items() if code != reference and n >= MIN_EPISODES)
    route_counts = Counter(e.route for e in episodes)
    routes = sorted(r for r, n in route_counts.items() if r != EpisodeRoute.DIRECT and n >= MIN_EPISODES)
    names = [f"regime {code}" for code in regime_columns] + [f"route {route}" for route in routes]
    report.reference_regime, report.covariates = reference, names

    def design(episode) -> list[float]:
        return [float(episode.regime.code == code) for code in regime_columns] + [
            float(episode.route == route) for route in routes
        ]

    exited = [e.exited is not None and e.exited <= today for e in episodes]
    durations = [_months(e.entered, e.exited if done else today) for e, done in zip(episodes, exited)]
    from statsmodels.tools.sm_exceptions import ConvergenceWarning  # statsmodels loads slowly: on first use

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            report.fit = fit_exit_model(durations, exited, [design(e) for e in episodes], names)
        report.converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    except (ValueError, np.linalg.LinAlgError) as exc:
        report.error = f"The model could not be fitted: {exc}"
        return report
    last_exit = float(report.fit.durations[report.fit.events].max())

    open_ids = {e.pk for e, done in zip(episodes, exited) if not done}
    rows = board_rows(user, episodes=[e for e in episodes if e.pk in open_ids], today=today)
    if not rows:
        return report
    starts, ends, xs, past = [], [], [], []
    for row in rows:
        months_in = _months(row.episode.entered, today)
        overdue = months_in >= row.horizon
        starts.append(months_in)
        ends.append(months_in + PAST_TARGET_WINDOW if overdue else row.horizon)
        xs.append(design(row.episode))
        past.append(overdue)
    p, low, high = report.fit.exit_probabilities(xs, starts, ends)
    report.open = [
        OpenEpisodeExit(row, int(round(end)), overdue, float(pi), float(lo), float(hi), start >= last_exit)
        for row, start, end, overdue, pi, lo, hi in zip(rows, starts, ends, past, p, low, high)
    ]
    report.open.sort(key=lambda item: (item.probability, item.episode.organisation.name))
    return report


EXIT_EXPORT_COLUMNS = [
    "org_code",
    "org_name",
    "regime",
    "entered",
    "months_in",
    "exit_by_month",
    "past_target",
    "probability",
    "probability_low95",
    "probability_high95",
    "rule_based_light",
    "beyond_follow_up",
    "synthetic",
]


def exit_export_rows(report: ExitModelReport) -> list[list]:
    return [
        [
            item.episode.organisation.ods_code,
            item.episode.organisation.name,
            item.episode.regime.code,
            item.episode.entered.isoformat(),
            item.row.months_in,
            item.by_month,
            "yes" if item.past_target else "no",
            "" if item.beyond_follow_up else f"{item.probability:.3f}",
            "" if item.beyond_follow_up else f"{item.low:.3f}",
            "" if item.beyond_follow_up else f"{item.high:.3f}",
            item.row.light,
            "yes" if item.beyond_follow_up else "no",
            "yes" if item.episode.synthetic else "no",
        ]
        for item in report.open
    ]
