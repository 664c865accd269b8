"""Seeded synthetic demo data, labelled synthetic everywhere, calibrated to the national evaluation.

`demo_data_generate` fills what no offline real file covers (shared/data/README.md): regime
episodes and their records (stocktakes, exit criteria, funding, notes, improvement directors),
NOF segment history, CQC ratings and every indicator series except ed_4hr, which is real.

The calibration targets are in specs/domain.md and the evaluation report
(seeds/smq-cp-evaluation-report.txt): Table 13 (who was in which regime), Table 22 (time in
regime), Table 23 (trajectories), Table 24 (staff survey) and Table 28 (how support was spent).

The numeric helpers near the top are pure NumPy (dates in, arrays out); the service at the bottom
does all the writing, in one transaction. Every random draw comes from one
`numpy.random.Generator` stream per purpose, spawned from the seed, so the same seed gives the
same data, and a longer or shorter observation range leaves the episodes unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import time as clock
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import repeat
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from indicators.constants import ED_4HR, BatchStatus, ImportFormat
from indicators.models import ImportBatch, Indicator, Observation
from indicators.stats.constants import Z95

from .constants import (
    CP,
    NOF4,
    REGIONS,
    SMQ,
    Comparator,
    CriterionStatus,
    CriterionTheme,
    EpisodeRoute,
    FundingCategory,
    LeadershipRating,
    OrganisationKind,
)
from .models import (
    DiagnosticStocktake,
    EpisodeNote,
    ExitCriterion,
    ImprovementDirectorAssignment,
    Organisation,
    QualityRating,
    Regime,
    RegimeEpisode,
    SegmentAssignment,
    SupportFunding,
)
from .services import user_create


class RegimeEffect(NamedTuple):
    """What a regime spell adds to a trust's series, in the terms of the ITS model of methods §3.

    Units: logit of the proportion per month for proportions, log SHMI per month for SHMI, score
    points per survey year for the staff survey. Positive is worse for "lower is better"
    indicators and better for the staff survey (higher is better).
    """

    pre_slope: float  # b1: slope from PRE_ENTRY before entry onwards, relative to national
    level_change: float  # b2: step at entry
    slope_change_during: float  # b3: added to the slope while in the regime (stops at exit)
    slope_change_after: float  # b4: added to b1 after exit
    hold_after: int | None = None  # periods after exit when the offset stops moving (None: b1 + b4 runs on)


# The evaluation (Table 23 and its summary) found: ED 4-hour waits, mortality (SHMI) and delayed
# transfers of care improved relative to national trends once trusts entered SMQ/CP (SHMI in
# level and trend, DTOC as a step); RTT, DTOC and sickness absence were already worsening before
# entry; there was no association of the regime with RTT or cancer waits (their drift simply runs
# on); sickness absence improved after exit; emergency caesareans were improving before entry and
# stepped up at entry; staff survey scores improved between entry and exit in five of nine themes
# (Table 24: engagement, health and well-being, immediate managers, appraisals, safety culture).
# The report's numbers are z-scores per month; these are on the generating scale. With the trust
# spreads in SERIES, one logit unit is about 3 z for RTT and DTOC and 6 z for sickness, so 0.005
# logit a month is roughly the report's RTT pre-entry slope (0.017 z). Checked by running the
# recompute on a generated set: the pooled Table 23 rows come out with the report's signs.
# Vacancy rate is not in Table 23: a modest drift before entry that stops at exit.
# ed_4hr is real data and is never generated.
REGIME_EFFECTS: dict[str, RegimeEffect] = {
    "rtt_18wk": RegimeEffect(0.005, 0.0, 0.0, 0.0),
    "cancer_62d": RegimeEffect(0.002, 0.0, 0.0, 0.0),
    "cancer_62d_skin": RegimeEffect(0.002, 0.0, 0.0, 0.0),
    "dtoc": RegimeEffect(0.01, -0.10, -0.01, 0.0),  # DTOC stops in February 2020, which bounds the drift
    "emergency_caesarean": RegimeEffect(-0.005, 0.04, 0.005, 0.005),
    "sickness_absence": RegimeEffect(0.005, 0.0, 0.0, -0.013, hold_after=24),  # −0.008 a month for 2 years
    "vacancy_rate": RegimeEffect(0.005, 0.0, 0.0, -0.005),
    "shmi": RegimeEffect(0.0, -0.05, -0.001, 0.0),
    # Staff survey, per survey year: worse by 0.3 at entry; the five improving themes recover
    # 0.1 a year in the regime, the others hold; all return to the group mean within 2 years of exit.
    "staff_survey_engagement": RegimeEffect(-0.15, 0.0, 0.25, 0.20, hold_after=2),
    "staff_survey_health_wellbeing": RegimeEffect(-0.15, 0.0, 0.25, 0.20, hold_after=2),
    "staff_survey_immediate_manager": RegimeEffect(-0.15, 0.0, 0.25, 0.20, hold_after=2),
    "staff_survey_appraisals": RegimeEffect(-0.15, 0.0, 0.25, 0.20, hold_after=2),
    "staff_survey_safety_culture": RegimeEffect(-0.15, 0.0, 0.25, 0.20, hold_after=2),
    "staff_survey_equality": RegimeEffect(-0.15, 0.0, 0.15, 0.30, hold_after=2),
    "staff_survey_quality_care": RegimeEffect(-0.15, 0.0, 0.15, 0.30, hold_after=2),
    "staff_survey_safe_environment_bullying": RegimeEffect(-0.15, 0.0, 0.15, 0.30, hold_after=2),
    "staff_survey_safe_environment_violence": RegimeEffect(-0.15, 0.0, 0.15, 0.30, hold_after=2),
}
PRE_ENTRY_MONTHS = 18  # b1 starts 18 months before entry
PRE_ENTRY_YEARS = 2  # the same for the annual staff survey
# Trusts that end up in a regime start a little worse (selection, not effect); Keogh trusts were
# chosen for persistently high mortality. Logit / log-SHMI units.
REGIME_TRUST_BASELINE = 0.10
REGIME_TRUST_SHMI_BASELINE = 0.02
KEOGH_SHMI_EXCESS = 0.08
FINANCE_REGIME_PENALTY = 1.0  # financial stability score points while in (and a year before) a regime
SHMI_TAU2 = 0.003  # between-trust variance of log SHMI beyond chance, as in published SHMI limits

GENERATOR_VERSION = "demo-1"
SYNTHETIC_SOURCE = "synthetic"
DEMO_EMAIL_DOMAIN = "demo.invalid"  # reserved TLD: marks the improvement directors this module created
DIRECTOR_NAMES = ("amara", "ben", "chloe", "dev", "elena", "femi", "grace", "hamish")
PLACEHOLDER_TRUSTS = 150
EARLIEST_END = date(2022, 7, 1)  # the episodes need a year of the NOF era to place NOF4 entries and exits

ACUTE_KINDS = (OrganisationKind.ACUTE, OrganisationKind.ACUTE_COMMUNITY)
MENTAL_HEALTH_KINDS = (
    OrganisationKind.MENTAL_HEALTH,
    OrganisationKind.MENTAL_HEALTH_COMMUNITY,
    OrganisationKind.COMMUNITY,
)
TRUST_KINDS = (*ACUTE_KINDS, *MENTAL_HEALTH_KINDS, OrganisationKind.AMBULANCE, OrganisationKind.OTHER)

# --- months ------------------------------------------------------------------------------------


def month_number(day: date) -> int:
    """Months since year 0 (January 2013 is 24156): month arithmetic without calendars."""
    return day.year * 12 + day.month - 1


def month_start(number: int) -> date:
    """The first day of a month number."""
    return date(number // 12, number % 12 + 1, 1)


def quarter_floor(number: int) -> int:
    """The month number of the start of the quarter (Jan, Apr, Jul, Oct) containing a month."""
    return number - number % 3


def quarter_ceil(number: int) -> int:
    return number + (-number) % 3


def financial_year(day: date) -> int:
    """The starting year of the NHS financial year (April–March) containing a day."""
    return day.year if day.month >= 4 else day.year - 1


def _m(text: str) -> int:
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


KEOGH_ENTRY = date(2013, 7, 16)  # the 11 Keogh trusts entered SMQ together
KEOGH_M = month_number(KEOGH_ENTRY)
SMQ_FIRST_M = _m("2013-10")  # other SMQ entries from the autumn of 2013
CP_FIRST_M = _m("2015-10")  # the watch list began in late 2015
LAST_ENTRY_M = _m("2019-12")  # the evaluation's 62 trusts were all in by 2019
REGIME_END_M = _m("2021-06")  # SMQ and CP closed on 30 June 2021
REGIME_END = date(2021, 6, 30)
NOF4_FIRST_M = _m("2021-07")
NOF4_START = date(2021, 7, 1)
SMQ_MONTHS, CP_MONTHS = (5, 49), (2, 41)  # Table 22 ranges
SMQ_MEAN_MONTHS, CP_MEAN_MONTHS = 27, 14  # Table 22 means
TRANSFER_MIN_M = REGIME_END_M - SMQ_MONTHS[1]


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p / (1.0 - p))


# --- regime effects (pure) ---------------------------------------------------------------------


def regime_offset(times, spells: list[tuple[int, int | None]], effect: RegimeEffect, pre_periods: int) -> np.ndarray:
    """The offset a trust's regime spells add to its series at `times` (same units as the spells).

    Each spell (entry, first period after exit or None) contributes b1·(t − entry + pre)⁺ + b2·I
    + b3·D + b4·A with I, D, A coded as in methods §3. It stops moving `effect.hold_after`
    periods after exit, or where the next spell's pre-entry window begins, if either comes first.
    """
    times = np.asarray(times, dtype=float)
    total = np.zeros_like(times)
    for index, (entry, exit_) in enumerate(spells):
        leave = np.inf if exit_ is None else exit_
        stop = np.inf if effect.hold_after is None else leave + effect.hold_after
        if index + 1 < len(spells):
            stop = min(stop, max(leave, spells[index + 1][0] - pre_periods))
        t = np.minimum(times, stop)
        inside = t >= entry
        during = np.where(inside, np.minimum(t, leave) - entry, 0.0)
        after = np.where(t >= leave, t - leave, 0.0)
        total += (
            effect.pre_slope * np.clip(t - (entry - pre_periods), 0.0, None)
            + effect.level_change * inside
            + effect.slope_change_during * during
            + effect.slope_change_after * after
        )
    return total


def spells_from_episodes(episodes: list[tuple[date, date | None]]) -> list[tuple[date, date | None]]:
    """Join one trust's (entered, exited) episodes into spells where the next follows on within a day."""
    spells: list[list] = []
    for entered, exited in sorted(episodes, key=lambda item: item[0]):
        if spells and (spells[-1][1] is None or entered <= spells[-1][1] + timedelta(days=1)):
            spells[-1][1] = None if exited is None or spells[-1][1] is None else max(spells[-1][1], exited)
            continue
        spells.append([entered, exited])
    return [(entered, exited) for entered, exited in spells]


def spell_months(spells: list[tuple[date, date | None]]) -> list[tuple[int, int | None]]:
    """Spells as month numbers: entry month, and the first month after exit."""
    result = []
    for entered, exited in spells:
        leave = None if exited is None else month_number(exited) + (exited.day > 1)
        result.append((month_number(entered), leave))
    return result


def shmi_limits(expected, tau2: float = SHMI_TAU2) -> tuple[np.ndarray, np.ndarray]:
    """Published-style 95% overdispersed control limits around 1 for expected deaths E."""
    half_width = Z95 * np.sqrt(1.0 / np.asarray(expected, dtype=float) + tau2)
    return np.exp(-half_width), np.exp(half_width)


# --- episode plan (pure) -----------------------------------------------------------------------


@dataclass
class PlannedEpisode:
    """One episode being planned, in month numbers (exit None while open)."""

    regime: str
    entry: int
    exit: int | None
    route: str = EpisodeRoute.DIRECT
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
    """The regime history planned for one trust."""

    episodes: list[PlannedEpisode]
    kind: str = "acute"
    organisation: Organisation | None = None


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
            route = EpisodeRoute.DIRECT
            if index:
                if joins[index - 1] == "escalated":
                    route = EpisodeRoute.ESCALATED_FROM_CP
                elif regime == regimes[index - 1]:
                    route = EpisodeRoute.RE_ENTRY
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


# --- indicator series (pure) -------------------------------------------------------------------


class SeriesSpec(NamedTuple):
    """How one monthly proportion is generated: national level, trust sizes and variation."""

    anchors: tuple[tuple[str, float], ...]  # national proportion, linear on the logit scale between anchors
    size: tuple[float, float]  # denominator range across trusts at the start
    growth: tuple[tuple[str, float], ...]  # national volume relative to the start
    trust_sd: float  # trust random effect on the logit scale (overdispersion)
    noise_sd: float  # AR(1) month noise on the logit scale
    seasonal: float = 0.0  # winter peak on the logit scale
    last: str | None = None  # the last month published


FLAT = (("2013-01", 1.0), ("2025-06", 1.0))
SERIES: dict[str, SeriesSpec] = {
    # Incomplete RTT pathways > 18 weeks: 92% standard met to 2015, slipping to 2020, ~40% since COVID.
    "rtt_18wk": SeriesSpec(
        (
            ("2013-01", 0.07), ("2014-06", 0.08), ("2015-06", 0.065), ("2016-06", 0.085), ("2017-06", 0.10),
            ("2018-06", 0.12), ("2019-06", 0.14), ("2020-02", 0.17), ("2020-06", 0.48), ("2020-12", 0.36),
            ("2021-06", 0.34), ("2022-06", 0.39), ("2023-06", 0.42), ("2024-06", 0.41), ("2025-06", 0.40),
        ),
        (18_000, 40_000),
        (("2013-01", 1.0), ("2019-12", 1.5), ("2020-06", 1.35), ("2023-09", 2.0), ("2025-06", 1.95)),
        0.30, 0.05,
    ),
    "cancer_62d": SeriesSpec(
        (
            ("2013-01", 0.14), ("2015-06", 0.16), ("2017-06", 0.18), ("2019-06", 0.23), ("2020-06", 0.28),
            ("2021-06", 0.26), ("2022-06", 0.35), ("2023-06", 0.36), ("2024-06", 0.33), ("2025-06", 0.31),
        ),
        (50, 220),
        (("2013-01", 1.0), ("2020-04", 1.2), ("2020-06", 0.9), ("2025-06", 1.35)),
        0.25, 0.05,
    ),
    "cancer_62d_skin": SeriesSpec(
        (
            ("2013-01", 0.05), ("2016-06", 0.06), ("2018-06", 0.08), ("2019-06", 0.10), ("2020-06", 0.12),
            ("2021-06", 0.15), ("2022-06", 0.28), ("2023-06", 0.25), ("2024-06", 0.18), ("2025-06", 0.16),
        ),
        (10, 45),
        (("2013-01", 1.0), ("2025-06", 1.3)),
        0.30, 0.05,
    ),
    # Delayed transfer bed days / occupied bed days; collection stopped in February 2020.
    "dtoc": SeriesSpec(
        (("2013-01", 0.030), ("2014-06", 0.035), ("2016-06", 0.048), ("2017-03", 0.050), ("2018-06", 0.041),
         ("2019-06", 0.042), ("2020-02", 0.043)),
        (15_000, 40_000), FLAT, 0.30, 0.05, seasonal=0.04, last="2020-02",
    ),
    "emergency_caesarean": SeriesSpec(
        (("2013-01", 0.148), ("2016-01", 0.155), ("2019-01", 0.163), ("2025-06", 0.170)),
        (200, 600), (("2013-01", 1.0), ("2025-06", 0.92)), 0.15, 0.04,
    ),
    "sickness_absence": SeriesSpec(
        (("2013-01", 0.042), ("2016-01", 0.041), ("2019-12", 0.043), ("2020-04", 0.055), ("2020-08", 0.045),
         ("2021-01", 0.052), ("2022-01", 0.054), ("2023-01", 0.050), ("2024-01", 0.048), ("2025-06", 0.047)),
        (90_000, 250_000), (("2013-01", 1.0), ("2025-06", 1.2)), 0.15, 0.03, seasonal=0.06,
    ),
    "vacancy_rate": SeriesSpec(
        (("2013-01", 0.06), ("2015-01", 0.07), ("2017-01", 0.085), ("2019-06", 0.09), ("2020-06", 0.075),
         ("2022-06", 0.10), ("2023-06", 0.09), ("2024-06", 0.075), ("2025-06", 0.07)),
        (3_800, 10_000), (("2013-01", 1.0), ("2025-06", 1.2)), 0.25, 0.04,
    ),
    "consultants_share": SeriesSpec(
        (("2013-01", 0.46), ("2019-01", 0.45), ("2025-06", 0.44)),
        (380, 950), (("2013-01", 1.0), ("2025-06", 1.3)), 0.15, 0.02,
    ),
    "nurses_share": SeriesSpec(
        (("2013-01", 0.56), ("2019-01", 0.55), ("2025-06", 0.54)),
        (2_900, 6_800), (("2013-01", 1.0), ("2025-06", 1.2)), 0.10, 0.02,
    ),
}  # fmt: skip
SHMI_EXPECTED = (1_000, 3_000)  # expected deaths a year across trusts
STAFF_SURVEY_MEANS = {  # 2014 national theme scores, 0–10 (report Table 30 and the published survey)
    "staff_survey_engagement": 6.8,
    "staff_survey_equality": 9.0,
    "staff_survey_health_wellbeing": 5.9,
    "staff_survey_immediate_manager": 6.7,
    "staff_survey_appraisals": 5.3,
    "staff_survey_quality_care": 7.4,
    "staff_survey_safe_environment_bullying": 7.9,
    "staff_survey_safe_environment_violence": 9.4,
    "staff_survey_safety_culture": 6.5,
}
STAFF_SURVEY_YEARS = (2014, 2024)


def national_curve(anchors, months: np.ndarray) -> np.ndarray:
    """The national logit at each month, linear between the anchors and flat beyond them."""
    points = np.array([_m(text) for text, _ in anchors], dtype=float)
    values = logit([value for _, value in anchors])
    return np.interp(months, points, values)


def volume_curve(growth, months: np.ndarray) -> np.ndarray:
    points = np.array([_m(text) for text, _ in growth], dtype=float)
    return np.interp(months, points, [value for _, value in growth])


def ar1_noise(rng: np.random.Generator, shape: tuple[int, int], sd: float, rho: float = 0.6) -> np.ndarray:
    """Stationary AR(1) noise along the last axis with marginal SD `sd`."""
    shocks = rng.normal(0.0, sd, size=shape)
    noise = np.empty(shape)
    noise[:, 0] = shocks[:, 0]
    scale = np.sqrt(1.0 - rho**2)
    for t in range(1, shape[1]):
        noise[:, t] = rho * noise[:, t - 1] + scale * shocks[:, t]
    return noise


def trust_sizes(rng: np.random.Generator, size_rank: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """A size per trust between the bounds, following the trust's overall size rank (0–1) loosely."""
    rank = np.clip(size_rank + rng.normal(0.0, 0.1, size_rank.shape), 0.0, 1.0)
    low, high = bounds
    return low * (high / low) ** rank


def national_shift(national: np.ndarray, trust_logits: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per-period shift c so that Σ w·expit(national + c + x) / Σ w equals expit(national) (Newton steps).

    Trust effects and regime offsets are relative to national, but a skewed mix of them (or the
    curvature of expit) would move the weighted national proportion off its published level.
    """
    target = expit(national)
    shift = np.zeros_like(national)
    total = weights.sum(axis=0)
    for _ in range(8):
        p = expit(national[None, :] + shift[None, :] + trust_logits)
        gap = (weights * p).sum(axis=0) / total - target
        slope = (weights * p * (1.0 - p)).sum(axis=0) / total
        shift -= gap / slope
    return shift


def simulate_proportion(
    rng: np.random.Generator, spec: SeriesSpec, months: np.ndarray, size_rank: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Numerators and denominators (trusts × months) drawn binomially around national + trust + regime."""
    n_trusts, n_months = offsets.shape
    season = spec.seasonal * np.cos(2.0 * np.pi * (months % 12) / 12.0)  # peaks in January
    trust_effect = rng.normal(0.0, spec.trust_sd, n_trusts)
    noise = ar1_noise(rng, (n_trusts, n_months), spec.noise_sd)
    base = trust_sizes(rng, size_rank, spec.size)
    jitter = 1.0 + rng.normal(0.0, 0.02, (n_trusts, n_months))
    denominators = np.maximum(1, np.rint(base[:, None] * volume_curve(spec.growth, months)[None, :] * jitter))
    national = national_curve(spec.anchors, months) + season
    deviation = trust_effect[:, None] + offsets + noise
    p = expit(national + national_shift(national, deviation, denominators) + deviation)
    numerators = rng.binomial(denominators.astype(np.int64), p)
    return numerators, denominators


def simulate_shmi(
    rng: np.random.Generator, months: np.ndarray, quarters: np.ndarray, size_rank: np.ndarray, offsets: np.ndarray
):
    """Rolling-year SHMI per trust and quarter: observed and expected deaths, the ratio and its limits.

    `months` must run from 9 months before the first quarter to the last quarter's third month;
    a quarter's value covers the 12 months ending with it. Expected deaths are scaled so the
    national ratio is 1, as the published model makes it.
    """
    n_trusts = offsets.shape[0]
    expected_year = trust_sizes(rng, size_rank, SHMI_EXPECTED)
    trust_effect = rng.normal(0.0, np.sqrt(SHMI_TAU2), n_trusts)
    log_ratio = trust_effect[:, None] + offsets + ar1_noise(rng, offsets.shape, 0.02, rho=0.5)
    expected_month = np.repeat(expected_year[:, None] / 12.0, months.size, axis=1)
    observed_month = rng.poisson(expected_month * np.exp(log_ratio))
    ends = np.searchsorted(months, quarters + 2)
    observed = np.stack([observed_month[:, end - 11 : end + 1].sum(axis=1) for end in ends], axis=1)
    expected = np.stack([expected_month[:, end - 11 : end + 1].sum(axis=1) for end in ends], axis=1)
    return observed.astype(float), expected


# --- summary -----------------------------------------------------------------------------------


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


# --- the service -------------------------------------------------------------------------------


@transaction.atomic
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
    indicators = _indicators_ensure()
    summary.indicators = len(indicators)
    orgs = _organisations(organisations, summary)
    streams = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(8)]
    episode_rng, director_rng, record_rng, segment_rng, rating_rng, series_rng = streams[:6]

    plans = _plans_assign(episode_rng, orgs, end, summary)
    in_regimes = {plan.organisation.pk for plan in plans}
    buddies = _prefer_nhs_named([org for org in orgs if org.kind in ACUTE_KINDS and org.pk not in in_regimes])
    episodes = _episodes_create(episode_rng, plans, buddies, summary)
    assignments = _directors_create(director_rng, episodes, end, summary)
    _records_create(record_rng, episodes, assignments, indicators, end, summary)
    _segments_create(segment_rng, orgs, episodes, end, summary)
    _ratings_create(rating_rng, episodes, end, summary)
    _observations_create(series_rng, orgs, episodes, indicators, seed, start, end, summary)
    _indicator_flags_set(indicators)
    summary.seconds = clock.perf_counter() - started
    return summary


def synthetic_data_delete() -> int:
    """Remove the previous synthetic set and its audit trail; real records are untouched. Returns rows removed."""
    removed, _ = Observation.objects.filter(batch__synthetic=True).delete()
    removed += ImportBatch.objects.filter(synthetic=True).delete()[0]
    removed += QualityRating.objects.filter(synthetic=True).delete()[0]
    children = (DiagnosticStocktake, ExitCriterion, SupportFunding, EpisodeNote)
    for model in children:
        removed += _delete_quietly(model.objects.filter(episode__synthetic=True))
    removed += _delete_quietly(RegimeEpisode.objects.filter(synthetic=True), already_deleted=children)
    removed += _delete_quietly(SegmentAssignment.objects.filter(synthetic=True))
    demo_users = get_user_model().objects.filter(
        username__in=[f"id_{name}" for name in DIRECTOR_NAMES], email__endswith=f"@{DEMO_EMAIL_DOMAIN}"
    )
    demo_user_ids = list(demo_users.values_list("pk", flat=True))
    removed += _delete_quietly(ImprovementDirectorAssignment.objects.filter(user_id__in=demo_user_ids))
    removed += demo_users.delete()[0]
    # The history of generated trust records describes nothing real: drop it, so a rerun leaves
    # those history tables as it found them.
    synthetic_episodes = RegimeEpisode.history.model.objects.filter(synthetic=True).values("id")
    for model in children:
        model.history.model.objects.filter(episode_id__in=synthetic_episodes).delete()
    RegimeEpisode.history.model.objects.filter(synthetic=True).delete()
    SegmentAssignment.history.model.objects.filter(synthetic=True).delete()
    ImprovementDirectorAssignment.history.model.objects.filter(user_id__in=demo_user_ids).delete()
    # The demo directors' own account history stays: accounts being created and removed is
    # exactly what an audit trail of users is for.
    return removed


def _delete_quietly(queryset, already_deleted=()) -> int:
    """Delete generated rows without a history row each (their history is purged next).

    `QuerySet.delete()` would write a "-" history row per object through signals (seconds for a
    few thousand rows), only for us to purge it. Deleting in SQL is safe only when nothing else
    can point at the rows, so that is checked from the model's reverse relations (history models
    keep no constraint and are not listed); otherwise the ordinary delete runs and cascades.
    """
    model = queryset.model
    if all(relation.related_model in already_deleted for relation in model._meta.related_objects):
        return queryset._raw_delete(queryset.db) or 0  # None when the filter cannot match
    return queryset.delete()[0]


def _indicators_ensure() -> dict[str, Indicator]:
    """The catalogue rows of data/indicators.csv, created or brought up to date."""
    with (settings.DATA_DIR / "indicators.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row.pop("code")
            row["pre_window_months"] = int(row.get("pre_window_months") or 18)
            row["analysis_cadence"] = row.get("analysis_cadence") or row["cadence"]
            row["target"] = float(row["target"]) if row.get("target") else None
            row["applies_to"] = sorted(kind for kind in (row.get("applies_to") or "").split(";") if kind)
            Indicator.objects.update_or_create(code=code, defaults=row)
    return {indicator.code: indicator for indicator in Indicator.objects.all()}


def _indicator_flags_set(indicators: dict[str, Indicator]) -> None:
    """Synthetic means every value held is synthetic: not ed_4hr, and no real value of the indicator exists."""
    with_real = set(
        Observation.objects.exclude(batch__synthetic=True).values_list("indicator_id", flat=True).distinct()
    )
    for code, indicator in indicators.items():
        flag = code != ED_4HR and indicator.pk not in with_real
        if indicator.synthetic != flag:
            Indicator.objects.filter(pk=indicator.pk).update(synthetic=flag)


def _organisations(organisations, summary: DemoSummary) -> list[Organisation]:
    """The organisations to work on, sorted by code so draws do not depend on database order."""
    if organisations is not None:
        orgs = list(Organisation.objects.filter(pk__in=[org.pk for org in organisations]))
    else:
        orgs = list(Organisation.objects.all())
    if not orgs and organisations is None:
        regions = sorted(REGIONS)
        placeholders = [
            Organisation(
                ods_code=f"ZZ{number:03d}",
                name=f"Synthetic trust {number:03d}",
                kind=OrganisationKind.ACUTE,
                sector="nhs_trust",  # stands in for a trust: ZZ codes have no NHS trust shape
                region=regions[number % len(regions)],
                verified=False,
            )
            for number in range(1, PLACEHOLDER_TRUSTS + 1)
        ]
        orgs = bulk_create_with_history(placeholders, Organisation, default_change_reason="synthetic demo data")
        summary.organisations_created = len(orgs)
    summary.organisations = len(orgs)
    return sorted(orgs, key=lambda org: org.ods_code)


def _says_nhs(org: Organisation) -> bool:
    return "NHS" in org.name.upper().replace(",", " ").split()


def is_nhs_provider(org: Organisation) -> bool:
    """An NHS trust the regimes and segments apply to: a classified trust kind, or an unclassified one
    whose name says NHS (the A&E files also bring in independent urgent care providers)."""
    if org.kind == OrganisationKind.ICB:
        return False
    if org.kind != OrganisationKind.OTHER:
        return True
    return org.verified and _says_nhs(org)


def _prefer_nhs_named(orgs: list[Organisation], needed: int = 1) -> list[Organisation]:
    """Real registers name every NHS trust "… NHS (Foundation) Trust"; a site such as "Bridlington
    Hospital" is classified acute from its name but is not a trust. Placeholder and test
    organisations have no such names, so all of them are used."""
    named = [org for org in orgs if _says_nhs(org)]
    return named if len(named) >= needed else orgs


def _open_between(org: Organisation, first: date, last: date) -> bool:
    return (org.opened is None or org.opened <= first) and (org.closed is None or org.closed > last)


def _plans_assign(rng: np.random.Generator, orgs: list[Organisation], end: date, summary) -> list[TrustPlan]:
    """Plan the SMQ/CP histories and NOF4 entries and give each to an organisation of a fitting kind."""
    with_real = set(
        RegimeEpisode.objects.filter(synthetic=False, organisation__in=orgs).values_list("organisation_id", flat=True)
    )
    histories = plan_regime_history(rng)
    plans = [TrustPlan(episodes) for episodes in histories]
    # The 2013 Keogh entries are real (data/real/special-measures/keogh_2013.csv): once loaded, the
    # synthetic histories that began with a Keogh entry are not invented for other trusts. What
    # followed a real entry (its exit, any re-entry) is not known, so nothing is made up for it.
    if RegimeEpisode.objects.filter(synthetic=False, regime__code=SMQ, entered=KEOGH_ENTRY).exists():
        plans = [plan for plan in plans if not plan.episodes[0].keogh]
    ordinary = [index for index, plan in enumerate(plans) if not plan.episodes[0].keogh]
    special = rng.permutation(ordinary)[: AMBULANCE_TRUSTS + MENTAL_HEALTH_TRUSTS]
    for number, index in enumerate(special):
        plans[index].kind = "ambulance" if number < AMBULANCE_TRUSTS else "mental_health"

    end_m = month_number(end)
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
        plan.episodes.append(PlannedEpisode(NOF4, NOF4_FIRST_M, None, EpisodeRoute.TRANSFERRED))
        if position < NOF4_TRANSFER_EXITS and end_m - 2 > _m("2022-10"):
            leave = quarter_ceil(int(rng.integers(_m("2022-10"), end_m - 2)))
            plan.episodes[-1].exit = leave if leave < end_m else None

    pool = [org for org in orgs if org.pk not in with_real and is_nhs_provider(org)]
    if any(org.verified for org in pool):  # codes seen only in data are often merged predecessors
        pool = [org for org in pool if org.verified]
    pool = _prefer_nhs_named(pool, needed=len(plans) + 10)
    kinds = {
        "acute": [org for org in pool if org.kind in ACUTE_KINDS],
        "ambulance": [org for org in pool if org.kind == OrganisationKind.AMBULANCE],
        "mental_health": [org for org in pool if org.kind in MENTAL_HEALTH_KINDS],
        "other": [org for org in pool if org.kind == OrganisationKind.OTHER],
    }
    taken: set[int] = set()
    for plan in sorted(plans, key=lambda p: p.episodes[0].entry):
        first = plan.episodes[0].entered()
        for kind in (plan.kind, "acute", "other", "mental_health", "ambulance"):
            candidates = [org for org in kinds[kind] if org.pk not in taken and _open_between(org, first, end)]
            if candidates:
                plan.organisation = candidates[int(rng.integers(len(candidates)))]
                taken.add(plan.organisation.pk)
                break
        else:
            raise ValueError(
                f"not enough organisations for the synthetic regime history: {len(plans)} trusts open from "
                f"2013 to {end.isoformat()} are needed (without real episodes; not ICBs); {len(pool)} are available"
            )
    summary.trusts_in_regimes = len(plans)
    return plans


REASONS = {
    "keogh": (
        "One of the 11 trusts placed in special measures after the Keogh mortality review (July 2013): "
        "persistently high mortality and weak board oversight of quality.",
    ),
    (SMQ, EpisodeRoute.DIRECT): (
        "CQC rated the trust inadequate overall, with well-led and safe both inadequate; the Chief Inspector "
        "of Hospitals recommended special measures.",
        "Inadequate for well-led and effective after a comprehensive inspection; serious incidents were not "
        "investigated or learned from.",
        "Well-led and safe rated inadequate: unsafe staffing in urgent and emergency care and a board without "
        "grip on quality.",
        "CQC found maternity and surgical services unsafe and rated the trust inadequate for well-led.",
    ),
    (SMQ, EpisodeRoute.ESCALATED_FROM_CP): (
        "Escalated from the challenged provider watch list after CQC rated the trust inadequate for well-led and safe.",
        "Escalated from CP: the re-inspection found leadership and governance had not improved; inadequate "
        "for well-led.",
    ),
    (SMQ, EpisodeRoute.RE_ENTRY): (
        "Re-entered special measures: a CQC re-inspection found the improvements had not been sustained and "
        "rated well-led inadequate again.",
    ),
    (CP, EpisodeRoute.DIRECT): (
        "At risk of special measures: CQC rated the trust requires improvement with concerns about leadership "
        "capacity.",
        "Watch list: deteriorating safety in the emergency department and high agency staffing.",
        "Watch list: maternity governance concerns and a rising number of serious incidents.",
        "Watch list: a culture of bullying reported by staff and weak board assurance.",
    ),
    (CP, EpisodeRoute.RE_ENTRY): (
        "Returned to the watch list after access and safety performance slipped again within a year of exit.",
    ),
    (NOF4, EpisodeRoute.DIRECT): (
        "Placed in segment 4: serious quality failures in maternity services; the Recovery Support Programme "
        "was triggered.",
        "Placed in segment 4: a deep and persistent financial deficit with weak financial governance.",
        "Placed in segment 4: leadership instability and a critical CQC well-led inspection.",
        "Placed in segment 4: sustained failure of urgent and elective access standards with system-wide pressures.",
    ),
    (NOF4, EpisodeRoute.TRANSFERRED): (
        "Transferred from quality special measures into the Recovery Support Programme when the NHS Oversight "
        "Framework replaced SMQ (July 2021).",
    ),
}


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def _episodes_create(rng, plans: list[TrustPlan], buddies, summary) -> list[RegimeEpisode]:
    """Write the planned episodes (validated with full_clean), with reasons and buddy trusts."""
    regimes = {regime.code: regime for regime in Regime.objects.filter(code__in=[SMQ, CP, NOF4])}
    episodes = []
    for plan in sorted(plans, key=lambda p: p.organisation.ods_code):
        for planned in plan.episodes:
            key = "keogh" if planned.keogh else (planned.regime, planned.route)
            buddy = None
            if planned.regime != CP and buddies and rng.random() < 0.7:
                buddy = _pick(rng, buddies)
            episode = RegimeEpisode(
                organisation=plan.organisation,
                regime=regimes[planned.regime],
                entered=planned.entered(),
                exited=planned.exited(),
                route=planned.route,
                reason=_pick(rng, REASONS[key]),
                buddy_trust=buddy,
                synthetic=True,
            )
            # The related objects are in hand, so their existence checks are skipped; clean() still
            # checks the regime's validity window and overlaps with episodes already stored.
            episode.full_clean(exclude=["organisation", "regime", "buddy_trust"])
            episodes.append(episode)
    episodes = bulk_create_with_history(episodes, RegimeEpisode, default_change_reason="synthetic demo data")
    counts: dict[str, int] = defaultdict(int)
    for episode in episodes:
        counts[episode.regime.code] += 1
    summary.episodes = dict(counts)
    summary.open_episodes = sum(1 for episode in episodes if episode.exited is None)
    return episodes


def _org_spells(episodes: list[RegimeEpisode]) -> dict[int, list[tuple[date, date | None]]]:
    by_org: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for episode in episodes:
        by_org[episode.organisation_id].append((episode.entered, episode.exited))
    return {org: spells_from_episodes(items) for org, items in by_org.items()}


def _add_months(day: date, months: int) -> date:
    return month_start(month_number(day) + months)


def _directors_create(rng, episodes, end: date, summary) -> list[ImprovementDirectorAssignment]:
    """Eight synthetic improvement directors, each supporting one to three trusts at a time for 12–18 months."""
    user_model = get_user_model()
    users = []
    for name in DIRECTOR_NAMES:
        username = f"id_{name}"
        existing = user_model.objects.filter(username=username).first()
        if existing is not None and not existing.email.endswith(f"@{DEMO_EMAIL_DOMAIN}"):
            raise ValueError(f"a real user is called {username}; rename them before generating demo directors")
        user = user_create(username=username, role="director", password=None, email=f"{username}@{DEMO_EMAIL_DOMAIN}")
        user.set_unusable_password()
        user.first_name, user.last_name = name.capitalize(), "(synthetic ID)"
        user.save()
        users.append(user)
    tenures = []  # (from, to or None, organisation_id)
    for org_id, spells in _org_spells(episodes).items():
        for entered, exited in spells:
            start = entered
            while start < (exited or end):
                stop = _add_months(start, int(rng.integers(12, 19))) - timedelta(days=1)
                if exited is not None and stop >= exited:
                    stop = exited
                tenures.append((start, None if stop >= end and exited is None else stop, org_id))
                start = stop + timedelta(days=1)
    load: dict[int, list[tuple[date, date]]] = defaultdict(list)
    assignments = []
    for begin, finish, org_id in sorted(tenures, key=lambda item: (item[0], item[2])):
        until = finish or date.max
        busy = {index: sum(1 for a, b in load[index] if a <= until and begin <= b) for index in range(len(users))}
        free = [index for index, count in busy.items() if count < 3]
        if not free:
            continue  # no director free: the trust is supported by the regional team for this stretch
        fewest = min(busy[index] for index in free)
        chosen = _pick(rng, [index for index in free if busy[index] == fewest])
        load[chosen].append((begin, until))
        assignments.append(
            ImprovementDirectorAssignment(user=users[chosen], organisation_id=org_id, date_from=begin, date_to=finish)
        )
    assignments = bulk_create_with_history(
        assignments, ImprovementDirectorAssignment, default_change_reason="synthetic demo data"
    )
    summary.id_users, summary.id_assignments = len(users), len(assignments)
    return assignments


def _director_on(assignments, org_id: int, day: date):
    for assignment in assignments:
        if assignment.organisation_id == org_id and assignment.date_from <= day:
            if assignment.date_to is None or day <= assignment.date_to:
                return assignment.user
    return None


STOCKTAKE_ROOT_CAUSES = (
    "A board focused on finance and access targets at the expense of quality; ward-to-board assurance was absent.",
    "Long-standing workforce gaps filled by agency staff, eroding continuity of care and learning.",
    "A closed culture in which staff did not feel safe to raise concerns; incidents under-reported.",
    "Rapid growth after a merger without integrating clinical governance across the sites.",
    "Persistent operational pressure in urgent care crowding out improvement work.",
)
STOCKTAKE_STRUCTURAL = (
    "Two acute sites 20 miles apart with duplicated rotas and fragile specialist cover.",
    "A PFI estate with high fixed costs and limited bed flexibility.",
    "Estates backlog maintenance and an ageing emergency department built for half today's attendances.",
    "A small trust serving a rural population, hard to recruit to, with limited scope to share services.",
    "Dependence on a neighbouring trust for stroke, vascular and paediatric services.",
)
STOCKTAKE_LEADERSHIP = (
    "Interim chief executive and medical director; the executive team has turned over twice in three years.",
    "A stable but inward-looking executive team with limited improvement capability.",
    "Capable new chair and chief executive; middle management capacity is the constraint.",
    "Clinical leadership underdeveloped: divisional directors without time or support to lead.",
)
NOTE_TEXTS = (
    "Diagnostic stocktake agreed with the board, the region and the ICB; exit criteria drafted.",
    "Buddy trust visit: ward accreditation and safety huddles shared; follow-up booked.",
    "Monthly review: staffing improved on the medical wards; ED crowding remains the main risk.",
    "Board development session held; well-led self-assessment shows progress on governance.",
    "Quality summit with CQC and commissioners; the improvement plan is on track in four of six areas.",
    "Concern: serious incident backlog growing again; escalated to the regional director.",
    "Exit readiness review: evidence pack compiled against each criterion.",
)
CRITERIA = {
    CriterionTheme.CULTURE: (
        "Staff engagement score within 0.2 of the benchmarking group average",
        "Freedom to speak up guardian reports to the board each quarter, with actions tracked",
    ),
    CriterionTheme.LEADERSHIP: (
        "Substantive chief executive, medical director and chief nurse in post for six months",
        "External well-led review completed and its recommendations delivered",
    ),
    CriterionTheme.GOVERNANCE: (
        "Serious incident investigations closed within 60 working days",
        "Board assurance framework in use at every committee, reviewed quarterly",
    ),
    CriterionTheme.ICB_OWNERSHIP: (
        "ICB-led system recovery plan agreed with the trust and NHS England",
        "The ICB chairs a monthly improvement assurance meeting",
    ),
    CriterionTheme.QUALITY_SAFETY: (
        "CQC re-inspection rates safe and well-led at least requires improvement",
        "Maternity safety actions all delivered and assured by the local maternity system",
    ),
    CriterionTheme.OPERATIONS: ("Ambulance handovers within 30 minutes for 95% of arrivals",),
    CriterionTheme.FINANCE: ("Deficit reduction plan delivered to the quarter",),
    CriterionTheme.WORKFORCE: ("Safe staffing establishment reviews completed for every ward",),
}
# Criteria tied to an indicator: (theme, indicator, the description with {threshold} and {months}).
LINKED_CRITERIA = (
    (CriterionTheme.QUALITY_SAFETY, "shmi", "SHMI at or below {threshold:.2f} for {months} months"),
    (
        CriterionTheme.OPERATIONS,
        "rtt_18wk",
        "RTT pathways over 18 weeks at or below {threshold:.1%} for {months} months",
    ),
    (CriterionTheme.OPERATIONS, "cancer_62d", "62-day cancer breaches at or below {threshold:.1%} for {months} months"),
    (
        CriterionTheme.OPERATIONS,
        "dtoc",
        "Delayed transfers at or below {threshold:.1%} of bed days for {months} months",
    ),
    (CriterionTheme.WORKFORCE, "sickness_absence", "Sickness absence at or below {threshold:.1%} for {months} months"),
    (CriterionTheme.WORKFORCE, "vacancy_rate", "Vacancy rate at or below {threshold:.1%} for {months} months"),
    (CriterionTheme.FINANCE, "financial_stability", "Financial stability score 3 or better for {months} months"),
)
# Table 28: the share of support spent in each category.
SPEND_SHARES = {
    FundingCategory.CULTURAL_CHANGE_TRAINING: 33.6,
    FundingCategory.WORKFORCE_QUALITY_SAFETY: 21.7,
    FundingCategory.GOVERNANCE_ASSURANCE: 18.4,
    FundingCategory.CARE_IMPROVEMENT: 14.6,
    FundingCategory.QI_TRAINING: 11.7,
}
ENTRY_AWARD = {SMQ: (300_000, 500_000), CP: (80_000, 200_000), NOF4: (300_000, 500_000)}  # first financial year
LATER_AWARD = {SMQ: (150_000, 400_000), CP: (50_000, 150_000), NOF4: (150_000, 400_000)}
SMQ_EXIT_AWARD = 100_000


def _at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def _threshold(code: str, entered: date) -> float:
    """An exit threshold for a linked criterion: about the national level when the trust entered."""
    if code == "shmi":
        return 1.05
    if code == "financial_stability":
        return 3.0
    national = float(expit(national_curve(SERIES[code].anchors, np.array([month_number(entered)])))[0])
    return round(national, 3)


def _records_create(rng, episodes, assignments, indicators, end: date, summary) -> None:
    """Stocktakes, exit criteria, funding and notes for every episode."""
    stocktakes, criteria, funding, notes, note_dates = [], [], [], [], []
    open_approved = []
    for episode in episodes:
        stocktake_day = episode.entered + timedelta(days=int(rng.integers(45, 100)))
        done = stocktake_day < end and (episode.exited is None or stocktake_day <= episode.exited)
        ratings = [LeadershipRating.ABSENT, LeadershipRating.PARTIAL, LeadershipRating.PRESENT]
        weights = [0.45, 0.45, 0.10]
        stocktakes.append(
            DiagnosticStocktake(
                episode=episode,
                root_causes=_pick(rng, STOCKTAKE_ROOT_CAUSES),
                structural_issues=_pick(rng, STOCKTAKE_STRUCTURAL),
                leadership_capability=_pick(rng, STOCKTAKE_LEADERSHIP),
                leadership_direction=str(rng.choice(ratings, p=weights)) if done else LeadershipRating.UNKNOWN,
                leadership_alignment=str(rng.choice(ratings, p=weights)) if done else LeadershipRating.UNKNOWN,
                leadership_commitment=str(rng.choice(ratings, p=weights)) if done else LeadershipRating.UNKNOWN,
                completed_on=stocktake_day if done else None,
            )
        )
        criteria_here = _criteria_for(rng, episode, indicators, stocktake_day, done, end)
        if episode.exited is None and criteria_here and criteria_here[0].approved_at:
            open_approved.append(criteria_here)
        criteria += criteria_here
        funding += _funding_for(rng, episode, end)
        last_day = min(episode.exited or end, end)
        for _ in range(int(rng.integers(1, 4))):
            span = max(1, (last_day - episode.entered).days)
            day = episode.entered + timedelta(days=int(rng.integers(0, span)))
            notes.append(
                EpisodeNote(
                    episode=episode,
                    author=_director_on(assignments, episode.organisation_id, day),
                    text=_pick(rng, NOTE_TEXTS),
                )
            )
            note_dates.append(_at_noon(day))
    # Mission creep, visible: two open episodes had a criterion tightened after it was approved.
    for criteria_here in open_approved[:2]:
        changed = next((c for c in criteria_here if c.threshold is not None), criteria_here[0])
        if changed.threshold is not None:
            changed.threshold = round(changed.threshold * 0.9, 3)
        changed.description += " (tightened after approval at the regional review)"
    # Creation history for the records people review (the stocktake, the criteria); funding lines
    # and notes are many and their creation says nothing, so they are inserted plainly.
    reason = "synthetic demo data"
    summary.stocktakes = len(bulk_create_with_history(stocktakes, DiagnosticStocktake, default_change_reason=reason))
    summary.exit_criteria = len(bulk_create_with_history(criteria, ExitCriterion, default_change_reason=reason))
    summary.funding_lines = len(SupportFunding.objects.bulk_create(funding))
    notes = EpisodeNote.objects.bulk_create(notes)
    for note, created in zip(notes, note_dates, strict=True):
        note.created = created  # auto_now_add stamped today on insert; a note belongs to its day
    EpisodeNote.objects.bulk_update(notes, ["created"])
    summary.episode_notes = len(notes)


def _criteria_for(rng, episode, indicators, stocktake_day: date, done: bool, end: date) -> list[ExitCriterion]:
    """4–10 exit criteria across the themes; some tied to an indicator. Met on exit, mixed while open."""
    themes = [theme for theme in CRITERIA if episode.regime.code == NOF4 or theme != CriterionTheme.ICB_OWNERSHIP]
    count = int(rng.integers(4, 11))
    chosen = list(rng.permutation(np.array(themes, dtype=object)))
    while len(chosen) < count:
        chosen.append(_pick(rng, themes))
    chosen = chosen[:count]
    acute = episode.organisation.kind in ACUTE_KINDS
    approved = done and stocktake_day + timedelta(days=30) < end
    approved_on = stocktake_day + timedelta(days=int(rng.integers(14, 45)))
    result = []
    for theme in chosen:
        linked = [
            item
            for item in LINKED_CRITERIA
            if item[0] == theme and acute and not (item[1] == "dtoc" and episode.entered >= date(2019, 10, 1))
        ]
        criterion = ExitCriterion(episode=episode, theme=theme)
        if linked and rng.random() < 0.6:
            _, code, text = _pick(rng, linked)
            months = int(_pick(rng, (3, 6, 6, 9, 12)))
            criterion.indicator = indicators[code]
            criterion.comparator = Comparator.LE
            criterion.threshold = _threshold(code, episode.entered)
            criterion.months_sustained = months
            criterion.description = text.format(threshold=criterion.threshold, months=months)
        else:
            criterion.description = _pick(rng, CRITERIA[theme])
        if episode.exited is not None:
            criterion.status = CriterionStatus.MET
            criterion.evidence = "Evidence reviewed at the exit panel; sustained over the agreed period."
        elif approved:
            criterion.status = str(
                rng.choice(
                    [
                        CriterionStatus.APPROVED,
                        CriterionStatus.IN_PROGRESS,
                        CriterionStatus.MET,
                        CriterionStatus.NOT_MET,
                    ],
                    p=[0.2, 0.45, 0.2, 0.15],
                )
            )
            if criterion.status == CriterionStatus.MET:
                criterion.evidence = "Met in the latest quarter; sustainability to be confirmed."
        else:
            criterion.status = CriterionStatus.PROPOSED
        if episode.exited is not None or approved:
            criterion.approved_at = _at_noon(approved_on)
            criterion.approved_snapshot = criterion.approval_view()
        result.append(criterion)
    return result


def _funding_for(rng, episode, end: date) -> list[SupportFunding]:
    """Awards by financial year split across the Table 28 categories; £100k in the year after an SMQ exit."""
    code = episode.regime.code
    first = financial_year(episode.entered)
    last_day = min(episode.exited or end, end)
    exit_support = code == SMQ and episode.exited is not None and episode.exited < REGIME_END and episode.exited <= end
    exit_year = max(financial_year(episode.exited), first + 1) if exit_support else None
    years = range(first, (exit_year if exit_year is not None else financial_year(last_day) + 1))
    awards = {}
    for year in years:
        low, high = ENTRY_AWARD[code] if year == first else LATER_AWARD[code]
        awards[year] = float(rng.uniform(low, high))
    if exit_year is not None and exit_year <= financial_year(end):
        awards[exit_year] = float(SMQ_EXIT_AWARD)
    shares = np.array(list(SPEND_SHARES.values())) / 100.0
    lines = []
    current_year = financial_year(end)
    for year, total in awards.items():
        budgets = np.floor(total * rng.dirichlet(shares * 40.0))
        budgets[np.argmax(budgets)] += round(total) - budgets.sum()  # whole pounds summing to the award
        if year < current_year:
            spent_share = rng.uniform(0.8, 1.05, size=budgets.size)
        else:
            elapsed = (month_number(end) - (year * 12 + 3) + 1) / 12.0
            spent_share = np.full(budgets.size, max(0.0, min(1.0, elapsed)))
        for category, budget, share in zip(SPEND_SHARES, budgets, spent_share, strict=True):
            lines.append(
                SupportFunding(
                    episode=episode,
                    year=year,
                    category=category,
                    budget=Decimal(int(budget)),
                    spent=Decimal(int(budget * share)),
                )
            )
    return lines


def _segments_create(rng, orgs, episodes, end: date, summary) -> None:
    """Quarterly segment history from July 2021; segment 4 exactly while in NOF4; a few latest unpublished."""
    from django.db.models import Q

    from .constants import NOF_2021
    from .models import FrameworkVersion

    with_real = set(
        # Real segments of a later framework (the 2025/26 league table) leave the 2021 history to fill.
        SegmentAssignment.objects.filter(synthetic=False, organisation__in=orgs)
        .filter(Q(framework__isnull=True) | Q(framework__code=NOF_2021))
        .values_list("organisation_id", flat=True)
    )
    framework = FrameworkVersion.objects.filter(code=NOF_2021).first()
    nof4: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    troubled = {episode.organisation_id for episode in episodes}
    for episode in episodes:
        if episode.regime.code == NOF4:
            leave = month_number(episode.exited) if episode.exited else None
            nof4[episode.organisation_id].append((month_number(episode.entered), leave))
    end_m = month_number(end)
    last_quarter = quarter_floor(end_m)
    rows = []
    recent_changes = []
    for org in orgs:
        if org.pk in with_real or (org.closed is not None and org.closed <= NOF4_START):
            continue
        if not (is_nhs_provider(org) or org.kind == OrganisationKind.ICB):
            continue
        first = NOF4_FIRST_M if org.opened is None else max(NOF4_FIRST_M, quarter_ceil(month_number(org.opened)))
        last = last_quarter if org.closed is None else min(last_quarter, quarter_floor(month_number(org.closed) - 1))
        quarters = list(range(first, last + 1, 3))
        if not quarters:
            continue
        path = segment_path(rng, quarters, nof4.get(org.pk, []), org.pk in troubled)
        org_rows = []
        for quarter, segment in zip(quarters, path, strict=True):
            if org_rows and org_rows[-1].segment == segment:
                continue
            if org_rows:
                org_rows[-1].effective_to = month_start(quarter) - timedelta(days=1)
            org_rows.append(
                SegmentAssignment(
                    organisation=org,
                    segment=segment,
                    effective_from=month_start(quarter),
                    source=SYNTHETIC_SOURCE,
                    synthetic=True,
                    framework=framework,
                )
            )
        if org.closed is not None and org_rows:
            org_rows[-1].effective_to = org.closed
        if len(org_rows) > 1 and org_rows[-1].effective_from == month_start(last_quarter) and org_rows[-1].segment < 4:
            recent_changes.append(org_rows[-1])
        rows += org_rows
    for row in recent_changes[:4]:
        row.published = False  # decided this quarter, not yet published
    bulk_create_with_history(rows, SegmentAssignment, default_change_reason="synthetic demo data")
    summary.segments = len(rows)


def _ratings_create(rng, episodes, end: date, summary) -> None:
    """CQC ratings before entries and after exits; a share of exited trusts later rated good (clear improvers)."""
    ratings = []
    by_org: dict[int, list[RegimeEpisode]] = defaultdict(list)
    for episode in episodes:
        by_org[episode.organisation_id].append(episode)
    for org_id, items in by_org.items():
        items.sort(key=lambda e: e.entered)
        for episode in items:
            if episode.route in (EpisodeRoute.ESCALATED_FROM_CP, EpisodeRoute.TRANSFERRED):
                rating = "inadequate" if episode.route == EpisodeRoute.ESCALATED_FROM_CP else None
            else:
                rating = "inadequate" if episode.regime.code in (SMQ, NOF4) else "requires_improvement"
            if rating:
                day = episode.entered - timedelta(days=int(rng.integers(20, 60)))
                ratings.append(QualityRating(organisation_id=org_id, rated_on=day, rating=rating, synthetic=True))
            if episode.exited and episode.exited < end and episode.regime.code == SMQ and episode.exited < REGIME_END:
                day = episode.exited - timedelta(days=int(rng.integers(10, 40)))
                ratings.append(
                    QualityRating(organisation_id=org_id, rated_on=day, rating="requires_improvement", synthetic=True)
                )
        spells = spells_from_episodes([(e.entered, e.exited) for e in items])
        final_exit = spells[-1][1]
        if final_exit is None:
            continue
        later = final_exit + timedelta(days=int(rng.integers(180, 720)))
        if later >= end:
            continue
        if len(spells) == 1 and rng.random() < 0.45:
            rating = "outstanding" if rng.random() < 0.1 else "good"
        else:
            rating = "requires_improvement" if rng.random() < 0.8 else "inadequate"
        ratings.append(QualityRating(organisation_id=org_id, rated_on=later, rating=rating, synthetic=True))
    QualityRating.objects.bulk_create(ratings)
    summary.ratings = len(ratings)


# --- observations ------------------------------------------------------------------------------


def _valid_months(orgs: list[Organisation], months: np.ndarray) -> np.ndarray:
    """trusts × periods: True where the organisation existed in that period."""
    mask = np.ones((len(orgs), months.size), dtype=bool)
    for row, org in enumerate(orgs):
        if org.opened is not None:
            mask[row] &= months >= month_number(org.opened) + (org.opened.day > 1)
        if org.closed is not None:
            mask[row] &= months < month_number(org.closed) + (org.closed.day > 1)
    return mask


def _observation_orgs(orgs: list[Organisation], summary) -> list[Organisation]:
    """Acute trusts get series. Unclassified NHS trusts stand in only when no trust is classified acute."""
    acute = _prefer_nhs_named([org for org in orgs if org.kind in ACUTE_KINDS])
    if not acute:
        acute = [org for org in orgs if org.kind == OrganisationKind.OTHER and is_nhs_provider(org)]
        if acute:
            summary.warnings.append(
                f"no organisation is classified acute; series generated for {len(acute)} unclassified trusts"
            )
    summary.acute_trusts = len(acute)
    return acute


OBSERVATION_FIELDS = (
    "organisation",
    "indicator",
    "period",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "batch",
)


def _observations_insert(rows: list[tuple], rows_per_statement: int = 1000) -> None:
    """Insert observation rows (tuples in OBSERVATION_FIELDS order) as multi-row INSERTs.

    Not `bulk_create`: building and compiling a model instance per row costs ~0.15 ms, a minute
    for the full set on SQLite; plain parameterised INSERTs of 1,000 rows take a few seconds on
    SQLite and PostgreSQL alike. Observations have no signals or history to bypass.
    """
    meta, quote = Observation._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in OBSERVATION_FIELDS)
    one_row = "(" + ", ".join(["%s"] * len(OBSERVATION_FIELDS)) + ")"
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), rows_per_statement):
            chunk = rows[offset : offset + rows_per_statement]
            values = ", ".join([one_row] * len(chunk))
            params = [value for row in chunk for value in row]
            cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}", params)


def _series_rng(seed: int, name: str) -> np.random.Generator:
    """One stream per series, keyed by name, so adding a series leaves the others' values unchanged."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _observations_create(rng, orgs, episodes, indicators, seed: int, start: date, end: date, summary) -> None:
    """Monthly proportions, quarterly SHMI and finance, annual staff survey for the acute trusts; bulk insert."""
    trusts = _observation_orgs(orgs, summary)
    batch = ImportBatch.objects.create(
        file_name=f"synthetic demo data (seed {seed}, {start.isoformat()} to {end.isoformat()})",
        sha256=hashlib.sha256(f"{GENERATOR_VERSION}:{seed}:{start}:{end}".encode()).hexdigest(),
        format=ImportFormat.SYNTHETIC,
        status=BatchStatus.RUNNING,
        synthetic=True,
    )
    if not trusts:
        batch.status, batch.finished = BatchStatus.SUCCEEDED, timezone.now()
        batch.save()
        return
    org_ids = [org.pk for org in trusts]
    spells = _org_spells(episodes)
    keogh = {e.organisation_id for e in episodes if e.entered == KEOGH_ENTRY}
    trust_spells = [spells.get(org.pk, []) for org in trusts]
    size_rank = rng.beta(2.0, 2.0, len(trusts))
    real_keys = set(
        Observation.objects.exclude(batch__synthetic=True)
        .filter(
            organisation_id__in=org_ids,
            indicator__code__in=[*SERIES, "shmi", *STAFF_SURVEY_MEANS, "financial_stability"],
        )
        .values_list("organisation_id", "indicator_id", "period")
    )
    # An indicator with any real value is left to the real files: no synthetic value is mixed in.
    with_real = {indicator_id for _, indicator_id, _ in real_keys} | set(
        Observation.objects.exclude(batch__synthetic=True)
        .filter(indicator__code__in=[*SERIES, "shmi", *STAFF_SURVEY_MEANS, "financial_stability"])
        .values_list("indicator_id", flat=True)
        .distinct()
    )
    rows: list[tuple] = []

    def applies(code) -> np.ndarray:
        """trusts: True where the indicator applies to the trust's kind (an unclassified stand-in counts as acute)."""
        indicator = indicators[code]
        return np.array(
            [
                indicator.applies_to_kind(OrganisationKind.ACUTE if org.kind == OrganisationKind.OTHER else org.kind)
                for org in trusts
            ],
            dtype=bool,
        )

    def emit(code, periods, mask, numerators=None, denominators=None, values=None, lowers=None, uppers=None):
        """One row per (trust, period) where the trust existed, the indicator applies and no real value is held."""
        indicator_id = indicators[code].pk
        if indicator_id in with_real:
            summary.real_indicators.add(code)
            return
        mask = mask & applies(code)[:, None]
        days = [month_start(int(period)) for period in periods]
        stored = [connection.ops.adapt_datefield_value(day) for day in days]
        trust_index, period_index = np.nonzero(mask)
        count = trust_index.size
        columns = [
            [None] * count if column is None else np.asarray(column, dtype=float)[trust_index, period_index].tolist()
            for column in (numerators, denominators, values, lowers, uppers)
        ]
        organisation_ids = np.array(org_ids)[trust_index].tolist()
        new_rows = zip(
            organisation_ids,
            repeat(indicator_id, count),
            [stored[t] for t in period_index],
            *columns,
            repeat(batch.pk, count),
            strict=True,
        )
        if real_keys:
            new_rows = [
                row
                for row, t in zip(new_rows, period_index, strict=True)
                if (row[0], indicator_id, days[t]) not in real_keys
            ]
        rows.extend(new_rows)

    months = np.arange(month_number(start), month_number(end) + 1)
    valid = _valid_months(trusts, months)
    spell_m = [spell_months(s) for s in trust_spells]
    for code, spec in SERIES.items():
        series_rng = _series_rng(seed, code)
        offsets = np.zeros((len(trusts), months.size))
        effect = REGIME_EFFECTS.get(code)
        if effect is not None:
            for i, trust_spell in enumerate(spell_m):
                if trust_spell:
                    offsets[i] = REGIME_TRUST_BASELINE + regime_offset(months, trust_spell, effect, PRE_ENTRY_MONTHS)
        numerators, denominators = simulate_proportion(series_rng, spec, months, size_rank, offsets)
        mask = valid & (months <= (_m(spec.last) if spec.last else months[-1]))[None, :]
        emit(code, months, mask, numerators, denominators, numerators / denominators)

    # SHMI: quarters whose three months lie inside [start, end]; a rolling year behind each.
    shmi_rng = _series_rng(seed, "shmi")
    quarters = np.arange(quarter_ceil(months[0]), quarter_floor(months[-1] - 2) + 1, 3)
    if quarters.size:
        shmi_months = np.arange(quarters[0] - 9, quarters[-1] + 3)
        offsets = np.zeros((len(trusts), shmi_months.size))
        for i, trust_spell in enumerate(spell_m):
            if trust_spell:
                offsets[i] = REGIME_TRUST_SHMI_BASELINE + regime_offset(
                    shmi_months, trust_spell, REGIME_EFFECTS["shmi"], PRE_ENTRY_MONTHS
                )
                if org_ids[i] in keogh:
                    offsets[i] += KEOGH_SHMI_EXCESS
        observed, expected = simulate_shmi(shmi_rng, shmi_months, quarters, size_rank, offsets)
        mask = _valid_months(trusts, quarters)
        scale = (observed * mask).sum(axis=0) / np.maximum((expected * mask).sum(axis=0), 1e-9)
        expected = np.round(expected * scale[None, :], 1)
        lower, upper = shmi_limits(expected)
        emit("shmi", quarters, mask, observed, expected, observed / expected, np.round(lower, 4), np.round(upper, 4))

    # Staff survey: one value a year per theme, period 1 January of the survey year.
    survey_rng = _series_rng(seed, "staff_survey")
    years = np.arange(
        max(STAFF_SURVEY_YEARS[0], start.year + (start.month > 1)), min(STAFF_SURVEY_YEARS[1], end.year - 1) + 1
    )
    if years.size:
        year_spells = [
            [(s.year, None if x is None else x.year) for s, x in trust_spell] for trust_spell in trust_spells
        ]
        common = survey_rng.normal(0.0, 1.0, len(trusts))
        national_shift = (
            0.03 * (np.minimum(years, 2020) - 2014) - 0.15 * (years >= 2021) + 0.05 * np.maximum(0, years - 2022)
        )
        survey_valid = _valid_months(trusts, years * 12)
        for code, mean in STAFF_SURVEY_MEANS.items():
            own = survey_rng.normal(0.0, 0.22, len(trusts))
            noise = survey_rng.normal(0.0, 0.08, (len(trusts), years.size))
            scores = mean + national_shift[None, :] + (0.2 * common + own)[:, None] + noise
            for i, trust_spell in enumerate(year_spells):
                if trust_spell:
                    scores[i] += regime_offset(years, trust_spell, REGIME_EFFECTS[code], PRE_ENTRY_YEARS)
            emit(code, years * 12, survey_valid, values=np.round(np.clip(scores, 0.0, 10.0), 2))

    # Financial stability, 1 (best) to 4, quarterly: sticky, and a point worse in and just before a regime.
    finance_rng = _series_rng(seed, "financial_stability")
    quarters = np.arange(quarter_ceil(months[0]), months[-1] + 1, 3)
    if quarters.size:
        latent = finance_rng.normal(2.2, 0.7, len(trusts))[:, None] + ar1_noise(
            finance_rng, (len(trusts), quarters.size), 0.35, rho=0.9
        )
        for i, trust_spell in enumerate(spell_m):
            for entry, leave in trust_spell:
                latent[i] += FINANCE_REGIME_PENALTY * (
                    (quarters >= entry - 12) & ((quarters < leave) if leave is not None else True)
                )
        scores = np.clip(np.rint(latent), 1, 4)
        emit("financial_stability", quarters, _valid_months(trusts, quarters), values=scores)

    _observations_insert(rows)
    batch.rows_read = batch.rows_created = len(rows)
    batch.status, batch.finished = BatchStatus.SUCCEEDED, timezone.now()
    batch.save()
    summary.observations = len(rows)
