"""Time from a regime exit to re-entry (methods §7, "Re-entry"), the curve the early-warning page watches.

The decision, and why (issue 15):
- The unit is a spell of the quality programme (methods §3: watch list, quality special measures and
  recovery support, episodes joined where they follow on), so CP then SMQ is one stay and an
  escalation is never a re-entry. Origin = the spell's exit; event = the organisation's next spell
  of that programme, whatever its regime (CP, SMQ/QSM or NOF4): any return to intensive oversight
  is what the transition watches for. Finance special measures and improvement programmes run
  alongside as streams of their own and are not in the curve.
- A trust that exited more than once contributes one at-risk spell per exit (its spells are
  followed one after another, never overlapping).
- A spell with no re-entry by the data cut-off is censored there; a spell still open at the
  cut-off, or exiting after it, is not at risk. An exit with no recorded date makes no spell.
- The curve is Kaplan–Meier (the estimator time in regime uses) with Greenwood variance and
  log-log 95% CIs; the number at risk is given at yearly marks.

Confidentiality: the caller computes the curve twice, with every episode and with the confidential
regimes' episodes removed before the spells are built (as if they did not exist), so a reader
without confidential access sees a curve nothing confidential went into (no CP exit, no CP re-entry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from ..stats.survival import kaplan_meier
from .meta import QUALITY, RECOVERY, WATCH_LIST, EpisodeRecord, finite_or_none
from .spells import spell_synthetic_keys, spells_by_organisation

MONTH_DAYS = 365.25 / 12
REENTRY_FAMILIES = frozenset({QUALITY, WATCH_LIST, RECOVERY})  # the quality programme's stream
CONDITIONAL_HORIZON_MONTHS = 12


def months_between(start: date, end: date) -> float:
    """Months (of 365.25 / 12 days) from `start` to `end`: the time scale of the curve."""
    return (end - start).days / MONTH_DAYS


@dataclass(frozen=True)
class ReentrySpell:
    """One at-risk spell: an exit of the quality programme, followed to re-entry or the cut-off."""

    organisation_id: int
    exited: date
    months: float
    reentered: bool
    synthetic: bool = False


def reentry_spells(episodes: list[EpisodeRecord], cutoff: date) -> list[ReentrySpell]:
    """Every exit of the quality programme by `cutoff` as an at-risk spell, oldest exit first per organisation."""
    quality = [episode for episode in episodes if episode.regime_family in REENTRY_FAMILIES]
    spells = spells_by_organisation(quality)
    synthetic = spell_synthetic_keys(quality, spells)
    out: list[ReentrySpell] = []
    for org, items in sorted(spells.items()):
        for index, spell in enumerate(items):
            if spell.exited is None or spell.exited > cutoff:
                continue
            following = items[index + 1].entered if index + 1 < len(items) else None
            came_back = following is not None and following <= cutoff
            out.append(
                ReentrySpell(
                    organisation_id=org,
                    exited=spell.exited,
                    months=months_between(spell.exited, following if came_back else cutoff),
                    reentered=came_back,
                    synthetic=(org, spell.entered) in synthetic,
                )
            )
    return out


def compute_reentry(episodes: list[EpisodeRecord], cutoff: date, *, excludes_confidential: bool = False) -> dict:
    """The stored re-entry curve: Ŝ_re step function with log-log CIs, counts and the number at risk yearly."""
    spells = reentry_spells(episodes, cutoff)
    document = {
        "cutoff": cutoff.isoformat(),
        "ci_type": "log-log",
        "excludes_confidential": excludes_confidential,
        "horizon_months": CONDITIONAL_HORIZON_MONTHS,
        "n_spells": len(spells),
        "n_organisations": len({spell.organisation_id for spell in spells}),
        "n_reentered": sum(spell.reentered for spell in spells),
        "n_censored": sum(not spell.reentered for spell in spells),
        "n_synthetic": sum(spell.synthetic for spell in spells),
    }
    if not spells:
        return document
    durations = np.array([spell.months for spell in spells])
    events = np.array([spell.reentered for spell in spells])
    by_org: dict[int, int] = {}
    for spell in spells:
        by_org[spell.organisation_id] = by_org.get(spell.organisation_id, 0) + 1
    km = kaplan_meier(durations, events)
    follow_up = float(durations.max())
    marks = np.arange(0, int(np.floor(follow_up / 12)) * 12 + 1, 12, dtype=float)
    at_marks = kaplan_meier(durations, events, times=marks)
    document.update(
        {
            "n_organisations_exiting_more_than_once": sum(1 for count in by_org.values() if count > 1),
            "max_follow_up_months": follow_up,
            "event_months": km.event_times.tolist(),
            "survival": km.event_survival.tolist(),
            "n_at_risk": km.n_at_risk.tolist(),
            "n_events": km.n_events.tolist(),
            "ci_low": [finite_or_none(value) for value in km.ci_low],
            "ci_high": [finite_or_none(value) for value in km.ci_high],
            "marks": {
                "months": marks.tolist(),
                "n_at_risk": at_marks.n_at_risk.tolist(),
                "reentered_by": [1.0 - float(value) for value in at_marks.survival],
            },
        }
    )
    if follow_up >= CONDITIONAL_HORIZON_MONTHS:
        low, high = km.ci_at(CONDITIONAL_HORIZON_MONTHS, "log-log")
        document["reentered_by_horizon"] = 1.0 - float(km.survival_at(CONDITIONAL_HORIZON_MONTHS))
        document["reentered_by_horizon_ci"] = [finite_or_none(1.0 - high), finite_or_none(1.0 - low)]
    return document
