"""Regime spells per organisation: episodes of one stream joined where they follow on, and their pooling group."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from ..stats.spells import Spell, build_spells
from .meta import (
    FAMILIES,
    FINANCE,
    GROUP_OF_FAMILY,
    IMPROVEMENT,
    QUALITY,
    RECOVERY,
    SEEDED_FAMILIES,
    STREAM_OF_FAMILY,
    WATCH_LIST,
    EpisodeRecord,
    RegimeSpell,
)


def spell_group(spell: Spell) -> str:
    """The pooling group of a spell, from its families: NOF4 (began in recovery support), SMQ (any
    quality special measures), CP (watch list only), SMF (finance), IMP (an improvement programme)."""
    families = getattr(spell, "families", ()) or tuple(SEEDED_FAMILIES.get(code, IMPROVEMENT) for code in spell.regimes)
    if families[0] == RECOVERY:
        return "NOF4"
    for family in (QUALITY, WATCH_LIST, RECOVERY, FINANCE):
        if family in families:
            return GROUP_OF_FAMILY[family]
    return GROUP_OF_FAMILY[IMPROVEMENT]


def spells_by_organisation(episodes: list[EpisodeRecord]) -> dict[int, list[Spell]]:
    """Each organisation's regime spells, oldest first: episodes of one stream joined where they follow on.

    The quality stream (watch list, quality special measures, recovery support) makes the
    evaluation's spells (CP>SMQ, QSM>NOF4…); finance special measures and each improvement
    programme make spells of their own, so an SMF stay alongside SMQ leaves the SMQ spell as it was.
    """
    grouped: dict[tuple[int, str], list[tuple[str, date, date | None]]] = defaultdict(list)
    family_of: dict[str, str] = {}
    for episode in episodes:
        family = episode.regime_family
        # An episode whose exit is not recorded (Keogh 2013) counts as an entry but makes no spell.
        if family not in FAMILIES or episode.exit_unknown:
            continue
        family_of[episode.regime] = family
        stream = STREAM_OF_FAMILY.get(family, f"{family}:{episode.regime}")
        grouped[(episode.organisation_id, stream)].append((episode.regime, episode.entered, episode.exited))
    out: dict[int, list[Spell]] = defaultdict(list)
    for (org, _), items in grouped.items():
        for spell in build_spells(items):
            out[org].append(
                RegimeSpell(
                    entered=spell.entered,
                    exited=spell.exited,
                    regimes=spell.regimes,
                    re_entry_after=spell.re_entry_after,
                    families=tuple(family_of[code] for code in spell.regimes),
                )
            )
    for spells in out.values():
        spells.sort(key=lambda spell: (spell.entered, spell_group(spell)))
    return dict(out)


def spell_synthetic_keys(episodes: list[EpisodeRecord], spells: dict[int, list[Spell]]) -> frozenset:
    """(organisation, spell entry) of every spell holding a synthetic episode."""
    keys = set()
    for episode in episodes:
        if not episode.synthetic:
            continue
        for spell in spells.get(episode.organisation_id, []):
            ends = spell.exited or date.max
            if spell.entered <= episode.entered <= ends:
                keys.add((episode.organisation_id, spell.entered))
    return frozenset(keys)
