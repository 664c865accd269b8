"""Regime episodes: `org_code,regime,entered,exited` plus optional `route,reason`.

The rules are RegimeEpisode.clean's (exit not before entry, entry within the regime's validity,
no two episodes of one regime overlapping for one organisation), applied to what the database
will hold once the whole file is in, so a file may also shorten an episode and add the next one.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from trusts.constants import EpisodeRoute
from trusts.models import Organisation, Regime, RegimeEpisode

from .base import ImportContext, KeyRegister, create_with_history, update_with_history
from .reading import RowCells, choice_parser, parse_date, parse_ods_code, read_table

REQUIRED = ["org_code", "regime", "entered", "exited"]
OPTIONAL = ["route", "reason"]


@dataclass
class _Episode:
    """An episode as it will stand after the import: from the file (cells set) or already stored."""

    entered: date
    exited: date | None
    regime: Regime
    cells: RowCells | None = None
    stored: RegimeEpisode | None = None

    def overlaps(self, other: "_Episode") -> bool:
        # As RegimeEpisode.clean: an exit on the day of the next entry is not an overlap.
        return other.entered < (self.exited or date.max) and (other.exited is None or other.exited > self.entered)

    def __str__(self) -> str:
        end = self.exited.isoformat() if self.exited else "ongoing"
        where = f"row {self.cells.row.line}" if self.cells else "already held"
        return f"{self.entered.isoformat()}–{end} ({where})"


def import_episodes(text: str, context: ImportContext) -> None:
    table = read_table(text, context.errors, required=REQUIRED, optional=OPTIONAL)
    if table is None:
        return
    organisations = dict(Organisation.objects.values_list("ods_code", "pk"))
    regimes = {regime.code: regime for regime in Regime.objects.all()}
    parse_route = choice_parser(EpisodeRoute.choices)
    keys = KeyRegister("org_code, regime and entered")
    rows = []
    for row in context.rows(table.rows):
        context.summary.read += 1
        cells = context.cells(row)
        code = cells.get("org_code", parse_ods_code)
        regime_code = cells.get("regime")
        entered = cells.get("entered", parse_date)
        exited = cells.get("exited", parse_date, required=False)
        route = cells.get("route", parse_route, required=False)
        reason = cells.get("reason", required=False)
        if code and code not in organisations:
            cells.error("org_code", "no organisation has this code: import the organisation register first")
        regime = regimes.get(regime_code.strip().upper()) if regime_code else None
        if regime_code and regime is None:
            cells.error("regime", f"unknown regime; known regimes: {', '.join(sorted(regimes))}")
        if entered and exited and exited < entered:
            cells.error("exited", "The exit date cannot be before the entry date.")
        if regime and entered and not regime.is_valid_on(entered):
            until = regime.valid_to.isoformat() if regime.valid_to else "now"
            cells.error(
                "entered",
                f"{regime.code} accepted entries from {regime.valid_from.isoformat()} to {until}; "
                f"{entered.isoformat()} is outside that.",
            )
        if cells.ok and keys.claim(cells, (code, regime.code, entered), "org_code"):
            rows.append((cells, organisations[code], regime, entered, exited, route, reason))
    context.refuse_if_errors()

    stored = {}
    for episode in RegimeEpisode.objects.filter(organisation_id__in={row[1] for row in rows}).select_related("regime"):
        stored[(episode.organisation_id, episode.regime_id, episode.entered)] = episode
    outcome: dict[tuple, list[_Episode]] = defaultdict(list)
    for (organisation_id, regime_id, _), episode in stored.items():
        outcome[(organisation_id, regime_id)].append(
            _Episode(episode.entered, episode.exited, episode.regime, stored=episode)
        )
    creating, updating = [], []
    for cells, organisation_id, regime, entered, exited, route, reason in rows:
        episode = stored.get((organisation_id, regime.pk, entered))
        if episode is None:
            creating.append(
                RegimeEpisode(
                    organisation_id=organisation_id,
                    regime=regime,
                    entered=entered,
                    exited=exited,
                    route=route or EpisodeRoute.NOT_RECORDED,  # a blank route is "not recorded", not "direct"
                    reason=reason or "",
                    synthetic=context.synthetic,
                )
            )
            outcome[(organisation_id, regime.pk)].append(_Episode(entered, exited, regime, cells=cells))
            continue
        # A blank cell keeps what is held: a later file does not reopen an episode or drop its reason.
        wanted = {
            "exited": exited or episode.exited,
            "route": route or episode.route,
            "reason": reason or episode.reason,
        }
        held = next(item for item in outcome[(organisation_id, regime.pk)] if item.stored is episode)
        held.exited, held.cells = wanted["exited"], cells
        if any(getattr(episode, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(episode, name, value)
            episode.version += 1
            updating.append(episode)
    _check_overlaps(outcome)
    context.refuse_if_errors()
    # Entries and exits are otherwise decisions of two people (trusts.services); a bulk load of
    # history by oversight staff is the one exception, and its rows say so.
    reason = f"Imported from {context.batch.file_name[:60]} (historical import, batch {context.batch.pk})"
    create_with_history(context, creating, reason=reason)
    update_with_history(context, updating, ["exited", "route", "reason", "version"], reason=reason)
    context.summary.created += len(creating)
    context.summary.updated += len(updating)


def _check_overlaps(outcome: dict[tuple, list[_Episode]]) -> None:
    """Refuse each row of the file whose episode overlaps another of the same regime and organisation."""
    for episodes in outcome.values():
        episodes.sort(key=lambda episode: episode.entered)
        for position, episode in enumerate(episodes):
            for earlier in episodes[:position]:
                if not earlier.overlaps(episode):
                    continue
                # Name the row that brings the clash: the later one, unless only the earlier came from the file.
                culprit, other = (episode, earlier) if episode.cells else (earlier, episode)
                if culprit.cells:
                    culprit.cells.error("entered", f"This overlaps the {other.regime.code} episode {other}.")
