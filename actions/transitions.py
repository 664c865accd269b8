"""Transition after exit, and the communications planned with entry and exit decisions (issue 15).

The RSP review recommends "transition" over "exit": national support tapers over months, the trust
is handed to its region and system, and a probation phase watches for slippage. So an exit opens a
Transition on the episode (when the exit is recorded, by whatever path: the approved proposal, an
import of a recent exit), with the default tapering schedule below; a check-in records its outcome;
a new episode of the same trust during the transition marks it re-entered. Exits whose probation
would already have ended (historical loads) open none.

Rights: the records of a trust are changed by oversight staff or the trust's improvement director
(oversight.permissions.can_edit_trust_records), read as the episode's other records are
(VISIBILITY_RULES: a CP episode's transition is confidential). Every change writes a history row
with who, when and why.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from indicators.stats.periods import add_months
from oversight import permissions

from .models import Audience, CheckInOutcome, Communication, CommunicationKind, Transition, TransitionStatus
from .services import _stamp

PROBATION_MONTHS = 12
# (from month, to month, the support in that step): national support tapers, then region and system lead.
DEFAULT_SCHEDULE = (
    (
        0,
        3,
        "Tapered national support: the improvement director's contact falls to fortnightly; funded support continues",
    ),
    (3, 6, "Light touch: a monthly check-in with the improvement director; the region leads the support"),
    (6, PROBATION_MONTHS, "Probation: quarterly check-ins by the region and system; re-entry watched on early warning"),
)


def default_schedule(exited: date) -> list[dict]:
    return [
        {"starts": add_months(exited, start).isoformat(), "ends": add_months(exited, end).isoformat(), "support": text}
        for start, end, text in DEFAULT_SCHEDULE
    ]


def transition_open(episode, *, actor=None, today: date | None = None) -> Transition | None:
    """The episode's transition, opened with the default schedule if its exit is recent enough to have one."""
    if episode.exited is None or getattr(episode, "exit_unknown", False):
        return None
    existing = Transition.objects.filter(episode=episode).first()
    if existing is not None:
        return existing
    ends = add_months(episode.exited, PROBATION_MONTHS)
    if ends < (today or date.today()):
        return None  # a historical exit: its probation would be over
    transition = Transition(
        episode=episode, starts=episode.exited, ends=ends, schedule=default_schedule(episode.exited)
    )
    _stamp(transition, actor, f"Transition opened by the exit on {episode.exited.isoformat()}")
    transition.save()
    return transition


def episode_recorded(episode, *, created: bool) -> None:
    """After an episode is saved: an exit opens its transition; a new entry ends the trust's open transition."""
    if episode.exited is not None:
        transition_open(episode, actor=getattr(episode, "_history_user", None))
    if not created:
        return
    for open_one in Transition.objects.filter(
        episode__organisation_id=episode.organisation_id, status=TransitionStatus.ACTIVE, starts__lte=episode.entered
    ).exclude(episode=episode):
        open_one.status = TransitionStatus.RE_ENTERED
        open_one.re_entry = episode
        _stamp(open_one, getattr(episode, "_history_user", None), f"Re-entered {episode.regime.code}")
        open_one.save(update_fields=["status", "re_entry"])


def _require_editor(actor, organisation_id: int, what: str) -> None:
    if not permissions.can_edit_trust_records(actor, organisation_id):
        raise PermissionDenied(f"Only oversight staff or the trust's improvement director can {what}.")


@transaction.atomic
def check_in_record(*, actor, transition: Transition, held: date, outcome: str, note: str = "") -> Transition:
    """Record a check-in of the transition and its outcome."""
    _require_editor(actor, transition.episode.organisation_id, "record a transition check-in")
    transition = Transition.objects.select_for_update().get(pk=transition.pk)
    errors = {}
    if outcome not in CheckInOutcome.values:
        errors["outcome"] = f"Choose one of: {', '.join(CheckInOutcome.labels)}."
    if held < transition.starts:
        errors["held"] = f"A check-in cannot be before the transition began ({transition.starts:%d %b %Y})."
    elif held > date.today():
        errors["held"] = "A check-in cannot be in the future."
    if errors:
        raise ValidationError(errors)
    entry = {"held": held.isoformat(), "outcome": outcome, "note": (note or "").strip()[:500], "by": str(actor)}
    transition.check_ins = sorted([*transition.check_ins, entry], key=lambda item: item["held"])
    _stamp(transition, actor, f"Check-in on {held.isoformat()}: {CheckInOutcome(outcome).label}")
    transition.save(update_fields=["check_ins"])
    return transition


@transaction.atomic
def transition_complete(*, actor, transition: Transition, reason: str) -> Transition:
    """Oversight staff close a transition whose probation has run its course."""
    if not permissions.can_approve(actor):
        raise PermissionDenied("Only oversight staff can complete a transition.")
    if transition.status != TransitionStatus.ACTIVE:
        raise ValidationError({"status": "This transition is not active."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Completing a transition needs a reason."})
    transition.status = TransitionStatus.COMPLETED
    _stamp(transition, actor, reason.strip())
    transition.save(update_fields=["status"])
    return transition


@transaction.atomic
def communication_plan(*, actor, episode, kind: str, audience: str, planned: date, note: str = "") -> Communication:
    """Plan a communication of an entry or exit decision."""
    _require_editor(actor, episode.organisation_id, "plan a communication")
    errors = {}
    if kind not in CommunicationKind.values:
        errors["kind"] = "Choose entry or exit."
    if audience not in Audience.values:
        errors["audience"] = f"Choose one of: {', '.join(Audience.labels)}."
    if planned < episode.entered - timedelta(days=90):
        errors["planned"] = "A communication is planned at most three months before the entry."
    if errors:
        raise ValidationError(errors)
    communication = Communication(
        episode=episode, kind=kind, audience=audience, planned=planned, note=(note or "").strip(), recorded_by=actor
    )
    communication.full_clean(exclude=["recorded_by"])
    _stamp(communication, actor, f"{CommunicationKind(kind).label} communication planned")
    communication.save()
    return communication


@transaction.atomic
def communication_sent(*, actor, communication: Communication, sent: date) -> Communication:
    """Record that a planned communication went out."""
    _require_editor(actor, communication.episode.organisation_id, "record a communication")
    if sent > date.today():
        raise ValidationError({"sent": "A communication cannot have gone out in the future."})
    communication.sent = sent
    _stamp(communication, actor, f"Communication sent on {sent.isoformat()}")
    communication.save(update_fields=["sent"])
    return communication


def active_transitions(user):
    """Open transitions the user may see, with their trust, for the board and the early-warning watch."""
    queryset = Transition.objects.filter(status=TransitionStatus.ACTIVE).select_related(
        "episode__organisation", "episode__regime"
    )
    return permissions.visible_to(user, queryset).order_by("ends", "pk")


def current_step(transition: Transition, today: date | None = None) -> dict | None:
    day = (today or date.today()).isoformat()
    return next((step for step in transition.schedule if step["starts"] <= day < step["ends"]), None)
