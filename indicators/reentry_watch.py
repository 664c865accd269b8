"""The re-entry curve as the early-warning page shows it: the stored document a reader may see, read, never computed.

The recompute stores the Kaplan–Meier curve of time from exit to re-entry twice (indicators.compute.reentry):
`reentry` with every episode and `reentry_public` as if the confidential regimes' episodes did not exist.
A reader without confidential access gets the second, so no CP exit or re-entry shapes what they see.
A trust in transition is placed on the curve by reading the stored step function at its months since exit.
"""

from __future__ import annotations

from datetime import date

from oversight import permissions

from .compute.reentry import REENTRY_FAMILIES, months_between
from .recompute import stored_document
from .stats.survival import conditional_event_probability, survival_step


def reentry_document(user) -> dict | None:
    """The stored re-entry curve `user` may see (one query), or None before the first run."""
    return stored_document("reentry" if permissions.can_see_confidential(user) else "reentry_public")


def on_the_curve(regime_family: str) -> bool:
    """True when an exit from a regime of this family is one the curve follows (the quality programme)."""
    return regime_family in REENTRY_FAMILIES


def _complement(value):
    return None if value is None else 1.0 - value


def curve_points(document: dict) -> dict:
    """The stored Ŝ_re as cumulative re-entry (0–1) step points from month 0 to the longest follow-up."""
    months = [0.0, *document.get("event_months", [])]
    survival = [1.0, *document.get("survival", [])]
    low = [1.0, *document.get("ci_low", [])]
    high = [1.0, *document.get("ci_high", [])]
    end = document.get("max_follow_up_months")
    if end is not None and end > months[-1]:
        months, survival, low, high = [*months, end], [*survival, survival[-1]], [*low, low[-1]], [*high, high[-1]]
    return {
        "months": months,
        "reentered": [1.0 - value for value in survival],
        "ci_low": [_complement(value) for value in high],
        "ci_high": [_complement(value) for value in low],
    }


def position(document: dict, exited: date, today: date) -> dict:
    """Where a trust that exited on `exited` sits on the curve on `today`: months since exit, the curve's
    probability of re-entry by now, and of re-entry within the next horizon (12) months given none yet.

    The next-12-months figure is None when the curve does not reach that far (no one followed so long).
    """
    months = max(0.0, months_between(exited, today))
    times, survival = document.get("event_months", []), document.get("survival", [])
    horizon = document.get("horizon_months", 12)
    follow_up = document.get("max_follow_up_months") or 0.0
    ahead = conditional_event_probability(times, survival, months, horizon) if months + horizon <= follow_up else None
    return {
        "months": months,
        "reentered_by": 1.0 - survival_step(times, survival, months),
        "next_12": None if ahead is None or ahead != ahead else ahead,
        "beyond_follow_up": months > follow_up,
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def caption(document: dict, n_marked: int = 0) -> str:
    """The curve's plain-English caption: what it estimates, n, events, censoring, CIs, caveats; `n_marked`
    trusts in transition are drawn on it."""
    n, events, censored = document["n_spells"], document["n_reentered"], document["n_censored"]
    cutoff = date.fromisoformat(document["cutoff"])
    parts = [
        "Estimated share of trusts back in the quality programme (the watch list, quality special measures or "
        "recovery support, any of them) by months since leaving it (Kaplan–Meier). "
        f"{_count(n, 'exit')} of {_count(document['n_organisations'], 'trust')}; {events} re-entered; {censored} had "
        "not re-entered by "
        f"the data cut-off ({cutoff:%d %b %Y}) and are censored there."
    ]
    if document.get("n_organisations_exiting_more_than_once"):
        parts.append(
            f"{_count(document['n_organisations_exiting_more_than_once'], 'trust')} left more than once; "
            "each exit counts as its own spell."
        )
    marks = document.get("marks", {})
    if marks.get("months"):
        at_risk = ", ".join(
            f"{int(month)} months: {count}" for month, count in zip(marks["months"], marks["n_at_risk"], strict=True)
        )
        parts.append(f"Number still followed (at risk) at {at_risk}.")
    if document.get("reentered_by_horizon") is not None:
        low, high = document.get("reentered_by_horizon_ci") or (None, None)
        interval = f" (95% CI {low:.0%} to {high:.0%})" if low is not None and high is not None else ""
        parts.append(f"Re-entered within 12 months: {document['reentered_by_horizon']:.0%}{interval}.")
    parts.append("The shaded band is the 95% log-log confidence interval.")
    if n_marked:
        parts.append(
            f"Diamonds mark the {_count(n_marked, 'trust')} in transition now at their months since exit; the "
            "table gives each one's chance on the curve of re-entering within the next 12 months, given none yet."
        )
    else:
        parts.append("No trust in transition now is on the curve.")
    if document.get("excludes_confidential"):
        parts.append("Episodes of confidential regimes are not in this curve.")
    if document.get("n_synthetic"):
        share = "All" if document["n_synthetic"] == n else f"{document['n_synthetic']} of the {n}"
        parts.append(f"{share} exits come from synthetic (demonstration) episodes, not real trusts.")
    return " ".join(parts)
