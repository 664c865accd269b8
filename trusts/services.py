"""State-changing operations on organisations, episodes and users (HackSoft style: `<entity>_<action>`)."""

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from oversight import permissions
from oversight.audit import stamp_history as _stamp
from oversight.errors import ConcurrentEditError, DecisionNeedsApproval  # raised here; the API translates them

from .constants import CriterionStatus, EpisodeRoute
from .models import (
    DiagnosticStocktake,
    EntryProposal,
    EpisodeNote,
    ExitCriterion,
    ImprovementDirectorAssignment,
    Organisation,
    Regime,
    RegimeEpisode,
    SupportFunding,
)

ROLES = ("oversight", "director", "analyst")


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str | None = None,
    trusts: list[Organisation] | None = None,
    assigned_from: date | None = None,
    email: str = "",
):
    """Create (or update) a user in exactly one role group; directors get their trusts assigned."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}")
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() or user_model(username=username, email=email)
    if password:
        user.set_password(password)
    user.is_staff = role == "oversight"  # oversight staff may use the admin
    user._change_reason = f"Given the {role} role"
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    for organisation in trusts or []:
        if not ImprovementDirectorAssignment.objects.filter(
            user=user, organisation=organisation, date_to=None
        ).exists():
            assignment = ImprovementDirectorAssignment(
                user=user, organisation=organisation, date_from=assigned_from or date.today()
            )
            assignment._change_reason = f"{username} assigned as improvement director"
            assignment.save()
    return user


# --- Edits of episode records -------------------------------------------------------------------
#
# Every service below takes the acting user (`actor=`), checks their rights through
# oversight.permissions (PermissionDenied otherwise), records why in the history row
# (`_change_reason`, with the full text in the audit context), and refuses a save based on a
# stale version (ConcurrentEditError) instead of overwriting someone else's edit. Each runs in one
# transaction: the record and its history row are stored together or not at all.
#
# Four eyes. Entry into a regime, exit from it and a criterion's approval are decisions: one user
# proposes, a different oversight user approves, and no service lets one person do both.
# - Entry: `entry_propose` stores an EntryProposal; `entry_approve` (someone else) creates the
#   episode. Until then nothing is on the board or in any analysis, which all read RegimeEpisode.
# - Exit: `episode_propose_exit` sets the proposal on the episode; `episode_approve_exit`
#   (someone else) closes it.
# - An edit (`episode_update`) cannot change `entered`, `exited` or `regime`: it is refused with
#   DecisionNeedsApproval (409), which names where to propose the decision instead.
# - Criteria: `criterion_approve` refuses the proposer, and a criterion never approved cannot be
#   judged met or not met.
# The only writers of episodes outside these services are historical bulk loads by oversight staff
# (the importer, `manage.py bootstrap`, the synthetic demo), audited as such ("Historical import,
# batch N", "synthetic demo data").


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _last_change(instance) -> tuple:
    record = instance.history.order_by("-history_date", "-history_id").select_related("history_user").first()
    if record is None:
        return None, None
    return record.history_user, record.history_date


def _save_versioned(instance, *, expected_version: int, fields: list[str], actor, reason: str = ""):
    """Save `fields` of `instance` only if the stored row is still at `expected_version`, bumping the version.

    The compare-and-set is one `UPDATE … WHERE version = expected`, so of two editors who opened
    the same version exactly one succeeds. The second save that follows, in the same transaction,
    writes the history row (who, why, before and after) through simple_history.

    Only the fields whose value differs from the stored row are written; a save that changes
    nothing (a form saved as it was opened) writes nothing at all: no new version, no history row.
    """
    model = type(instance)
    if expected_version is None:
        raise ValidationError({"version": "The version the record was opened at is required."})
    with transaction.atomic():
        attnames = {field: model._meta.get_field(field).attname for field in fields}
        stored = model.objects.filter(pk=instance.pk).values("version", *attnames.values()).first()
        if stored is not None:
            fields = [field for field in fields if getattr(instance, attnames[field]) != stored[attnames[field]]]
            if not fields and stored["version"] == expected_version:
                instance.version = expected_version
                return instance
        values = {field: getattr(instance, field) for field in fields}
        claimed = model.objects.filter(pk=instance.pk, version=expected_version).update(
            version=F("version") + 1, **values
        )
        if not claimed:
            changed_by, changed_at = _last_change(instance)
            raise ConcurrentEditError(instance, changed_by=changed_by, changed_at=changed_at)
        instance.version = expected_version + 1
        _stamp(instance, actor=actor, reason=reason)
        instance.save(update_fields=[*fields, "version"])
    return instance


def _apply_versioned(instance, changes: dict, *, expected_version: int, actor, reason: str = ""):
    """Set `changes` on `instance`, validate the whole record, and save them through `_save_versioned`."""
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.full_clean()
    return _save_versioned(
        instance, expected_version=expected_version, fields=list(changes), actor=actor, reason=reason
    )


def _clean_fields(instance, fields: list[str]) -> None:
    """Field validation (choices, validators) of just the fields an edit touches."""
    exclude = [field.name for field in instance._meta.fields if field.name not in fields]
    instance.clean_fields(exclude=exclude)


def _episode_create(*, actor, history_reason: str, **fields) -> RegimeEpisode:
    """Write an approved episode, with its empty diagnostic stocktake (inside the caller's transaction)."""
    episode = RegimeEpisode(**fields)
    episode.full_clean()
    _stamp(episode, actor=actor, reason=history_reason)
    episode.save()
    stocktake = DiagnosticStocktake(episode=episode)
    _stamp(stocktake, actor=actor, reason="Opened with the episode")
    stocktake.save()
    return episode


@transaction.atomic
def entry_propose(
    *,
    actor,
    organisation: Organisation,
    regime: Regime,
    entered: date,
    route: str = EpisodeRoute.DIRECT,
    reason: str = "",
    buddy_trust: Organisation | None = None,
    notes: str = "",
) -> EntryProposal:
    """Propose placing an organisation in a regime from `entered` (oversight staff).

    Nothing enters the regime yet: a different oversight user approves (`entry_approve`), and only
    then does the episode exist. The proposal is checked now as the episode would be (the regime's
    validity, no overlap), and again on approval.
    """
    _require(permissions.can_manage_episodes(actor), "Only oversight staff can propose an entry into a regime.")
    fields = {
        "organisation": organisation,
        "regime": regime,
        "entered": entered,
        "route": route,
        "reason": reason,
        "buddy_trust": buddy_trust,
        "notes": notes,
    }
    RegimeEpisode(**fields).full_clean()
    pending = EntryProposal.objects.filter(
        organisation=organisation, regime=regime, status=EntryProposal.Status.PROPOSED
    ).first()
    if pending is not None:
        raise ValidationError(
            {"regime": f"An entry of {organisation.ods_code} into {regime.code} is already proposed ({pending})."}
        )
    proposal = EntryProposal(**fields, proposed_by=actor)
    proposal.full_clean()
    _stamp(proposal, actor=actor, reason=f"Entry proposed: {reason}" if reason else "Entry proposed")
    proposal.save()
    return proposal


def _require_pending(proposal: EntryProposal) -> None:
    if proposal.status != EntryProposal.Status.PROPOSED:
        raise ValidationError({"status": f"This proposal was already {proposal.get_status_display().lower()}."})


@transaction.atomic
def entry_approve(*, actor, proposal: EntryProposal, expected_version: int, reason: str = "") -> RegimeEpisode:
    """A second oversight user approves a proposed entry: the episode is created, from the proposed date.

    Four eyes: the proposer cannot approve their own proposal.
    """
    _require(permissions.can_approve(actor), "Only oversight staff can approve an entry into a regime.")
    if proposal.proposed_by_id == actor.pk:
        raise PermissionDenied("Four eyes: an entry must be approved by someone other than its proposer.")
    _require_pending(proposal)
    # The episode first, so the proposal's approval row can point at it; a stale version below
    # rolls both back.
    episode = _episode_create(
        actor=actor,
        history_reason=f"Entry approved (proposed by {proposal.proposed_by})" + (f": {reason}" if reason else ""),
        organisation=proposal.organisation,
        regime=proposal.regime,
        entered=proposal.entered,
        route=proposal.route,
        reason=proposal.reason,
        buddy_trust=proposal.buddy_trust,
        notes=proposal.notes,
    )
    proposal.status = EntryProposal.Status.APPROVED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason or ""
    proposal.episode = episode
    _save_versioned(
        proposal,
        expected_version=expected_version,
        fields=["status", "decided_by", "decided_at", "decision_reason", "episode"],
        actor=actor,
        reason=reason or "Entry approved",
    )
    return episode


@transaction.atomic
def entry_reject(*, actor, proposal: EntryProposal, expected_version: int, reason: str) -> EntryProposal:
    """Oversight staff turn a proposed entry down (the proposer may withdraw their own); the reason is required."""
    _require(permissions.can_approve(actor), "Only oversight staff can decide on an entry into a regime.")
    _require_pending(proposal)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the entry is turned down."})
    proposal.status = EntryProposal.Status.REJECTED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.decision_reason = reason
    return _save_versioned(
        proposal,
        expected_version=expected_version,
        fields=["status", "decided_by", "decided_at", "decision_reason"],
        actor=actor,
        reason=reason,
    )


EPISODE_EDIT_FIELDS = ["route", "reason", "notes", "buddy_trust"]
# Decisions: an edit may send them unchanged, never change them (four eyes, see above).
EPISODE_DECISION_FIELDS = ["entered", "exited", "regime"]


def _decision_refusal(episode: RegimeEpisode, field: str) -> DecisionNeedsApproval:
    if field == "exited":
        return DecisionNeedsApproval(
            field,
            "An exit needs approval by a second oversight user: propose it at "
            f"/api/v1/episodes/{episode.pk}/propose-exit/ (or /records/episodes/{episode.pk}/propose-exit/), "
            "then another oversight user approves it.",
        )
    return DecisionNeedsApproval(
        field,
        f"The {'entry date' if field == 'entered' else 'regime'} is part of the entry decision, approved by a second "
        "oversight user, and an edit cannot change it: propose the corrected entry at /api/v1/entry-proposals/ "
        "(or /records/episodes/new/).",
    )


@transaction.atomic
def episode_update(
    *, actor, episode: RegimeEpisode, expected_version: int, change_reason: str = "", **changes
) -> RegimeEpisode:
    """Edit an episode's route, reason, notes and buddy trust (oversight staff).

    `change_reason` says why (the history row); `reason` is the episode's own field (why it entered).
    `entered`, `exited` and `regime` may be sent unchanged; a change to any of them is a decision
    and is refused with DecisionNeedsApproval, naming where to propose it.
    """
    _require(permissions.can_manage_episodes(actor), "Only oversight staff can edit an episode.")
    unknown = set(changes) - set(EPISODE_EDIT_FIELDS) - set(EPISODE_DECISION_FIELDS)
    if unknown:
        raise ValueError(f"episode_update cannot change {', '.join(sorted(unknown))}")
    for field in EPISODE_DECISION_FIELDS:
        if field not in changes:
            continue
        value = changes.pop(field)
        current = getattr(episode, field)
        if field == "regime":
            same = value in (current, current.pk, current.code)
        else:
            same = value == current
        if not same:
            raise _decision_refusal(episode, field)
    return _apply_versioned(episode, changes, expected_version=expected_version, actor=actor, reason=change_reason)


@transaction.atomic
def episode_propose_exit(
    *, actor, episode: RegimeEpisode, exit_date: date, expected_version: int, reason: str = ""
) -> RegimeEpisode:
    """The trust's ID (or oversight staff) proposes an exit date; the episode stays open until approved."""
    _require(
        permissions.can_edit_trust_records(actor, episode.organisation_id),
        "Only the trust's improvement director or oversight staff can propose an exit.",
    )
    if not episode.is_open:
        raise ValidationError({"exit_date": "This episode has already closed."})
    if exit_date < episode.entered:
        raise ValidationError({"exit_date": "The exit date cannot be before the entry date."})
    episode.proposed_exit = exit_date
    episode.proposed_exit_by = actor
    return _save_versioned(
        episode,
        expected_version=expected_version,
        fields=["proposed_exit", "proposed_exit_by"],
        actor=actor,
        reason=reason or f"Exit proposed for {exit_date.isoformat()}",
    )


@transaction.atomic
def episode_approve_exit(*, actor, episode: RegimeEpisode, expected_version: int, reason: str) -> RegimeEpisode:
    """Oversight staff approve the proposed exit and the episode closes; the approver must not be the proposer."""
    _require(permissions.can_approve(actor), "Only oversight staff can approve an exit.")
    if episode.proposed_exit is None:
        raise ValidationError({"__all__": "No exit has been proposed for this episode."})
    if episode.proposed_exit_by_id == actor.pk:
        raise PermissionDenied("Four eyes: the exit must be approved by someone other than its proposer.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Closing an episode needs a reason."})
    episode.exited = episode.proposed_exit
    episode.full_clean()
    episode.proposed_exit = None
    episode.proposed_exit_by = None
    return _save_versioned(
        episode,
        expected_version=expected_version,
        fields=["exited", "proposed_exit", "proposed_exit_by"],
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def criterion_create(
    *,
    actor,
    episode: RegimeEpisode,
    theme: str,
    description: str,
    indicator=None,
    comparator: str = "",
    threshold: float | None = None,
    months_sustained: int | None = None,
    evidence: str = "",
    reason: str = "",
) -> ExitCriterion:
    """Propose an exit criterion for an episode (the trust's ID or oversight staff)."""
    _require(
        permissions.can_edit_trust_records(actor, episode.organisation_id),
        "Only the trust's improvement director or oversight staff can add exit criteria.",
    )
    criterion = ExitCriterion(
        episode=episode,
        theme=theme,
        description=description,
        indicator=indicator,
        comparator=comparator or "",
        threshold=threshold,
        months_sustained=months_sustained,
        evidence=evidence,
        status=CriterionStatus.PROPOSED,
    )
    criterion.full_clean()
    _stamp(criterion, actor=actor, reason=reason or "Proposed")
    criterion.save()
    return criterion


CRITERION_EDIT_FIELDS = ["theme", "description", "indicator", "comparator", "threshold", "months_sustained"]
CRITERION_PROGRESS_FIELDS = ["status", "evidence"]
# Statuses an editor may set; approval has its own service and needs oversight staff.
CRITERION_EDITABLE_STATUSES = {
    CriterionStatus.PROPOSED,
    CriterionStatus.IN_PROGRESS,
    CriterionStatus.MET,
    CriterionStatus.NOT_MET,
    CriterionStatus.WITHDRAWN,
}
# Judging a criterion met or not met presumes it was agreed: approved first, by someone else.
CRITERION_JUDGED_STATUSES = {CriterionStatus.MET, CriterionStatus.NOT_MET}


@transaction.atomic
def criterion_update(
    *, actor, criterion: ExitCriterion, expected_version: int, reason: str = "", **changes
) -> ExitCriterion:
    """Update a criterion's wording, status or evidence; changing an approved criterion's terms needs a reason."""
    _require(
        permissions.can_edit_trust_records(actor, criterion.episode.organisation_id),
        "Only the trust's improvement director or oversight staff can change its exit criteria.",
    )
    unknown = set(changes) - set(CRITERION_EDIT_FIELDS) - set(CRITERION_PROGRESS_FIELDS)
    if unknown:
        raise ValueError(f"criterion_update cannot change {', '.join(sorted(unknown))}")
    status = changes.get("status")
    if status is not None and status != criterion.status and status not in CRITERION_EDITABLE_STATUSES:
        raise ValidationError({"status": "A criterion is approved through approval, by oversight staff."})
    if status in CRITERION_JUDGED_STATUSES and status != criterion.status and not criterion.was_approved:
        raise ValidationError(
            {
                "status": "This criterion was never approved, so it cannot be judged met or not met: a second "
                f"oversight user approves it first (/api/v1/criteria/{criterion.pk}/approve/)."
            }
        )
    before = criterion.approval_view()
    for name, value in changes.items():
        setattr(criterion, name, value)
    terms_changed = criterion.approval_view() != before
    if criterion.approved_snapshot and terms_changed and not (reason or "").strip():
        raise ValidationError({"reason": "This criterion was approved: say why its terms are changing."})
    criterion.full_clean()
    changed = [name for name in changes if name in CRITERION_EDIT_FIELDS + CRITERION_PROGRESS_FIELDS]
    if criterion.approved_snapshot and terms_changed:
        reason = f"Changed after approval: {reason}"
    return _save_versioned(criterion, expected_version=expected_version, fields=changed, actor=actor, reason=reason)


def criterion_proposer_id(criterion: ExitCriterion) -> int | None:
    """Who proposed the criterion: the user of its first history row (None when it came from a bulk load)."""
    first = criterion.history.order_by("history_date", "history_id").first()
    return first.history_user_id if first is not None else None


@transaction.atomic
def criterion_approve(*, actor, criterion: ExitCriterion, expected_version: int, reason: str = "") -> ExitCriterion:
    """Oversight staff approve a criterion, freezing its terms so later changes show as 'changed after approval'.

    Four eyes: whoever proposed the criterion cannot approve it.
    """
    _require(permissions.can_approve(actor), "Only oversight staff can approve exit criteria.")
    if criterion_proposer_id(criterion) == actor.pk:
        raise PermissionDenied("Four eyes: a criterion must be approved by someone other than its proposer.")
    if criterion.status == CriterionStatus.WITHDRAWN:
        raise ValidationError({"status": "A withdrawn criterion cannot be approved."})
    criterion.status = CriterionStatus.APPROVED
    criterion.approved_at = timezone.now()
    criterion.approved_by = actor
    criterion.approved_snapshot = criterion.approval_view()
    return _save_versioned(
        criterion,
        expected_version=expected_version,
        fields=["status", "approved_at", "approved_by", "approved_snapshot"],
        actor=actor,
        reason=reason or "Approved",
    )


STOCKTAKE_FIELDS = [
    "root_causes",
    "structural_issues",
    "leadership_capability",
    "leadership_direction",
    "leadership_alignment",
    "leadership_commitment",
    "completed_on",
]


@transaction.atomic
def stocktake_update(
    *, actor, stocktake: DiagnosticStocktake, expected_version: int, reason: str = "", **changes
) -> DiagnosticStocktake:
    """Write the diagnostic stocktake (the trust's ID or oversight staff)."""
    _require(
        permissions.can_edit_trust_records(actor, stocktake.episode.organisation_id),
        "Only the trust's improvement director or oversight staff can write its stocktake.",
    )
    unknown = set(changes) - set(STOCKTAKE_FIELDS)
    if unknown:
        raise ValueError(f"stocktake_update cannot change {', '.join(sorted(unknown))}")
    return _apply_versioned(stocktake, changes, expected_version=expected_version, actor=actor, reason=reason)


@transaction.atomic
def funding_update_spend(
    *, actor, funding: SupportFunding, spent: Decimal, expected_version: int, reason: str = ""
) -> SupportFunding:
    """Record what was spent of a funding line (the trust's ID or oversight staff)."""
    _require(
        permissions.can_edit_trust_records(actor, funding.episode.organisation_id),
        "Only the trust's improvement director or oversight staff can record its spend.",
    )
    funding.spent = spent
    _clean_fields(funding, ["spent"])
    return _save_versioned(funding, expected_version=expected_version, fields=["spent"], actor=actor, reason=reason)


@transaction.atomic
def note_add(*, actor, episode: RegimeEpisode, text: str) -> EpisodeNote:
    """Add a dated note to an episode (the trust's ID or oversight staff)."""
    _require(
        permissions.can_edit_trust_records(actor, episode.organisation_id),
        "Only the trust's improvement director or oversight staff can add notes.",
    )
    if not (text or "").strip():
        raise ValidationError({"text": "A note needs some text."})
    note = EpisodeNote(episode=episode, author=actor, text=text)
    _stamp(note, actor=actor, reason="Note added")
    note.save()
    return note
