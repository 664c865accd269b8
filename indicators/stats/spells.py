"""Regime spells: consecutive or overlapping episodes of one organisation joined into one stay (methods §3).

A spell starts at the first entry to an episode and runs while the next episode overlaps it or
follows on directly. "Directly" is: the next entry is no more than one day after the spell's
exit, or falls in the same calendar month as that exit. The month clause exists because the
indicator data are monthly: an escalation from CP on 10 March to SMQ on 24 March leaves no
month out of a regime, so treating it as exit-then-re-entry would create a post-exit segment of
zero months. A gap that spans a month boundary (exit 20 March, entry 5 April) is a re-entry.

Which regime codes make up a spell is the caller's choice (SMQ and CP for the evaluation's
combined analyses; add NOF4 for the RSP era).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Spell:
    """One continuous stay in oversight regimes: entered, exited (None while ongoing), regimes in order."""

    entered: date
    exited: date | None
    regimes: tuple[str, ...]
    re_entry_after: date | None = None

    @property
    def ongoing(self) -> bool:
        """True while the spell has no exit date."""
        return self.exited is None


def follows_on(exited: date, next_entered: date) -> bool:
    """True when an entry on `next_entered` continues a stay that ended on `exited` (no gap)."""
    return next_entered <= exited + timedelta(days=1) or (next_entered.year, next_entered.month) == (
        exited.year,
        exited.month,
    )


def build_spells(episodes: Iterable[tuple[str, date, date | None]]) -> list[Spell]:
    """Join one organisation's (regime_code, entered, exited) episodes into spells, oldest first."""
    ordered = sorted(episodes, key=lambda episode: (episode[1], episode[2] or date.max))
    spells: list[list] = []  # [entered, exited, regimes]
    for code, entered, exited in ordered:
        if exited is not None and exited < entered:
            raise ValueError(f"{code} episode exits ({exited}) before it enters ({entered})")
        if spells:
            current = spells[-1]
            if current[1] is None or follows_on(current[1], entered):
                if current[1] is not None:
                    current[1] = None if exited is None else max(current[1], exited)
                if not current[2] or current[2][-1] != code:
                    current[2].append(code)
                continue
        spells.append([entered, exited, [code]])
    result = []
    for index, (entered, exited, regimes) in enumerate(spells):
        following = spells[index + 1][0] if index + 1 < len(spells) else None
        result.append(Spell(entered=entered, exited=exited, regimes=tuple(regimes), re_entry_after=following))
    return result
