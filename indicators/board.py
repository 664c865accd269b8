"""The national board's rows: each open episode, its trust's signals and the printed exit-likelihood rule.

The board page (dashboard), the board pack (actions), the exit-likelihood check and the trust page's
summary read them here: indicators sits above trusts, so it may join trusts' episodes with indicators'
signals, and every app above reads the same lights.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from oversight.permissions import redact_episode
from trusts.models import Organisation, RegimeEpisode, SegmentAssignment
from trusts.selectors import (
    as_at_episode,
    current_directors,
    director_name,
    episodes_open_on,
    latest_published_segments,
    open_episodes,
)

from .page_selectors import TrustSignals, board_signals
from .selectors import data_cutoff

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


def _from_signals(name: str) -> property:
    """A board row's property read from the row's TrustSignals."""
    return property(lambda row: getattr(row.signals, name))


@dataclass
class BoardRow:
    """One line of the national board: an open episode and how its trust is doing."""

    episode: RegimeEpisode
    months_in: int
    horizon: int
    has_target: bool
    directors: list
    segment: SegmentAssignment | None
    signals: TrustSignals  # the trust's stored results; the row's counts are read from it
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

    # The trust's counts, read from its signals (TrustSignals says what improving and concerns are).
    spc_improvement = _from_signals("spc_improvement")
    spc_concern = _from_signals("spc_concern")
    its_improving = _from_signals("its_improving")
    its_worsening = _from_signals("its_worsening")
    alerts = _from_signals("alerts")
    improving = _from_signals("improving")
    concerns = _from_signals("concerns")

    @property
    def alert_indicators(self) -> list[str]:
        return sorted(self.signals.alert_indicators)

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
    signals = trust or TrustSignals()
    return BoardRow(
        episode=episode,
        months_in=months_in,
        horizon=horizon,
        has_target=bool(target),
        directors=directors,
        segment=segment,
        signals=signals,
        light=(
            exit_likelihood(months_in, horizon, signals.improving, signals.concerns) if signals.has_results else NO_DATA
        ),
        cutoff=today,
    )


def board_episodes(user, as_at: date | None = None):
    """The episodes the board lists for `user`: those open now, or those open on `as_at` (issue 15)."""
    return open_episodes(user) if as_at is None else episodes_open_on(user, as_at)


def board_rows(
    user, *, episodes=None, today: date | None = None, sort: str = "", as_at: date | None = None
) -> list[BoardRow]:
    """The national board's rows: `episodes` (default every open episode the user may see), sorted.

    `sort` is a column key of BOARD_SORTS, '-' in front for descending; unknown keys (and "") sort by risk.
    As at a date (`as_at`, issue 15): the episodes open on it (`episodes` must be those), directors and
    published segments as they stood; the signals are those of whichever run the caller reads
    (indicators.models.reading_run: the as-at run, or none), never today's.
    """
    if episodes is None:
        episodes = board_episodes(user, as_at)
    episodes = [redact_episode(user, episode) for episode in episodes]
    if as_at is not None:
        episodes = [as_at_episode(episode, as_at) for episode in episodes]
    organisation_ids = sorted({episode.organisation_id for episode in episodes})
    directors = current_directors(organisation_ids, as_at or today or date.today())
    segments = latest_published_segments(organisation_ids, on=as_at)
    signals, data_end = board_signals(user, organisation_ids)
    # Months in regime count to the data's cut-off (the setting, else the latest period of data),
    # not to today: signals from data ending in June cannot say how a trust did since (issue 10).
    cutoff = today or data_cutoff(data_end)
    if as_at is not None:
        cutoff = min(cutoff, as_at)
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
