"""The synthetic demo service: replace the synthetic set with a fresh one drawn from a seed, in one transaction."""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db import transaction

from indicators.stats.simulation import month_number, month_start
from oversight import dataversion

from .calibration import ACUTE_KINDS, organisations_for_demo, plans_assign, prefer_nhs_named
from .observations import observations_create
from .records import records_create
from .writer import (
    directors_create,
    episodes_create,
    indicator_flags_set,
    indicators_ensure,
    ratings_create,
    segments_create,
    synthetic_data_delete,
)

EARLIEST_END = date(2022, 7, 1)  # the episodes need a year of the NOF era to place NOF4 entries and exits


@dataclass
class DemoSummary:
    """What one run of the generator wrote (and removed from the previous synthetic set)."""

    seed: int
    organisations: int = 0
    organisations_created: int = 0
    acute_trusts: int = 0
    indicators: int = 0
    trusts_in_regimes: int = 0
    episodes: dict[str, int] = field(default_factory=dict)
    open_episodes: int = 0
    id_users: int = 0
    id_assignments: int = 0
    stocktakes: int = 0
    exit_criteria: int = 0
    funding_lines: int = 0
    episode_notes: int = 0
    segments: int = 0
    ratings: int = 0
    observations: int = 0
    real_indicators: set[str] = field(default_factory=set)  # left to the real files, none generated
    removed: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        episodes = ", ".join(f"{code} {count}" for code, count in sorted(self.episodes.items()))
        lines = [
            f"synthetic demo data (seed {self.seed}): {self.organisations} organisations"
            f" ({self.organisations_created} created, {self.acute_trusts} acute), {self.trusts_in_regimes} in regimes,"
            f" episodes {episodes} ({self.open_episodes} open), {self.id_users} IDs / {self.id_assignments}"
            f" assignments, {self.stocktakes} stocktakes, {self.exit_criteria} exit criteria,"
            f" {self.funding_lines} funding lines, {self.episode_notes} notes",
            f"  {self.segments} segment rows, {self.ratings} ratings, {self.observations} observations"
            f" over {self.indicators} indicators; {self.removed} previous synthetic rows removed;"
            f" {self.seconds:.1f} s",
        ]
        if self.real_indicators:
            lines.append(f"  real data only (none generated): {', '.join(sorted(self.real_indicators))}")
        lines += [f"  warning: {warning}" for warning in self.warnings]
        return "\n".join(lines)


@transaction.atomic
@dataversion.bumps
def demo_data_generate(
    *, seed: int, organisations=None, start: date = date(2013, 1, 1), end: date = date(2025, 6, 1)
) -> DemoSummary:
    """Replace the synthetic set with a fresh one drawn from `seed`; observations run from `start` to `end`.

    Works on the organisations given (default: all in the database; 150 placeholder acute trusts
    when there are none). Real records are never touched: organisations with real episodes or
    segments are left out of those, and real observations are never overwritten.
    """
    started = clock.perf_counter()
    start, end = month_start(month_number(start)), month_start(month_number(end))
    if end < EARLIEST_END:
        raise ValueError(f"end must be {EARLIEST_END.isoformat()} or later so NOF4 episodes can be placed")
    if start > end:
        raise ValueError("start must not be after end")
    summary = DemoSummary(seed=seed)
    summary.removed = synthetic_data_delete()
    indicators = indicators_ensure()
    summary.indicators = len(indicators)
    orgs = organisations_for_demo(organisations, summary)
    streams = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(8)]
    episode_rng, director_rng, record_rng, segment_rng, rating_rng, series_rng = streams[:6]

    plans = plans_assign(episode_rng, orgs, end, summary)
    in_regimes = {assigned.organisation.pk for assigned in plans}
    buddies = prefer_nhs_named([org for org in orgs if org.kind in ACUTE_KINDS and org.pk not in in_regimes])
    episodes = episodes_create(episode_rng, plans, buddies, summary)
    assignments = directors_create(director_rng, episodes, end, summary)
    records_create(record_rng, episodes, assignments, indicators, end, summary)
    segments_create(segment_rng, orgs, episodes, end, summary)
    ratings_create(rating_rng, episodes, end, summary)
    observations_create(series_rng, orgs, episodes, indicators, seed, start, end, summary)
    indicator_flags_set(indicators)
    summary.seconds = clock.perf_counter() - started
    return summary
