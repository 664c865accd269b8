"""An ICB in the programme (issue 15): its System Improvement Director and the trusts it covers.

Services (`system_director_assign`, `system_trust_link`, `system_trust_unlink`) are for oversight
staff (oversight.permissions.can_manage_episodes), validate with errors naming the field, and stamp
every change with who, when and why (the history row and its audit context). Selectors read only
what oversight.permissions.visible_to lets the user see: a linked trust is as confidential as the
ICB's episode, so a CP-confidential ICB episode shows nowhere, on the ICB's page or its trusts'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q

from oversight import permissions
from oversight.audit import stamp_history as _stamp

from .constants import AssignmentRole, OrganisationKind
from .models import ImprovementDirectorAssignment, Organisation, RegimeEpisode
from .system_models import SystemProgrammeLink

SID = AssignmentRole.SYSTEM_IMPROVEMENT_DIRECTOR


def _require_oversight(actor) -> None:
    if not permissions.can_manage_episodes(actor):
        raise PermissionDenied("Only oversight staff can change an ICB's system programme.")


def _require_icb_episode(episode: RegimeEpisode) -> None:
    if episode.organisation.kind != OrganisationKind.ICB:
        raise ValidationError(
            {"episode": f"{episode.organisation} is not an integrated care board: only an ICB has a system programme."}
        )
    if not episode.is_open:
        raise ValidationError({"episode": f"The episode {episode} has ended: its programme can no longer change."})


@transaction.atomic
def system_director_assign(*, actor, episode: RegimeEpisode, user, date_from: date, reason: str = ""):
    """Assign `user` as the System Improvement Director of the ICB's episode from `date_from`.

    The ICB's previous SID, if any is still assigned, hands over the day before (SIDs rotate as IDs do).
    """
    _require_oversight(actor)
    _require_icb_episode(episode)
    errors = {}
    if user is None or not user.is_active or permissions.role_of(user) != permissions.DIRECTOR:
        errors["user"] = f"{user} is not an improvement director (the director role): only one can be the SID."
    if date_from < episode.entered:
        errors["date_from"] = f"The SID cannot start before the ICB entered the programme ({episode.entered:%d %b %Y})."
    if errors:
        raise ValidationError(errors)
    reason = (reason or "").strip() or f"{user} assigned as System Improvement Director"
    current = ImprovementDirectorAssignment.objects.select_for_update().filter(
        organisation=episode.organisation, role=SID, date_to__isnull=True
    )
    for previous in current:
        if previous.user_id == user.pk:
            raise ValidationError({"user": f"{user} is already the System Improvement Director of this ICB."})
        if previous.date_from >= date_from:
            raise ValidationError(
                {"date_from": f"{previous.user} is SID from {previous.date_from:%d %b %Y}: start after that."}
            )
        previous.date_to = date_from - timedelta(days=1)
        _stamp(previous, actor=actor, reason=f"Handed over to {user}: {reason}")
        previous.save(update_fields=["date_to"])
    assignment = ImprovementDirectorAssignment(
        user=user, organisation=episode.organisation, role=SID, date_from=date_from
    )
    _stamp(assignment, actor=actor, reason=reason)
    assignment.save()
    return assignment


@transaction.atomic
def system_trust_link(
    *, actor, episode: RegimeEpisode, trust: Organisation, outside_icb: bool = False, note: str = "", reason: str = ""
) -> SystemProgrammeLink:
    """Link a trust to the ICB's programme episode: one of its own trusts, or another deliberately (with a note)."""
    _require_oversight(actor)
    _require_icb_episode(episode)
    icb = episode.organisation
    note = (note or "").strip()
    errors = {}
    if trust.kind == OrganisationKind.ICB:
        errors["trust"] = f"{trust} is an ICB, not a trust."
    elif trust.parent_icb_id != icb.pk and not outside_icb:
        where = trust.parent_icb.name if trust.parent_icb else "no ICB"
        errors["outside_icb"] = (
            f"{trust} sits in {where}, not {icb.name}: tick 'outside this ICB deliberately' to link it anyway."
        )
    elif outside_icb and trust.parent_icb_id != icb.pk and not note:
        errors["note"] = "Say why a trust outside this ICB is covered by its programme."
    if not errors:
        clash = (
            SystemProgrammeLink.objects.filter(trust=trust)
            .filter(Q(episode=episode) | Q(episode__exited__isnull=True, episode__exit_unknown=False))
            .select_related("episode__organisation")
            .first()
        )
        if clash is not None:
            errors["trust"] = (
                f"{trust} is already linked to this programme."
                if clash.episode_id == episode.pk
                else f"{trust} is already linked to the programme of {clash.episode.organisation.name}."
            )
    if errors:
        raise ValidationError(errors)
    link = SystemProgrammeLink(
        episode=episode,
        trust=trust,
        outside_icb=trust.parent_icb_id != icb.pk,
        linked_on=date.today(),
        linked_by=actor,
        note=note[:300],
    )
    _stamp(link, actor=actor, reason=(reason or "").strip() or f"{trust.ods_code} linked to {icb.ods_code}'s programme")
    link.save()
    return link


@transaction.atomic
def system_trust_unlink(*, actor, link: SystemProgrammeLink, reason: str) -> None:
    """Take a trust out of the ICB's programme (the history keeps the link and who ended it, and why)."""
    _require_oversight(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the trust leaves the system programme."})
    _stamp(link, actor=actor, reason=reason.strip())
    link.delete()


# --- reads -------------------------------------------------------------------------------------


@dataclass
class LinkedTrust:
    link: SystemProgrammeLink
    open_episodes: list = field(default_factory=list)


@dataclass
class Programme:
    """One visible episode of an ICB, its SIDs over the episode, and the trusts linked to it."""

    episode: RegimeEpisode
    directors: list = field(default_factory=list)
    linked: list[LinkedTrust] = field(default_factory=list)


def _open_episodes(user):
    open_ones = RegimeEpisode.objects.filter(exited__isnull=True, exit_unknown=False).select_related("regime")
    return permissions.visible_to(user, open_ones).order_by("entered")


def visible_links(user, queryset=None):
    """The programme links the user may see, each trust's visible open episodes prefetched as `open_visible`."""
    queryset = SystemProgrammeLink.objects.all() if queryset is None else queryset
    links = permissions.visible_to(user, queryset.select_related("trust__parent_icb"))
    return links.prefetch_related(Prefetch("trust__episodes", queryset=_open_episodes(user), to_attr="open_visible"))


def system_directors(icb: Organisation, episode: RegimeEpisode, assignments=None) -> list:
    """The SIDs whose assignment to the ICB overlaps the episode, earliest first."""
    assignments = assignments if assignments is not None else icb.id_assignments.filter(role=SID)
    end = episode.exited or date.max
    return sorted(
        (
            a
            for a in assignments
            if a.role == SID and a.date_from <= end and (a.date_to is None or a.date_to >= episode.entered)
        ),
        key=lambda a: a.date_from,
    )


def icb_programmes(user, icb: Organisation) -> list[Programme]:
    """The ICB's episodes the user may see, newest first, each with its SIDs and linked trusts."""
    links = visible_links(user, SystemProgrammeLink.objects.select_related("linked_by"))
    episodes = permissions.visible_to(user, icb.episodes.select_related("regime")).order_by("-entered")
    episodes = episodes.prefetch_related(Prefetch("system_links", queryset=links))
    assignments = list(icb.id_assignments.filter(role=SID).select_related("user"))
    return [
        Programme(
            episode=episode,
            directors=system_directors(icb, episode, assignments),
            linked=[LinkedTrust(link, link.trust.open_visible) for link in episode.system_links.all()],
        )
        for episode in episodes
    ]


def trust_system_programmes(user, trust: Organisation) -> list[Programme]:
    """The open ICB programmes the trust is linked to that the user may see (with their current SIDs)."""
    links = permissions.visible_to(
        user,
        trust.system_links.filter(episode__exited__isnull=True, episode__exit_unknown=False).select_related(
            "episode__organisation", "episode__regime"
        ),
    )
    programmes = []
    for link in links:
        icb = link.episode.organisation
        assignments = list(icb.id_assignments.filter(role=SID).select_related("user"))
        current = [a for a in system_directors(icb, link.episode, assignments) if a.is_current()]
        programmes.append(Programme(link.episode, current))
    return programmes


def director_candidates():
    """Users who may be a SID: active improvement directors (the director role)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(is_active=True, groups__name=permissions.DIRECTOR).order_by("username")
