"""Reads of organisations and episodes, shared by pages, the API and services.

The board's rows (indicators.board) and the trust page read each table once (select_related / prefetch_related / one
grouped query), so their query counts do not grow with the number of trusts or periods;
tests/pages asserts that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, Q

from oversight.permissions import redact_episode, visible_episodes, visible_segments

from .models import (
    EpisodeNote,
    ExitCriterion,
    ImprovementDirectorAssignment,
    Organisation,
    Regime,
    RegimeEpisode,
    SegmentAssignment,
    SupportFunding,
)


def confidential_regime_codes() -> frozenset[str]:
    """Codes of the regimes marked confidential (Regime.confidential is the only source)."""
    return frozenset(Regime.objects.filter(confidential=True).values_list("code", flat=True))


def current_directors(organisation_ids, on: date) -> dict[int, list]:
    """{organisation id: [users]} of improvement directors assigned on a date; one query."""
    assignments = (
        ImprovementDirectorAssignment.objects.filter(organisation_id__in=organisation_ids, date_from__lte=on)
        .filter(Q(date_to__isnull=True) | Q(date_to__gte=on))
        .select_related("user")
        .order_by("organisation_id", "date_from")
    )
    out: dict[int, list] = {}
    for assignment in assignments:
        out.setdefault(assignment.organisation_id, []).append(assignment.user)
    return out


def latest_published_segments(organisation_ids, on: date | None = None) -> dict[int, SegmentAssignment]:
    """{organisation id: its most recent published segment} (as at `on`: effective by then); one query."""
    out: dict[int, SegmentAssignment] = {}
    segments = SegmentAssignment.objects.filter(organisation_id__in=organisation_ids, published=True)
    if on is not None:
        segments = segments.filter(effective_from__lte=on)
    for segment in segments.order_by("organisation_id", "effective_from"):
        out[segment.organisation_id] = segment
    return out


def director_name(user) -> str:
    return user.get_full_name() or user.get_username()


def open_episodes(user):
    """Open regime episodes the user may see, with organisation and regime."""
    episodes = RegimeEpisode.objects.filter(exited__isnull=True, exit_unknown=False).select_related(
        "organisation", "organisation__parent_icb", "regime"
    )
    return visible_episodes(user, episodes).order_by("regime__code", "entered")


def episodes_open_on(user, day: date):
    """Episodes the user may see that were open on `day`: entered by then, and not exited by then.

    An episode whose exit is recorded as unknown (no date) cannot be placed, so it is left out, as
    `open_episodes` leaves it out today. Pass the rows through `as_at_episode` before showing them.
    """
    episodes = (
        RegimeEpisode.objects.filter(entered__lte=day)
        .filter(Q(exited__isnull=True, exit_unknown=False) | Q(exited__gt=day))
        .select_related("organisation", "organisation__parent_icb", "regime")
    )
    return visible_episodes(user, episodes).order_by("regime__code", "entered")


def as_at_episode(episode: RegimeEpisode, day: date) -> RegimeEpisode:
    """The episode as it stood on `day`, in memory only (never saved): an exit after the day had not happened."""
    if episode.exited is not None and episode.exited > day:
        episode.exited = None
        episode.exit_unknown = False
    return episode


# --- organisations list and search --------------------------------------------------------------


def organisation_list():
    return Organisation.objects.select_related("parent_icb").order_by("name")


def current_regimes(user, organisation_ids) -> dict[int, list[RegimeEpisode]]:
    """{organisation id: open episodes the user may see}; one query."""
    episodes = visible_episodes(
        user,
        RegimeEpisode.objects.filter(organisation_id__in=organisation_ids, exited__isnull=True, exit_unknown=False),
    ).select_related("regime")
    out: dict[int, list[RegimeEpisode]] = {}
    for episode in episodes.order_by("entered"):
        out.setdefault(episode.organisation_id, []).append(episode)
    return out


def search_organisations(text: str, sector: str = "nhs_trust"):
    """Organisations of a sector (NHS trusts unless `all`) whose ODS code starts with, or name contains, the text."""
    from .filters import in_sector

    text = text.strip()
    matches = organisation_list().filter(
        Q(ods_code__istartswith=text) | Q(name__icontains=text) | Q(name_source__icontains=text)
    )
    return in_sector(matches, sector)


# --- the trust page -----------------------------------------------------------------------------


def predecessors_of(organisation: Organisation) -> list[Organisation]:
    """Every organisation whose series runs on in this one's (predecessors of predecessors too)."""
    found, frontier, seen = [], [organisation.pk], {organisation.pk}
    while frontier:
        batch = list(Organisation.objects.filter(successor_id__in=frontier).order_by("ods_code"))
        frontier = [org.pk for org in batch if org.pk not in seen]
        seen.update(frontier)
        found.extend(org for org in batch if org.pk in frontier)
    return found


def last_successor(organisation: Organisation) -> Organisation | None:
    """The organisation a merged one's series now belongs to (the end of its successor chain), or None."""
    current, seen = organisation, {organisation.pk}
    while current.successor_id and current.successor_id not in seen:
        seen.add(current.successor_id)
        current = Organisation.objects.get(pk=current.successor_id)
    return None if current is organisation else current


@dataclass
class TrustProfile:
    """What the trust page shows about one organisation's episodes, segments and directors."""

    organisation: Organisation
    episodes: list[RegimeEpisode]
    open_episodes: list[RegimeEpisode]
    segments: list[SegmentAssignment]
    current_segment: SegmentAssignment | None
    assignments: list[ImprovementDirectorAssignment]
    current_directors: list
    details_visible: bool


def trust_profile(
    user, organisation: Organisation, *, details_visible: bool, today: date | None = None, as_at: date | None = None
):
    """Episodes (with their records when `details_visible`), segments and ID assignments; one query each.

    As at a date (`as_at`): only the episodes entered, segments effective and directors assigned by then,
    an exit after it not yet happened (`as_at_episode`).
    """
    today = as_at or today or date.today()
    episodes = visible_episodes(user, organisation.episodes.all()).select_related("regime", "buddy_trust")
    if as_at is not None:
        episodes = episodes.filter(entered__lte=as_at)
    if details_visible:
        episodes = episodes.select_related("stocktake").prefetch_related(
            Prefetch(
                "exit_criteria",
                queryset=ExitCriterion.objects.select_related("indicator", "approved_by").order_by("theme", "pk"),
            ),
            Prefetch("funding", queryset=SupportFunding.objects.order_by("year", "category")),
            Prefetch("episode_notes", queryset=EpisodeNote.objects.select_related("author").order_by("-created")),
        )
    episodes = [redact_episode(user, episode) for episode in episodes.order_by("entered")]
    segments = visible_segments(user, organisation.segments.all())
    assignments = organisation.id_assignments.select_related("user")
    if as_at is not None:
        episodes = [as_at_episode(episode, as_at) for episode in episodes]
        segments = segments.filter(effective_from__lte=as_at)
        assignments = assignments.filter(date_from__lte=as_at)
    segments = list(segments.order_by("effective_from"))
    assignments = list(assignments.order_by("date_from"))
    if as_at is not None:  # what ended after the day was still running on it
        for row, field in [(segment, "effective_to") for segment in segments] + [
            (assignment, "date_to") for assignment in assignments
        ]:
            if getattr(row, field) is not None and getattr(row, field) > as_at:
                setattr(row, field, None)
    return TrustProfile(
        organisation=organisation,
        episodes=episodes,
        open_episodes=[episode for episode in episodes if episode.is_open],
        segments=segments,
        current_segment=segments[-1] if segments else None,
        assignments=assignments,
        current_directors=[assignment.user for assignment in assignments if assignment.is_current(today)],
        details_visible=details_visible,
    )
