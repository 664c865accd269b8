"""The regime and segment histories of the synthetic demo set, planned in month numbers before any trust is chosen.

Table 13 of the evaluation (who was in which regime, and how they came in) and Table 22 (time in
regime) fix the 62 SMQ/CP histories of 2013–2021; NOF4 entries, exits and transfers follow from
July 2021, and each trust's quarterly NOF segment is a sticky chain that is 4 exactly while in
NOF4. `indicators.demo` gives each plan an organisation and writes it. NumPy only, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .simulation import (
    CP_FIRST_M,
    CP_MEAN_MONTHS,
    CP_MONTHS,
    KEOGH_ENTRY,
    KEOGH_M,
    LAST_ENTRY_M,
    NOF4_FIRST_M,
    NOF4_START,
    REGIME_END,
    REGIME_END_M,
    SMQ_FIRST_M,
    SMQ_MEAN_MONTHS,
    SMQ_MONTHS,
    TRANSFER_MIN_M,
    month_of,
    month_start,
    quarter_ceil,
    quarter_floor,
)

# The seeded regime codes and the episode routes, as trusts.constants stores them: plain strings
# here because this package imports no Django (a test holds them equal to trusts.constants).
SMQ, CP, NOF4 = "SMQ", "CP", "NOF4"
DIRECT, ESCALATED_FROM_CP, TRANSFERRED, RE_ENTRY = "direct", "escalated_from_cp", "transferred", "re_entry"

# --- episode plan (pure) -----------------------------------------------------------------------


@dataclass
class PlannedEpisode:
    """One episode being planned, in month numbers (exit None while open)."""

    regime: str
    entry: int
    exit: int | None
    route: str = DIRECT
    keogh: bool = False
    transfer: bool = False  # an SMQ episode still open in June 2021, continued as NOF4
    pinned: bool = False  # length fixed (a Table 22 range end); left alone by the calibration

    @property
    def months(self) -> int:
        return self.exit - self.entry

    def entered(self) -> date:
        if self.keogh:
            return KEOGH_ENTRY
        return NOF4_START if self.entry == NOF4_FIRST_M else month_start(self.entry)

    def exited(self) -> date | None:
        if self.exit is None:
            return None
        return REGIME_END if self.exit == REGIME_END_M else month_start(self.exit)


@dataclass
class TrustPlan:
    """The regime history planned for one trust, and the kind of trust it needs."""

    episodes: list[PlannedEpisode]
    kind: str = "acute"


# Table 13 rearranged so that every escalation is a first SMQ entry and every re-entry a direct
# one: then "escalated from CP" (18) and "re-entry" (4) are both single route values, and the
# totals match: 62 trusts, 47 in CP, 36 in SMQ, 18 escalated, 4 SMQ re-entries, 11 Keogh trusts,
# 26 CP trusts never in SMQ, half the SMQ trusts previously challenged.
# (trusts, regimes in order, joins, Keogh trusts among them, transferred to NOF4 in July 2021)
HISTORY_TEMPLATES = (
    (24, (CP,), (), 0, 0),
    (2, (CP, CP), ("gap",), 0, 0),
    (18, (CP, SMQ), ("escalated",), 0, 3),
    (11, (SMQ,), (), 7, 2),
    (4, (SMQ, SMQ), ("gap",), 2, 1),
    (3, (SMQ, CP), ("gap",), 2, 0),
)
NOF4_NEW_ENTRIES, NOF4_FORMER_TRUSTS, NOF4_NEW_EXITS, NOF4_TRANSFER_EXITS = 15, 9, 3, 2
AMBULANCE_TRUSTS, MENTAL_HEALTH_TRUSTS = 3, 5  # the report: 54 of 62 acute, 3 ambulance, 5 MH/community


def _draw_months(rng: np.random.Generator, regime: str) -> int:
    """A length of stay: a beta spread over the Table 22 range with the Table 22 mean."""
    if regime == SMQ:
        return int(round(SMQ_MONTHS[0] + (SMQ_MONTHS[1] - SMQ_MONTHS[0]) * rng.beta(2.0, 2.0)))
    return int(round(CP_MONTHS[0] + (CP_MONTHS[1] - CP_MONTHS[0]) * rng.beta(1.5, 3.375)))


def _place_history(
    rng: np.random.Generator, regimes, joins, keogh: bool, transfer: bool, pinned: int | None
) -> list[PlannedEpisode]:
    """Lengths, gaps and a first entry for one trust's SMQ/CP history, redrawn until it fits the calendar."""
    for _ in range(500):
        months = [_draw_months(rng, regime) for regime in regimes]
        if pinned is not None:
            months[0] = pinned
        gaps = [0 if join == "escalated" else int(rng.integers(6, 25)) for join in joins]
        offsets = [0]
        for length, gap in zip(months[:-1], gaps, strict=True):
            offsets.append(offsets[-1] + length + gap)
        firsts = [CP_FIRST_M if regime == CP else SMQ_FIRST_M for regime in regimes]
        if keogh:
            firsts[0] = KEOGH_M
        low = max(first - offset for first, offset in zip(firsts, offsets, strict=True))
        high = min(LAST_ENTRY_M - offset for offset in offsets)
        if transfer:
            low = max(low, TRANSFER_MIN_M - offsets[-1])
        else:
            high = min(high, REGIME_END_M - offsets[-1] - months[-1])
        if low > high or (keogh and low != KEOGH_M):
            continue
        first_entry = KEOGH_M if keogh else int(rng.integers(low, high + 1))
        episodes = []
        for index, regime in enumerate(regimes):
            entry = first_entry + offsets[index]
            route = DIRECT
            if index:
                if joins[index - 1] == "escalated":
                    route = ESCALATED_FROM_CP
                elif regime == regimes[index - 1]:
                    route = RE_ENTRY
            episodes.append(PlannedEpisode(regime, entry, entry + months[index], route))
        episodes[0].keogh = keogh
        episodes[0].pinned = pinned is not None
        if transfer:
            episodes[-1].exit = REGIME_END_M
            episodes[-1].transfer = True
        if all(
            (SMQ_MONTHS if e.regime == SMQ else CP_MONTHS)[0]
            <= e.months
            <= (SMQ_MONTHS if e.regime == SMQ else CP_MONTHS)[1]
            for e in episodes
        ):
            return episodes
    raise RuntimeError(f"could not place a {'/'.join(regimes)} history in the calendar")


def _stretchable(plan: list[PlannedEpisode], index: int, step: int) -> bool:
    """Can this episode be a month longer (step 1) or shorter (−1) without moving anything else?"""
    episode = plan[index]
    low, high = SMQ_MONTHS if episode.regime == SMQ else CP_MONTHS
    if episode.pinned or episode.transfer or not low <= episode.months + step <= high:
        return False
    if index + 1 < len(plan):
        following = plan[index + 1]
        if following.entry == episode.exit:  # escalation: the next episode starts that day
            return False
        return step < 0 or following.entry - (episode.exit + 1) >= 6
    return step < 0 or episode.exit + 1 <= REGIME_END_M


def _calibrate_means(rng: np.random.Generator, plans: list[list[PlannedEpisode]], regime: str, mean: int) -> None:
    """Nudge lengths a month at a time until the regime's mean stay is exactly the Table 22 mean."""
    members = [(plan, index) for plan in plans for index, e in enumerate(plan) if e.regime == regime]
    target = mean * len(members)
    for _ in range(20_000):
        total = sum(plan[index].months for plan, index in members)
        if total == target:
            return
        step = 1 if total < target else -1
        movable = [(plan, index) for plan, index in members if _stretchable(plan, index, step)]
        if not movable:
            return
        plan, index = movable[int(rng.integers(len(movable)))]
        plan[index].exit += step


def plan_regime_history(rng: np.random.Generator) -> list[list[PlannedEpisode]]:
    """The 62 SMQ/CP trust histories of 2013–2021 (Tables 13 and 22), before any trust is chosen."""
    plans: list[list[PlannedEpisode]] = []
    for count, regimes, joins, keogh_count, transfer_count in HISTORY_TEMPLATES:
        for index in range(count):
            keogh = index < keogh_count
            transfer = not keogh and index >= count - transfer_count
            pinned = None
            # Pin the ends of the Table 22 ranges: the longest SMQ stay was a Keogh trust's.
            if regimes == (SMQ,) and index == 0:
                pinned = SMQ_MONTHS[1]
            elif regimes == (SMQ,) and index == keogh_count:
                pinned = SMQ_MONTHS[0]
            elif regimes == (CP,) and index < 2:
                pinned = CP_MONTHS[index]
            plans.append(_place_history(rng, regimes, joins, keogh, transfer, pinned))
    _calibrate_means(rng, plans, SMQ, SMQ_MEAN_MONTHS)
    _calibrate_means(rng, plans, CP, CP_MEAN_MONTHS)
    return plans


# --- segments (pure) ---------------------------------------------------------------------------

SEGMENT_WEIGHTS = {1: 15, 2: 45, 3: 30}  # segment 4 is NOF4 itself (about 10% of trusts)
SEGMENT_STAY = 0.85  # chance a trust keeps its segment from one quarter to the next


def segment_path(
    rng: np.random.Generator, quarters: list[int], nof4: list[tuple[int, int | None]], troubled: bool
) -> list[int]:
    """One trust's segment each quarter: 4 exactly while in NOF4, 3 either side of it, else a sticky chain."""
    weights = np.array([SEGMENT_WEIGHTS[s] for s in (1, 2, 3)], dtype=float)
    if troubled:  # trusts with a regime history sit lower
        weights = np.array([10.0, 50.0, 40.0])
    weights /= weights.sum()
    path, current = [], int(rng.choice([1, 2, 3], p=weights))
    for quarter in quarters:
        if rng.random() > SEGMENT_STAY:
            current = int(rng.choice([1, 2, 3], p=weights))
        for entry, exit_ in nof4:
            if entry <= quarter and (exit_ is None or quarter < exit_):
                path.append(4)
                break
            if entry - 6 <= quarter < entry or (exit_ is not None and exit_ <= quarter < exit_ + 6):
                current = 3  # slipping towards NOF4, or just out of it: the chain carries on from 3
        else:
            path.append(current)
    return path


def plan_trusts(rng: np.random.Generator, end_m: int, *, keogh_is_real: bool) -> list[TrustPlan]:
    """Every trust's regime history to the month number `end_m`: the SMQ/CP plans, then NOF4.

    With the 2013 Keogh entries loaded from the real file (`keogh_is_real`), the synthetic
    histories that began with a Keogh entry are not invented for other trusts: what followed a
    real entry (its exit, any re-entry) is not known, so nothing is made up for it.
    """
    histories = plan_regime_history(rng)
    plans = [TrustPlan(episodes) for episodes in histories]
    if keogh_is_real:
        plans = [plan for plan in plans if not plan.episodes[0].keogh]
    ordinary = [index for index, plan in enumerate(plans) if not plan.episodes[0].keogh]
    special = rng.permutation(ordinary)[: AMBULANCE_TRUSTS + MENTAL_HEALTH_TRUSTS]
    for number, index in enumerate(special):
        plans[index].kind = "ambulance" if number < AMBULANCE_TRUSTS else "mental_health"

    quarters = list(range(NOF4_FIRST_M, quarter_floor(end_m - 6) + 1, 3))
    entries = sorted(int(q) for q in rng.choice(quarters, size=NOF4_NEW_ENTRIES, replace=True))
    former_slots = set(rng.permutation(NOF4_NEW_ENTRIES)[:NOF4_FORMER_TRUSTS].tolist())
    for position, entry in enumerate(entries):
        episode = PlannedEpisode(NOF4, entry, None)
        if position in former_slots:
            candidates = [
                plan
                for plan in plans
                if plan.episodes[-1].regime != NOF4
                and not plan.episodes[-1].transfer
                and plan.episodes[-1].exit is not None
                and plan.episodes[-1].exit <= entry - 6
            ]
            if candidates:
                candidates[int(rng.integers(len(candidates)))].episodes.append(episode)
                continue
        plans.append(TrustPlan([episode], kind="mental_health" if position == 0 else "acute"))
    # NOF4 exits: a few new entrants and a few of the trusts transferred from SMQ.
    new_nof4 = [p.episodes[-1] for p in plans if p.episodes[-1].regime == NOF4 and p.episodes[-1].entry <= end_m - 15]
    for index in rng.permutation(len(new_nof4))[:NOF4_NEW_EXITS]:
        leave = quarter_ceil(new_nof4[index].entry + int(rng.integers(12, 31)))
        new_nof4[index].exit = leave if leave < end_m else None
    transfers = [plan for plan in plans if plan.episodes[-1].transfer]
    for position, plan in enumerate(transfers):
        plan.episodes.append(PlannedEpisode(NOF4, NOF4_FIRST_M, None, TRANSFERRED))
        if position < NOF4_TRANSFER_EXITS and end_m - 2 > month_of("2022-10"):
            leave = quarter_ceil(int(rng.integers(month_of("2022-10"), end_m - 2)))
            plan.episodes[-1].exit = leave if leave < end_m else None
    return plans
