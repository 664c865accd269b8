"""Regime episodes: `org_code,regime,entered,exited` plus optional `route,reason`.

Also the compiled list of the 2013 Keogh entries (`provider_code, provider_name, regime,
entered_date, source_url`): real SMQ entries whose exits are not recorded anywhere machine-
readable, so each is stored with `exit_unknown` (not ongoing: it is never shown as open and is
left out of the analyses that need an exit), its regime text as the reason and its source.

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
ENTRIES_REQUIRED = ["provider_code", "regime", "entered_date"]
ENTRIES_OPTIONAL = ["provider_name", "source_url"]
# Regime names as published lists write them, for the entries-only layout.
REGIME_WORDS = (("special measures", "SMQ"), ("challenged provider", "CP"), ("segment 4", "NOF4"))


def _regime_from_text(text: str, regimes: dict) -> "Regime | None":
    code = text.strip().upper()
    if code in regimes:
        return regimes[code]
    lowered = text.lower()
    for words, code in REGIME_WORDS:
        if words in lowered and "financ" not in lowered:
            return regimes.get(code)
    return None


@dataclass
class _Episode:
    """An episode as it will stand after the import: from the file (cells set) or already stored."""

    entered: date
    exited: date | None
    regime: Regime
    cells: RowCells | None = None
    stored: RegimeEpisode | None = None
    exit_unknown: bool = False

    def overlaps(self, other: "_Episode") -> bool:
        """`other` entered no earlier than this one: do they overlap? (As RegimeEpisode.clean.)"""
        # An exit on the day of the next entry is not an overlap; an episode whose exit is not
        # recorded ended before the next entry to the same regime, whenever that was.
        if self.exit_unknown and self.exited is None:
            return other.entered == self.entered
        return other.entered < (self.exited or date.max) and (other.exited is None or other.exited > self.entered)

    def __str__(self) -> str:
        end = self.exited.isoformat() if self.exited else "exit not recorded" if self.exit_unknown else "ongoing"
        where = f"row {self.cells.row.line}" if self.cells else "already held"
        return f"{self.entered.isoformat()}–{end} ({where})"


def import_episodes(text: str, context: ImportContext) -> None:
    header = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    entries_only = "provider_code" in header and "org_code" not in header
    if entries_only:
        table = read_table(text, context.errors, required=ENTRIES_REQUIRED, optional=ENTRIES_OPTIONAL)
    else:
        table = read_table(text, context.errors, required=REQUIRED, optional=OPTIONAL)
    if table is None:
        return
    code_column, entered_column = ("provider_code", "entered_date") if entries_only else ("org_code", "entered")
    organisations = dict(Organisation.objects.values_list("ods_code", "pk"))
    regimes = {regime.code: regime for regime in Regime.objects.all()}
    parse_route = choice_parser(EpisodeRoute.choices)
    keys = KeyRegister("org_code, regime and entered")
    rows = []
    for _, cells in context.read(table.rows):
        code = cells.get(code_column, parse_ods_code)
        regime_code = cells.get("regime")
        entered = cells.get(entered_column, parse_date)
        exited = cells.get("exited", parse_date, required=False)
        route = cells.get("route", parse_route, required=False)
        reason = cells.get("reason", required=False)
        notes = ""
        if entries_only:
            reason = regime_code
            source = cells.get("source_url", required=False)
            notes = f"Entry date from {source}; the exit date is not recorded." if source else ""
        if code and code not in organisations:
            cells.error(code_column, "no organisation has this code: import the organisation register first")
        if entries_only:
            regime = _regime_from_text(regime_code, regimes) if regime_code else None
        else:
            regime = regimes.get(regime_code.strip().upper()) if regime_code else None
        if regime_code and regime is None:
            cells.error("regime", f"unknown regime; known regimes: {', '.join(sorted(regimes))}")
        if entered and exited and exited < entered:
            cells.error("exited", "The exit date cannot be before the entry date.")
        if regime and entered and not regime.is_valid_on(entered):
            until = regime.valid_to.isoformat() if regime.valid_to else "now"
            cells.error(
                entered_column,
                f"{regime.code} accepted entries from {regime.valid_from.isoformat()} to {until}; "
                f"{entered.isoformat()} is outside that.",
            )
        if cells.ok and keys.claim(cells, (code, regime.code, entered), code_column):
            rows.append((cells, organisations[code], regime, entered, exited, route, reason, notes))
    context.refuse_if_errors()

    stored = {}
    for episode in RegimeEpisode.objects.filter(organisation_id__in={row[1] for row in rows}).select_related("regime"):
        stored[(episode.organisation_id, episode.regime_id, episode.entered)] = episode
    outcome: dict[tuple, list[_Episode]] = defaultdict(list)
    for (organisation_id, regime_id, _), episode in stored.items():
        outcome[(organisation_id, regime_id)].append(
            _Episode(episode.entered, episode.exited, episode.regime, stored=episode, exit_unknown=episode.exit_unknown)
        )
    creating, updating = [], []
    for cells, organisation_id, regime, entered, exited, route, reason, notes in rows:
        episode = stored.get((organisation_id, regime.pk, entered))
        if episode is None:
            creating.append(
                RegimeEpisode(
                    organisation_id=organisation_id,
                    regime=regime,
                    entered=entered,
                    exited=exited,
                    exit_unknown=entries_only,
                    route=route or EpisodeRoute.NOT_RECORDED,  # a blank route is "not recorded", not "direct"
                    reason=reason or "",
                    notes=notes,
                    synthetic=context.synthetic,
                )
            )
            outcome[(organisation_id, regime.pk)].append(
                _Episode(entered, exited, regime, cells=cells, exit_unknown=entries_only)
            )
            continue
        # A blank cell keeps what is held: a later file does not reopen an episode or drop its reason.
        # An entries-only list says nothing of the exit: what is held stays.
        wanted = {
            "exited": exited or episode.exited,
            "exit_unknown": episode.exit_unknown and not exited,
            "route": route or episode.route,
            "reason": reason or episode.reason,
        }
        held = next(item for item in outcome[(organisation_id, regime.pk)] if item.stored is episode)
        held.exited, held.cells, held.exit_unknown = wanted["exited"], cells, wanted["exit_unknown"]
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
    update_with_history(context, updating, ["exited", "exit_unknown", "route", "reason", "version"], reason=reason)
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
                    column = "entered" if culprit.cells.row.cells.get("entered") is not None else "entered_date"
                    culprit.cells.error(column, f"This overlaps the {other.regime.code} episode {other}.")
