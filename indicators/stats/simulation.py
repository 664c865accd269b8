"""Simulation of the synthetic demo series: calibrated regime effects and seeded draws, arrays out.

The numbers behind `indicators.demo` (the part that reads the register and writes rows): month
arithmetic for the regime calendar, the interrupted-time-series offsets a regime spell adds to a
trust's series (methods §3), and the monthly proportions, quarterly SHMI, annual staff survey and
quarterly financial stability scores, as trusts × periods arrays. NumPy only, no Django: the
boundary test imports it without settings.

The calibration targets are in specs/domain.md and the evaluation report
(seeds/smq-cp-evaluation-report.txt): Table 23 (trajectories) and Table 24 (staff survey). Every
series draws from its own `numpy.random.Generator`, keyed by the seed and the series' name, so the
same seed gives the same values and adding a series leaves the others unchanged.
"""

from __future__ import annotations

import zlib
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np

from .constants import Z95
from .periods import date_index, index_date


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


# --- months ------------------------------------------------------------------------------------


def month_number(day: date) -> int:
    """Months since year 0 (January 2013 is 24156): month arithmetic without calendars."""
    return date_index(day, "monthly")


def month_start(number: int) -> date:
    """The first day of a month number."""
    return index_date(number, "monthly")


def quarter_floor(number: int) -> int:
    """The month number of the start of the quarter (Jan, Apr, Jul, Oct) containing a month."""
    return number - number % 3


def quarter_ceil(number: int) -> int:
    return number + (-number) % 3


def financial_year(day: date) -> int:
    """The starting year of the NHS financial year (April–March) containing a day."""
    return day.year if day.month >= 4 else day.year - 1


def month_of(text: str) -> int:
    """The month number of a "YYYY-MM" label."""
    year, month = text.split("-")
    return int(year) * 12 + int(month) - 1


KEOGH_ENTRY = date(2013, 7, 16)  # the 11 Keogh trusts entered SMQ together
KEOGH_M = month_number(KEOGH_ENTRY)
SMQ_FIRST_M = month_of("2013-10")  # other SMQ entries from the autumn of 2013
CP_FIRST_M = month_of("2015-10")  # the watch list began in late 2015
LAST_ENTRY_M = month_of("2019-12")  # the evaluation's 62 trusts were all in by 2019
REGIME_END_M = month_of("2021-06")  # SMQ and CP closed on 30 June 2021
REGIME_END = date(2021, 6, 30)
NOF4_FIRST_M = month_of("2021-07")
NOF4_START = date(2021, 7, 1)
SMQ_MONTHS, CP_MONTHS = (5, 49), (2, 41)  # Table 22 ranges
SMQ_MEAN_MONTHS, CP_MEAN_MONTHS = 27, 14  # Table 22 means
TRANSFER_MIN_M = REGIME_END_M - SMQ_MONTHS[1]


def expit(x):
    return 1.0 / (1.0 + np.exp(-x))


def pick(rng: np.random.Generator, options):
    """One of the options, drawn uniformly."""
    return options[int(rng.integers(len(options)))]


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
    points = np.array([month_of(text) for text, _ in anchors], dtype=float)
    values = logit([value for _, value in anchors])
    return np.interp(months, points, values)


def volume_curve(growth, months: np.ndarray) -> np.ndarray:
    points = np.array([month_of(text) for text, _ in growth], dtype=float)
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


# --- every series for a set of trusts ----------------------------------------------------------


def series_rng(seed: int, name: str) -> np.random.Generator:
    """One stream per series, keyed by name, so adding a series leaves the others' values unchanged."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def valid_periods(spans: list[tuple[date | None, date | None]], months: np.ndarray) -> np.ndarray:
    """trusts × periods: True where the trust, open from `opened` until `closed` (None: no bound), existed."""
    mask = np.ones((len(spans), months.size), dtype=bool)
    for row, (opened, closed) in enumerate(spans):
        if opened is not None:
            mask[row] &= months >= month_number(opened) + (opened.day > 1)
        if closed is not None:
            mask[row] &= months < month_number(closed) + (closed.day > 1)
    return mask


class SeriesBlock(NamedTuple):
    """One indicator's simulated values for every trust: trusts × periods arrays (None: column not held)."""

    code: str
    periods: np.ndarray  # month numbers (a quarter or survey year by its first month)
    mask: np.ndarray  # trusts × periods: True where a value exists (the trust existed, the series was published)
    numerators: np.ndarray | None = None
    denominators: np.ndarray | None = None
    values: np.ndarray | None = None
    lowers: np.ndarray | None = None
    uppers: np.ndarray | None = None


def simulate_series(
    rng: np.random.Generator,
    seed: int,
    months: np.ndarray,
    spells: list[list[tuple[date, date | None]]],
    keogh: np.ndarray,
    spans: list[tuple[date | None, date | None]],
) -> list[SeriesBlock]:
    """Monthly proportions, quarterly SHMI and finance, annual staff survey for each trust, in that order.

    `months` are the consecutive month numbers the data runs over; per trust, `spells` are its
    regime spells (entered, exited or None), `keogh` whether it was a 2013 Keogh trust and `spans`
    its (opened, closed) dates. `rng` draws the trusts' overall size ranks; each series then draws
    from `series_rng(seed, name)`.
    """
    n_trusts = len(spells)
    size_rank = rng.beta(2.0, 2.0, n_trusts)
    blocks: list[SeriesBlock] = []
    valid = valid_periods(spans, months)
    spell_m = [spell_months(s) for s in spells]
    for code, spec in SERIES.items():
        offsets = np.zeros((n_trusts, months.size))
        effect = REGIME_EFFECTS.get(code)
        if effect is not None:
            for i, trust_spell in enumerate(spell_m):
                if trust_spell:
                    offsets[i] = REGIME_TRUST_BASELINE + regime_offset(months, trust_spell, effect, PRE_ENTRY_MONTHS)
        numerators, denominators = simulate_proportion(series_rng(seed, code), spec, months, size_rank, offsets)
        mask = valid & (months <= (month_of(spec.last) if spec.last else months[-1]))[None, :]
        blocks.append(SeriesBlock(code, months, mask, numerators, denominators, numerators / denominators))

    # SHMI: quarters whose three months lie inside the months; a rolling year behind each.
    shmi_rng = series_rng(seed, "shmi")
    quarters = np.arange(quarter_ceil(months[0]), quarter_floor(months[-1] - 2) + 1, 3)
    if quarters.size:
        shmi_months = np.arange(quarters[0] - 9, quarters[-1] + 3)
        offsets = np.zeros((n_trusts, shmi_months.size))
        for i, trust_spell in enumerate(spell_m):
            if trust_spell:
                offsets[i] = REGIME_TRUST_SHMI_BASELINE + regime_offset(
                    shmi_months, trust_spell, REGIME_EFFECTS["shmi"], PRE_ENTRY_MONTHS
                )
                if keogh[i]:
                    offsets[i] += KEOGH_SHMI_EXCESS
        observed, expected = simulate_shmi(shmi_rng, shmi_months, quarters, size_rank, offsets)
        mask = valid_periods(spans, quarters)
        scale = (observed * mask).sum(axis=0) / np.maximum((expected * mask).sum(axis=0), 1e-9)
        expected = np.round(expected * scale[None, :], 1)
        lower, upper = shmi_limits(expected)
        blocks.append(
            SeriesBlock(
                "shmi", quarters, mask, observed, expected, observed / expected, np.round(lower, 4), np.round(upper, 4)
            )
        )

    # Staff survey: one value a year per theme, period 1 January of the survey year.
    blocks += simulate_staff_survey(series_rng(seed, "staff_survey"), months, spells, spans)

    # Financial stability, 1 (best) to 4, quarterly: sticky, and a point worse in and just before a regime.
    finance_rng = series_rng(seed, "financial_stability")
    quarters = np.arange(quarter_ceil(months[0]), months[-1] + 1, 3)
    if quarters.size:
        latent = finance_rng.normal(2.2, 0.7, n_trusts)[:, None] + ar1_noise(
            finance_rng, (n_trusts, quarters.size), 0.35, rho=0.9
        )
        for i, trust_spell in enumerate(spell_m):
            for entry, leave in trust_spell:
                latent[i] += FINANCE_REGIME_PENALTY * (
                    (quarters >= entry - 12) & ((quarters < leave) if leave is not None else True)
                )
        scores = np.clip(np.rint(latent), 1, 4)
        blocks.append(SeriesBlock("financial_stability", quarters, valid_periods(spans, quarters), values=scores))
    return blocks


def simulate_staff_survey(
    rng: np.random.Generator,
    months: np.ndarray,
    spells: list[list[tuple[date, date | None]]],
    spans: list[tuple[date | None, date | None]],
) -> list[SeriesBlock]:
    """Each theme's score (0–10, two decimals) per trust and survey year within the months."""
    first, last = month_start(int(months[0])), month_start(int(months[-1]))
    years = np.arange(
        max(STAFF_SURVEY_YEARS[0], first.year + (first.month > 1)), min(STAFF_SURVEY_YEARS[1], last.year - 1) + 1
    )
    if not years.size:
        return []
    n_trusts = len(spells)
    year_spells = [[(s.year, None if x is None else x.year) for s, x in trust_spell] for trust_spell in spells]
    common = rng.normal(0.0, 1.0, n_trusts)
    trend = 0.03 * (np.minimum(years, 2020) - 2014) - 0.15 * (years >= 2021) + 0.05 * np.maximum(0, years - 2022)
    survey_valid = valid_periods(spans, years * 12)
    blocks = []
    for code, mean in STAFF_SURVEY_MEANS.items():
        own = rng.normal(0.0, 0.22, n_trusts)
        noise = rng.normal(0.0, 0.08, (n_trusts, years.size))
        scores = mean + trend[None, :] + (0.2 * common + own)[:, None] + noise
        for i, trust_spell in enumerate(year_spells):
            if trust_spell:
                scores[i] += regime_offset(years, trust_spell, REGIME_EFFECTS[code], PRE_ENTRY_YEARS)
        blocks.append(SeriesBlock(code, years * 12, survey_valid, values=np.round(np.clip(scores, 0.0, 10.0), 2)))
    return blocks
