"""Performance categories of report Table 3, recomputed from one organisation's episodes (methods §8).

Categories overlap by design ("neither exhaustive nor mutually exclusive"). Rules as coded:
- prolonged_poor_performer: an SMQ stay of ≥ 24 calendar months (contiguous SMQ episodes joined),
  or SMQ re-entry (a second SMQ stay after a gap);
- poor_performer: a CP episode followed (at once or later) by an SMQ entry;
- shorter_term_cp: in CP for < 24 months in total and never in SMQ, before or after;
- clear_improver: in SMQ or CP once (one spell, CP→SMQ escalation counts as one), exited, no
  re-entry to either, and rated good or outstanding on or after that exit.
QSM, the later name of SMQ, counts as SMQ. Other codes (SMF, NOF4…) are ignored. Ongoing
episodes run to `as_of`; without it their length is unknown, so a rule that needs it is not met.

Recorded routes, where the caller has them, override the dates: an episode may carry a fourth
element, its route; one recorded as `re_entry` is a re-entry (prolonged poor performer, never a
clear improver) even when its dates would join it to the stay before. Whether the organisation
escalated from CP to SMQ is the caller's finding (`escalated`, from the recorded routes or an
inference it reports); without it, any SMQ entry on or after a CP entry counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .periods import add_months, months_between
from .spells import build_spells

SMQ_CODES = frozenset({"SMQ", "QSM"})
CP_CODES = frozenset({"CP"})
GOOD_RATINGS = frozenset({"good", "outstanding"})

PROLONGED_POOR_PERFORMER = "prolonged_poor_performer"
POOR_PERFORMER = "poor_performer"
SHORTER_TERM_CP = "shorter_term_cp"
CLEAR_IMPROVER = "clear_improver"

PROLONGED_MONTHS = 24
SHORTER_TERM_MONTHS = 24


RE_ENTRY_ROUTE = "re_entry"


def performance_categories(
    episodes: Iterable[tuple],
    later_ratings: Iterable[tuple[date, str]] | None = None,
    as_of: date | None = None,
    *,
    escalated: bool | None = None,
) -> set[str]:
    """Table 3 categories for one organisation from its (regime_code, entered, exited[, route]) episodes."""
    episodes = list(episodes)
    re_entered = {episode[0] for episode in episodes if len(episode) > 3 and episode[3] == RE_ENTRY_ROUTE}
    episodes = [tuple(episode[:3]) for episode in episodes]
    smq = [episode for episode in episodes if episode[0] in SMQ_CODES]
    cp = [episode for episode in episodes if episode[0] in CP_CODES]
    categories: set[str] = set()

    smq_spells = build_spells(smq)
    if len(smq_spells) > 1 or re_entered & SMQ_CODES:
        categories.add(PROLONGED_POOR_PERFORMER)
    for spell in smq_spells:
        end = spell.exited or as_of
        if end is not None and end >= add_months(spell.entered, PROLONGED_MONTHS):
            categories.add(PROLONGED_POOR_PERFORMER)

    if escalated is None:
        escalated = any(smq_entry >= cp_entry for _, cp_entry, _ in cp for _, smq_entry, _ in smq)
    if escalated:
        categories.add(POOR_PERFORMER)

    if cp and not smq:
        ends = [exited or as_of for _, _, exited in cp]
        if all(end is not None for end in ends):
            cp_spells = build_spells(cp)
            total = sum(months_between(spell.entered, spell.exited or as_of) for spell in cp_spells)
            if total < SHORTER_TERM_MONTHS:
                categories.add(SHORTER_TERM_CP)

    spells = build_spells(smq + cp)
    if len(spells) == 1 and spells[0].exited is not None and not re_entered:
        exited = spells[0].exited
        if any(rated_on >= exited and rating.lower() in GOOD_RATINGS for rated_on, rating in later_ratings or ()):
            categories.add(CLEAR_IMPROVER)
    return categories
