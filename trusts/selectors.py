"""Reads of organisations and episodes, shared by pages, the API and services.

The board and the trust page read each table once (select_related / prefetch_related / one
grouped query), so their query counts do not grow with the number of trusts or periods;
tests/pages asserts that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Prefetch, Q

from oversight.permissions import redact_episode, visible_episodes, visible_segments

from .models import (
    EpisodeNote,
    ExitCriterion,
    ImprovementDirectorAssignment,
    Organisation,
    RegimeEpisode,
    SegmentAssignment,
    SupportFunding,
)

PLANNING_HORIZON_MONTHS = 24  # for regimes with no exit target (NOF4/RSP, SMF, FSM)

# The board's traffic light, printed on the page as written here.
EXIT_LIKELIHOOD_RULE = [
    (
        "green",
        "Likely to exit: within the exit target and the trust's recent signals are improving "
        "(more improving than concerning signals).",
    ),
    ("amber", "Uncertain: within the target but signals are not improving, or past the target but improving."),
    ("red", "Unlikely to exit soon: past the target and signals are not improving."),
    ("grey", "No data: no indicator results for this trust yet, so no light is set (never red for want of data)."),
]
NO_DATA = "grey"
# The board's default order: by risk (red first, no data last), then by how long past the target.
LIGHT_RISK_ORDER = {"red": 0, "amber": 1, "green": 2, NO_DATA: 3}
LIGHT_LABELS = {"red": "red", "amber": "amber", "green": "green", NO_DATA: "no data"}
SIGNALS_RULE = (
    "Signals: each indicator's SPC variation icon (improvement or concern, from the latest point of its "
    "XmR chart) and each indicator's interrupted time series for the current spell (improving when the "
    "level change or the change in slope at entry has a 95% CI wholly below zero, worsening when wholly "
    "above; staffing shares, which have no better direction, do not count). "
    f"Regimes with no exit target (NOF4/RSP) are judged against a {PLANNING_HORIZON_MONTHS}-month "
    "planning horizon, not a target."
)


def exit_likelihood(months_in: int, horizon: int, improving: int, concerns: int) -> str:
    """green / amber / red from time in regime against the target (or horizon) and the signals' balance."""
    within = months_in <= horizon
    trajectory_improving = improving > concerns
    if within and trajectory_improving:
        return "green"
    if not within and not trajectory_improving:
        return "red"
    return "amber"


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


def latest_published_segments(organisation_ids) -> dict[int, SegmentAssignment]:
    """{organisation id: its most recent published segment}; one query."""
    out: dict[int, SegmentAssignment] = {}
    for segment in SegmentAssignment.objects.filter(organisation_id__in=organisation_ids, published=True).order_by(
        "organisation_id", "effective_from"
    ):
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


@dataclass
class BoardRow:
    """One line of the national board: an open episode and how its trust is doing."""

    episode: RegimeEpisode
    months_in: int
    horizon: int
    has_target: bool
    directors: list
    segment: SegmentAssignment | None
    spc_improvement: int
    spc_concern: int
    its_improving: int
    its_worsening: int
    alerts: int
    alert_indicators: list[str]
    light: str
    cutoff: date | None = None  # the data's cut-off months_in counts to

    @property
    def organisation(self) -> Organisation:
        return self.episode.organisation

    @property
    def director_names(self) -> str:
        return ", ".join(director_name(user) for user in self.directors)

    @property
    def target_text(self) -> str:
        if self.has_target:
            return f"{self.horizon} months"
        return f"no fixed target ({self.horizon}-month planning horizon)"

    @property
    def target_short(self) -> str:
        """The exit target as the board's narrow column shows it (the rule below the table explains)."""
        return str(self.horizon) if self.has_target else f"none; {self.horizon} horizon"

    @property
    def improving(self) -> int:
        return self.spc_improvement + self.its_improving

    @property
    def concerns(self) -> int:
        return self.spc_concern + self.its_worsening

    @property
    def past_target(self) -> bool:
        return self.months_in > self.horizon

    @property
    def months_past_target(self) -> int:
        """Months beyond the target (or planning horizon); negative while within it."""
        return self.months_in - self.horizon

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS[self.light]

    @property
    def why(self) -> list[str]:
        """The two or three signals that decide the light, in words (empty for green)."""
        if self.light == NO_DATA:
            return ["No indicator results for this trust yet."]
        if self.light == "green":
            return []
        target = "target" if self.has_target else "planning horizon"
        reasons = []
        if self.past_target:
            reasons.append(f"{self.months_past_target} months past the {self.horizon}-month {target}.")
        else:
            reasons.append(f"Within the {self.horizon}-month {target} ({self.horizon - self.months_in} months left).")
        if self.improving > self.concerns:
            reasons.append(f"Improving: {_signals(self.improving)} improving against {self.concerns} of concern.")
        else:
            reasons.append(f"Not improving: {_signals(self.improving)} improving against {self.concerns} of concern.")
        if self.alerts:
            reasons.append(
                f"{self.alerts} early-warning alert{'s' if self.alerts != 1 else ''} in the last six months."
            )
        return reasons


def _signals(count: int) -> str:
    return f"{count} signal{'s' if count != 1 else ''}"


def board_risk_order(row: BoardRow):
    """Red, amber, green, then no data; within a light, the longest past target first."""
    return (LIGHT_RISK_ORDER[row.light], -row.months_past_target, row.organisation.name.lower())


BOARD_SORTS = {
    "trust": lambda row: row.organisation.name.lower(),
    "ods": lambda row: row.organisation.ods_code,
    "region": lambda row: row.organisation.get_region_display(),
    "kind": lambda row: row.organisation.get_kind_display(),
    "regime": lambda row: row.episode.regime.code,
    "entered": lambda row: row.episode.entered,
    "months": lambda row: row.months_in,
    "target": lambda row: (not row.has_target, row.horizon),
    "route": lambda row: row.episode.get_route_display(),
    "director": lambda row: row.director_names.lower(),
    "segment": lambda row: row.segment.segment if row.segment else 99,
    "improving": lambda row: row.improving,
    "concern": lambda row: row.concerns,
    "direction": lambda row: row.improving - row.concerns,
    "alerts": lambda row: row.alerts,
    "light": lambda row: {"green": 0, "amber": 1, "red": 2, NO_DATA: -1}[row.light],
    "risk": lambda row: board_risk_order(row),
}


def board_row(episode, trust, *, directors, segment, today: date) -> BoardRow:
    """One open episode's board row from its trust's signals (None: no results at all), by the printed rule."""
    target = episode.regime.exit_target_months
    horizon = target or PLANNING_HORIZON_MONTHS
    months_in = max(0, episode.months_in(today))
    improving = trust.improving if trust else 0
    concerns = trust.concerns if trust else 0
    return BoardRow(
        episode=episode,
        months_in=months_in,
        horizon=horizon,
        has_target=bool(target),
        directors=directors,
        segment=segment,
        spc_improvement=trust.spc_improvement if trust else 0,
        spc_concern=trust.spc_concern if trust else 0,
        its_improving=trust.its_improving if trust else 0,
        its_worsening=trust.its_worsening if trust else 0,
        alerts=trust.alerts if trust else 0,
        alert_indicators=sorted(trust.alert_indicators) if trust else [],
        light=exit_likelihood(months_in, horizon, improving, concerns) if trust and trust.has_results else NO_DATA,
        cutoff=today,
    )


def board_rows(user, *, episodes=None, today: date | None = None, sort: str = "") -> list[BoardRow]:
    """The national board's rows: `episodes` (default every open episode the user may see), sorted.

    `sort` is a column key of BOARD_SORTS, '-' in front for descending; unknown keys (and "") sort by risk.
    """
    from indicators.page_selectors import board_signals  # indicators reads trusts; import here, not at load

    episodes = [redact_episode(user, episode) for episode in (open_episodes(user) if episodes is None else episodes)]
    organisation_ids = sorted({episode.organisation_id for episode in episodes})
    directors = current_directors(organisation_ids, today or date.today())
    segments = latest_published_segments(organisation_ids)
    signals, data_end = board_signals(user, organisation_ids)
    # Months in regime count to the data's cut-off (the setting, else the latest period of data),
    # not to today: signals from data ending in June cannot say how a trust did since (issue 10).
    cutoff = today or settings.DATA_CUTOFF or data_end or date.today()
    rows = [
        board_row(
            episode,
            signals.get(episode.organisation_id),
            directors=directors.get(episode.organisation_id, []),
            segment=segments.get(episode.organisation_id),
            today=cutoff,
        )
        for episode in episodes
    ]
    key = sort.lstrip("-")
    if key in BOARD_SORTS:
        rows.sort(key=BOARD_SORTS[key], reverse=sort.startswith("-"))
    else:
        rows.sort(key=board_risk_order)
    return rows


BOARD_EXPORT_COLUMNS = [
    "Trust",
    "ODS code",
    "Region",
    "Kind",
    "Regime",
    "Entered",
    "Months in",
    "Exit target",
    "Route",
    "Improvement director",
    "Latest published segment",
    "SPC improving",
    "SPC concern",
    "ITS improving",
    "ITS worsening",
    "Open alerts",
    "Likelihood of exit",
    "Synthetic",
]


def board_export_values(row: BoardRow) -> list:
    """One board row as the cells of the CSV/XLSX export, in BOARD_EXPORT_COLUMNS order."""
    organisation = row.organisation
    return [
        organisation.name,
        organisation.ods_code,
        organisation.get_region_display(),
        organisation.get_kind_display(),
        row.episode.regime.code,
        row.episode.entered,
        row.months_in,
        row.target_text,
        row.episode.get_route_display(),
        row.director_names,
        row.segment.segment if row.segment else "",
        row.spc_improvement,
        row.spc_concern,
        row.its_improving,
        row.its_worsening,
        row.alerts,
        row.light_label,
        "synthetic" if row.episode.synthetic else "",
    ]


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


def trust_profile(user, organisation: Organisation, *, details_visible: bool, today: date | None = None):
    """Episodes (with their records when `details_visible`), segments and ID assignments; one query each."""
    today = today or date.today()
    episodes = visible_episodes(user, organisation.episodes.all()).select_related("regime", "buddy_trust")
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
    segments = list(visible_segments(user, organisation.segments.all()).order_by("effective_from"))
    assignments = list(organisation.id_assignments.select_related("user").order_by("date_from"))
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
