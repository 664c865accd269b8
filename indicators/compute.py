"""The nightly computation as plain pandas: observation frames in, result frames and records out.

No ORM here (the service reads and writes); this module joins `indicators.stats` into the
evaluation's pipeline: z-scores per period → ITS per trust spell → pooled effects; SPC and
CUSUM per trust; time in regime, categories and the staff-survey comparison per programme.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .page_results import with_implied_tau2
from .stats import METHOD_VERSION, periods
from .stats.categories import performance_categories
from .stats.constants import Z95
from .stats.early_warning import (
    expected_false_alarms_per_month,
    panel_cusum,
    panel_self_baseline_ewma,
    slipping,
)
from .stats.its import fit_its
from .stats.pooling import dersimonian_laird
from .stats.spc import xmr_panel
from .stats.spells import Spell, build_spells, follows_on
from .stats.staff_survey import binomial_test_vs, signed_rank
from .stats.survival import aalen_johansen, exit_within_target, kaplan_meier
from .stats.zscores import panel_proportion_z, panel_ratio_z, panel_score_z, to_quarters

QUANTITIES = ("pre_slope", "level_change", "slope_change_during", "slope_change_after")

# --- the regime taxonomy, by meaning ----------------------------------------------------------
# Analyses read a regime's family (a Regime row's attribute), never its code, so a regime added
# as a row is analysed by what it is. Family values are trusts.constants.RegimeFamily's (this
# module imports no Django, so they are spelled here; a test holds the two equal).
QUALITY = "quality_special_measures"
FINANCE = "finance_special_measures"
WATCH_LIST = "watch_list"
RECOVERY = "recovery_support"
IMPROVEMENT = "improvement_programme"
FAMILIES = (QUALITY, FINANCE, WATCH_LIST, RECOVERY, IMPROVEMENT)
# The pooled / time-in-regime group each family reports under (indicators.constants.RegimeGroup).
GROUP_OF_FAMILY = {QUALITY: "SMQ", WATCH_LIST: "CP", RECOVERY: "NOF4", FINANCE: "SMF", IMPROVEMENT: "IMP"}
# Spells join episodes within a stream: the evaluation's quality programme (watch list → special
# measures → recovery support) is one stream; finance special measures and improvement
# programmes run alongside it and are analysed as their own spells.
STREAM_OF_FAMILY = {QUALITY: "quality", WATCH_LIST: "quality", RECOVERY: "quality", FINANCE: "finance"}
# The seeded taxonomy, for callers (tests, scripts) that give codes only.
SEEDED_FAMILIES = {"SMQ": QUALITY, "QSM": QUALITY, "CP": WATCH_LIST, "NOF4": RECOVERY, "SMF": FINANCE, "FSM": FINANCE}

# Recorded routes (trusts.constants.EpisodeRoute); "" means the record does not say.
ROUTE_ESCALATED = "escalated_from_cp"
ROUTE_RE_ENTRY = "re_entry"
ROUTE_TRANSFERRED = "transferred"
ROUTE_DIRECT = "direct"
ROUTE_NOT_RECORDED = ""
ESCALATION_GUESS_DAYS = 31  # without a recorded route, an SMQ entry this close to a CP exit is an escalation
SPC_POINTS = 36  # an XmR chart of the latest three years, limits from those points (MDC practice)
SPC_TARGETS = {"ed_4hr": 0.05}  # the constitutional standard: 95% seen within 4 hours
# Rolling-year indicators: each quarterly SHMI publication covers the latest 12 months, so
# consecutive values share nine months of deaths. Fed to XmR, CUSUM or Prais–Winsten as if
# independent they would look smoother and more autocorrelated than the process is, so those
# use non-overlapping years only: every fourth publication, anchored on the latest (methods §2).
# ITS on those annual points needs six years in each segment, which an 18-month pre-entry window
# never holds, so SHMI gets no ITS fit rather than one with standard errors the overlap invalidates.
ROLLING_YEAR_INDICATOR_CODES = frozenset({"shmi"})
# Ordinal scores: a rating of 1–4 has no mean or moving range an XmR chart could use (issue 10).
ORDINAL_INDICATOR_CODES = frozenset({"financial_stability"})
RECENT_ALERT_MONTHS = 12
EWMA_ARL0 = 500  # in-control average run length (periods) of the EWMA with λ = 0.2, L = 2.962
ALERT_COLUMNS = [
    "organisation_id",
    "period",
    "statistic",
    "kind",
    "threshold",
]  # the slipping list looks at signals in the latest year of data


@dataclass(frozen=True)
class IndicatorMeta:
    """What the pipeline needs to know about one indicator."""

    id: int
    code: str
    kind: str
    cadence: str
    polarity: str
    pre_window_months: int
    # Missing periods a run of data may span before it counts as two runs (stats.periods).
    gap_tolerance: int = periods.DEFAULT_GAP_TOLERANCE
    analysis_cadence: str = ""  # blank: the cadence
    target: float | None = None
    applies_to: tuple[str, ...] = ()  # organisation kinds; empty: every kind
    # (organisation id, first period of the chart) of each SPC chart a person rebased (SpcRebase).
    rebases: tuple[tuple[int, date], ...] = ()

    @property
    def its_cadence(self) -> str:
        """The cadence of the ITS fits and pooled effects."""
        return self.analysis_cadence or self.cadence


@dataclass(frozen=True)
class EpisodeRecord:
    """One regime episode as the pipeline sees it."""

    organisation_id: int
    regime: str
    entered: date
    exited: date | None
    route: str = "direct"
    family: str = ""  # the Regime row's family; blank: the seeded family of the code, if any
    # The exit happened but is not recorded (the 2013 Keogh entries): counted as an entry, never as
    # open, and left out of every analysis that needs the exit (spells, ITS, time in regime…).
    exit_unknown: bool = False
    synthetic: bool = False

    @property
    def regime_family(self) -> str:
        return self.family or SEEDED_FAMILIES.get(self.regime, "")

    @property
    def route_recorded(self) -> bool:
        return self.route != ROUTE_NOT_RECORDED


@dataclass(frozen=True)
class RegimeSpell(Spell):
    """A spell with the families of its regimes, in order (what its pooling group is read from)."""

    families: tuple[str, ...] = ()


@dataclass
class IndicatorResults:
    """Everything computed for one indicator."""

    national: pd.DataFrame
    zscores: pd.DataFrame
    trajectories: list[dict] = field(default_factory=list)
    pooled: list[dict] = field(default_factory=list)
    spc: list[dict] = field(default_factory=list)
    alerts: pd.DataFrame | None = None
    problems: list[dict] = field(default_factory=list)


# Kept as names of this module for callers; the calendar itself lives in stats.periods.
period_number = periods.period_index
date_number = periods.date_index


def _higher_is_worse(meta: IndicatorMeta) -> bool:
    # Neutral indicators (staffing shares) keep the natural direction: positive z = higher than national.
    return meta.polarity != "higher_is_better"


# --- observations in: lineages and row screening -------------------------------------------------

MAX_PROBLEMS_LISTED = 500  # per run; the count of all problems is stored beside the list


def final_successors(successor_of: dict[int, int]) -> dict[int, int]:
    """{organisation: the last successor of its lineage} for every organisation that has one (cycles cut)."""
    out = {}
    for org in successor_of:
        current, seen = org, {org}
        while current in successor_of and successor_of[current] not in seen:
            current = successor_of[current]
            seen.add(current)
        if current != org:
            out[org] = current
    return out


def merge_lineages(frame: pd.DataFrame, final_of: dict[int, int]) -> pd.DataFrame:
    """Each lineage's series under its last successor: per period, numerators and denominators summed.

    `final_of` maps a predecessor to its last successor (`final_successors`). A predecessor's rows
    become its successor's, so national values count the lineage once and the successor's series
    runs back through its predecessors. Where two codes of a lineage report the same period the
    counts add up; published limits cannot be combined, so a combined ratio row has none (and is
    rebuilt from its summed observed and expected); a score is averaged.
    """
    if not final_of or frame.empty:
        return frame
    mapped = frame["organisation_id"].map(final_of)
    if not mapped.notna().any():
        return frame
    frame = frame.assign(organisation_id=mapped.fillna(frame["organisation_id"]).astype("int64"))
    keys = ["indicator_id", "organisation_id", "period"]
    shared = frame.duplicated(keys, keep=False)
    if not shared.any():
        return frame
    grouped = frame[shared].groupby(keys, sort=False)
    combined = grouped[["numerator", "denominator"]].sum(min_count=1)
    combined["value"] = grouped["value"].mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = combined["numerator"] / combined["denominator"]
    has_counts = combined["numerator"].notna() & (combined["denominator"] > 0)
    combined["value"] = combined["value"].where(~has_counts | combined["value"].isna(), ratio)
    combined["lower"] = np.nan
    combined["upper"] = np.nan
    # Any other column (the batch, the synthetic flag): the largest, so a combined row is synthetic
    # when any of its parts was.
    for column in frame.columns.difference([*keys, "numerator", "denominator", "value", "lower", "upper"]):
        combined[column] = grouped[column].max()
    combined = combined.reset_index()[frame.columns]
    return pd.concat([frame[~shared], combined], ignore_index=True)


def screen_rows(frame: pd.DataFrame, meta: IndicatorMeta) -> tuple[pd.DataFrame, list[dict]]:
    """The rows fit to analyse, and a problem (with its reason) for each row that is not.

    One bad row never fails a run: it is left out and reported on the run. Rows with nothing
    reported (no value, no counts) are simply not data and are not problems.
    """
    missing = np.full(len(frame), np.nan)  # a frame of scores may carry no counts at all
    num = frame["numerator"].to_numpy(dtype=float) if "numerator" in frame else missing
    den = frame["denominator"].to_numpy(dtype=float) if "denominator" in frame else missing
    value = frame["value"].to_numpy(dtype=float) if "value" in frame else missing
    reasons = np.full(len(frame), "", dtype=object)

    def flag(mask, reason):
        mask = mask & (reasons == "")
        reasons[mask] = reason

    with np.errstate(invalid="ignore"):
        flag(np.isinf(num) | np.isinf(den) | np.isinf(value), "a value is infinite")
        flag((num < 0) | (den < 0), "a negative count")
        if meta.kind == "proportion":
            flag(num > den, "the numerator exceeds the denominator")
            flag(np.isfinite(num) & (den == 0), "a numerator over a zero denominator")
        elif meta.kind == "ratio":
            upper = frame["upper"].to_numpy(dtype=float)
            has_value = np.isfinite(value) | (np.isfinite(num) & np.isfinite(den))
            flag(np.isfinite(value) & (value <= 0), "a ratio of zero or less cannot be scored on the log scale")
            limits_ok = np.isfinite(upper) & (upper > 1)
            counts_ok = np.isfinite(num) & np.isfinite(den) & (num > 0) & (den > 0)
            flag(
                has_value & ~limits_ok & ~counts_ok,
                "no published upper limit above 1 and no observed and expected counts to rebuild limits from",
            )
    bad = reasons != ""
    if not bad.any():
        return frame, []
    rows = frame[bad]
    problems = [
        {
            "indicator": meta.code,
            "organisation_id": int(org),
            "period": pd.Timestamp(period).date().isoformat(),
            "reason": reason,
        }
        for org, period, reason in zip(rows["organisation_id"], rows["period"], reasons[bad], strict=True)
    ]
    return frame[~bad], problems


def compute_zscores(frame: pd.DataFrame, meta: IndicatorMeta) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-row z and z_adj for one indicator's observations, and the per-period national values."""
    work = frame.rename(columns={"organisation_id": "org"})
    if meta.kind == "proportion":
        work = work[(work["denominator"] > 0) & work["numerator"].notna()]
        scored = panel_proportion_z(
            work[["org", "period", "numerator", "denominator"]], higher_is_worse=_higher_is_worse(meta)
        )
        national = scored.groupby("period", sort=True).agg(
            national=("national", "first"), phi=("phi", "first"), tau2=("tau2", "first"), n_trusts=("org", "size")
        )
        scored["value"] = scored["numerator"] / scored["denominator"]
    elif meta.kind == "ratio":
        # SHMI-like ratios: published limits where a row has them, otherwise limits rebuilt from
        # observed (numerator) and expected (denominator) over the period's trusts (methods §2).
        observed = work["numerator"].to_numpy(dtype=float)
        expected = work["denominator"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            from_counts = np.where(expected > 0, observed / expected, np.nan)
        value = work["value"].to_numpy(dtype=float)
        work = work.assign(value=np.where(value > 0, value, from_counts), observed=observed, expected=expected)
        work = work[work["value"] > 0]
        scored = panel_ratio_z(work[["org", "period", "value", "upper", "observed", "expected"]])
        scored = scored[scored["method"] != ""].copy()
        rebuilt = (scored["method"] == "counts").to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            ucl = np.exp(Z95 * np.sqrt(1.0 / scored["expected"].to_numpy(dtype=float) + scored["tau2"].to_numpy()))
        scored["upper"] = np.where(rebuilt, ucl, scored["upper"].to_numpy(dtype=float))
        scored["limits_rebuilt"] = rebuilt
        national = scored.groupby("period", sort=True).agg(
            tau2=("tau2", "first"), n_trusts=("org", "size"), national=("value", "median")
        )
        national["national"] = 1.0  # an observed/expected ratio is 1 nationally by construction
        national["phi"] = np.nan
        scored["numerator"] = scored["observed"]
        scored["denominator"] = scored["expected"]
    else:
        work = work[work["value"].notna()]
        scored = panel_score_z(work[["org", "period", "value"]], higher_is_worse=meta.polarity == "lower_is_better")
        national = scored.groupby("period", sort=True).agg(national=("value", "mean"), n_trusts=("org", "size"))
        national["phi"] = np.nan
        national["tau2"] = np.nan
        scored["numerator"] = np.nan
        scored["denominator"] = np.nan
    if meta.kind != "ratio":
        scored["upper"] = np.nan
        scored["limits_rebuilt"] = False
    zscores = scored[
        ["org", "period", "numerator", "denominator", "value", "z", "z_adj", "upper", "limits_rebuilt"]
    ].rename(columns={"org": "organisation_id"})
    return national.reset_index(), zscores.reset_index(drop=True)


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


def _coefficient_dict(fit) -> dict:
    out = {}
    for name in QUANTITIES:
        coefficient = fit[name]
        if coefficient is not None and np.isfinite(coefficient.se) and coefficient.se > 0:
            out[name] = {
                "estimate": float(coefficient.estimate),
                "se": float(coefficient.se),
                "ci_low": float(coefficient.ci_low),
                "ci_high": float(coefficient.ci_high),
            }
    return out


_period_label = periods.index_label


def compute_trajectories(
    zscores: pd.DataFrame, meta: IndicatorMeta, spells: dict[int, list[Spell]], cadence: str | None = None
) -> list[dict]:
    """One interrupted-time-series fit per trust spell with enough data (methods §3), at `cadence`.

    `zscores` are at `cadence` (default the indicator's own; the analysis cadence when the
    evaluation analysed it coarser, e.g. ED by quarter). A window never bridges a gap in the data:
    the fit uses only the run (stats.periods) holding the last observed period before entry, so a
    segment that would cross a gap stops at it, and a fit whose segment is then too short is not
    made (methods §3, minimum data).
    """
    cadence = cadence or meta.cadence
    if meta.cadence == "annual" or zscores.empty:
        return []  # annual series (staff survey): entry-versus-exit comparisons instead (issue 10)
    pre_periods = meta.pre_window_months // periods.STEP_MONTHS[cadence]
    finite = zscores[np.isfinite(zscores["z_adj"].to_numpy(dtype=float))]
    numbers = period_number(finite["period"], cadence)
    z_values = finite["z_adj"].to_numpy(dtype=float)
    by_org = {}
    for org, index in finite.groupby("organisation_id").indices.items():
        order = index[np.argsort(numbers[index], kind="stable")]
        by_org[org] = (numbers[order], z_values[order])
    fits = []
    for org, org_spells in spells.items():
        if org not in by_org:
            continue
        org_idx, org_z = by_org[org]
        for spell in org_spells:
            entry = date_number(spell.entered, cadence)
            # t_x is the first period after exit: the period after the one containing the exit date.
            exit_ = date_number(spell.exited, cadence) + 1 if spell.exited else None
            reentry = date_number(spell.re_entry_after, cadence) if spell.re_entry_after else None
            if exit_ is not None and exit_ <= entry:
                exit_ = entry + 1
            if reentry is not None and exit_ is not None and reentry < exit_:
                reentry = exit_
            in_run = periods.run_containing(org_idx, entry - 1, meta.gap_tolerance)
            if not in_run.any():
                continue  # no data before entry: nothing to compare against
            idx, z = org_idx[in_run], org_z[in_run]
            fit = fit_its(z, idx, entry, exit_, reentry, pre_periods=pre_periods)
            if fit is None:
                continue
            coefficients = _coefficient_dict(fit)
            if not coefficients:
                continue
            observed = dict(zip(fit.t.astype(int).tolist(), fit.observed.tolist(), strict=False))
            start, end = int(fit.window[0]), int(fit.window[-1])
            series = [
                {
                    "period": _period_label(int(number), cadence),
                    "z_adj": _finite(observed.get(position + 1)),
                    "fitted": _finite(fitted),
                    "counterfactual": _finite(counterfactual),
                }
                for position, (number, fitted, counterfactual) in enumerate(
                    zip(fit.window, fit.fitted, fit.counterfactual, strict=True)
                )
            ]
            fits.append(
                {
                    "organisation_id": org,
                    "regime_group": spell_group(spell),
                    "spell_entered": spell.entered,
                    "spell_exited": spell.exited,
                    "regimes": ">".join(spell.regimes),
                    "method": fit.method,
                    "n": int(fit.n),
                    "n_change_points": int(fit.n_change_points),
                    "rho": _finite(fit.rho),
                    "durbin_watson": _finite(fit.dw),
                    "coefficients": coefficients,
                    "series": series,
                    "window_start": periods.index_date(start, cadence),
                    "window_end": periods.index_date(end, cadence),
                    "cadence": cadence,
                }
            )
    return fits


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


POOL_GROUPS = {"SMQ": {"SMQ"}, "CP": {"CP"}, "SMQ+CP": {"SMQ", "CP"}, "NOF4": {"NOF4"}, "SMF": {"SMF"}, "IMP": {"IMP"}}
# Groups reported even when empty (the evaluation's Table 23); the others appear once a spell has a fit.
ALWAYS_POOLED = ("SMQ", "CP", "SMQ+CP", "NOF4")


def compute_pooled(trajectories: list[dict]) -> list[dict]:
    """The Table-23 rows: each coefficient pooled across trusts by DerSimonian–Laird, per regime group."""
    rows = []
    for group, members in POOL_GROUPS.items():
        fits = [fit for fit in trajectories if fit["regime_group"] in members]
        if not fits and group not in ALWAYS_POOLED:
            continue
        for quantity in QUANTITIES:
            pairs = [
                (fit["coefficients"][quantity]["estimate"], fit["coefficients"][quantity]["se"])
                for fit in fits
                if quantity in fit["coefficients"]
            ]
            pooled = dersimonian_laird([p[0] for p in pairs], [p[1] for p in pairs]) if pairs else None
            row = {
                "regime_group": group,
                "quantity": quantity,
                "n": len(pairs),
                # Pooled from any synthetic fit: the pooled number is synthetic too.
                "synthetic": any(fit.get("synthetic", False) for fit in fits if quantity in fit["coefficients"]),
            }
            if pooled is not None:
                row.update(
                    estimate=pooled.estimate,
                    se=pooled.se,
                    ci_low=pooled.ci_low,
                    ci_high=pooled.ci_high,
                    tau2=pooled.tau2,
                    i2=pooled.i2,
                    fixed_estimate=pooled.fixed_estimate,
                )
            rows.append(row)
    return rows


def _direction(meta: IndicatorMeta) -> str:
    return {"lower_is_better": "decrease", "higher_is_better": "increase"}.get(meta.polarity, "neutral")


def independent_points(zscores: pd.DataFrame, meta: IndicatorMeta) -> tuple[pd.DataFrame, str]:
    """The rows whose values do not overlap, and their cadence: non-overlapping years of a rolling year."""
    if meta.code not in ROLLING_YEAR_INDICATOR_CODES or zscores.empty or meta.cadence == "annual":
        return zscores, meta.cadence
    index = period_number(zscores["period"], meta.cadence)
    # One anchor for every trust (the latest period of the indicator), so all charts use the same years.
    keep = periods.non_overlapping_annual(index, meta.cadence, anchor=int(index.max()))
    return zscores[keep], "annual"


def _latest_runs(ordered: pd.DataFrame, meta: IndicatorMeta, cadence: str) -> tuple[np.ndarray, dict[int, bool]]:
    """Rows (sorted by trust, period) in each trust's latest run, and whether earlier runs were dropped."""
    if ordered.empty:
        return np.zeros(0, dtype=bool), {}
    orgs = ordered["organisation_id"].to_numpy()
    index = period_number(ordered["period"], cadence)
    new_org = np.r_[True, orgs[1:] != orgs[:-1]]
    new_run = new_org | np.r_[False, np.diff(index) > meta.gap_tolerance + 1]
    run = np.cumsum(new_run)
    ends = np.r_[np.flatnonzero(new_org)[1:], len(orgs)] - 1
    last_run = np.repeat(run[ends], np.diff(np.r_[0, ends + 1]))
    keep = run == last_run
    first_run = np.repeat(run[np.flatnonzero(new_org)], np.diff(np.r_[0, ends + 1]))
    dropped = {int(org): bool(flag) for org, flag in zip(orgs[ends], (last_run != first_run)[ends], strict=True)}
    return keep, dropped


def _latest_rebases(meta: IndicatorMeta) -> dict[int, pd.Timestamp]:
    """Each rebased trust's latest rebase period (only the last segment is charted)."""
    latest: dict[int, pd.Timestamp] = {}
    for organisation_id, period in meta.rebases:
        stamp = pd.Timestamp(period)
        if organisation_id not in latest or stamp > latest[organisation_id]:
            latest[organisation_id] = stamp
    return latest


def _rebase_label(stamp: pd.Timestamp | None) -> str | None:
    return None if stamp is None else stamp.strftime("%Y-%m-%d")


def compute_spc(zscores: pd.DataFrame, meta: IndicatorMeta) -> list[dict]:
    """An XmR chart of each trust's latest values (methods §5), with its icons."""
    charts = []
    if meta.cadence == "annual" or meta.code in ORDINAL_INDICATOR_CODES:
        return charts  # a few annual points, or a 1–4 rating: no XmR (issue 10)
    direction = _direction(meta)
    target = meta.target if meta.target is not None else SPC_TARGETS.get(meta.code)
    points, cadence = independent_points(zscores, meta)
    ordered = points[np.isfinite(points["value"].to_numpy(dtype=float))]
    ordered = ordered.sort_values(["organisation_id", "period"], kind="stable")
    # Only each trust's latest run of consecutive periods is charted: limits drawn across a gap
    # of years (A&E 2019–2024) would compare two different processes. `gap_before` says so.
    keep, gap_before = _latest_runs(ordered, meta, cadence)
    ordered = ordered[keep]
    # A rebased chart is drawn from its rebase period on: its limits are the new process's.
    rebased_from = _latest_rebases(meta)
    if rebased_from:
        starts = ordered["organisation_id"].map(rebased_from)
        ordered = ordered[starts.isna().to_numpy() | (ordered["period"] >= starts).to_numpy()]
    orgs = ordered["organisation_id"].to_numpy()
    values = ordered["value"].to_numpy(dtype=float)
    # Format each distinct period once (a few dozen) rather than every row.
    period_codes, periods = pd.factorize(ordered["period"], use_na_sentinel=False)
    labels = pd.Series(periods).dt.strftime("%Y-%m-%d").to_numpy()[period_codes].tolist()
    if len(orgs) == 0:
        return charts
    # One slice per trust (rows are sorted by trust), the last SPC_POINTS of each.
    starts = np.flatnonzero(np.r_[True, orgs[1:] != orgs[:-1]])
    ends = np.r_[starts[1:], len(orgs)]
    firsts = np.maximum(starts, ends - SPC_POINTS)
    lengths = ends - firsts
    # All the charts in one call: trust r's slice right-aligned in row r, NaN before it.
    width = int(lengths.max())
    matrix = np.full((len(firsts), width), np.nan)
    offsets = width - lengths
    row_of_point = np.repeat(np.arange(len(firsts)), lengths)
    within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    matrix[row_of_point, offsets[row_of_point] + within] = values[firsts[row_of_point] + within]
    charted = np.flatnonzero(np.isfinite(matrix).sum(axis=1) >= 2)
    if len(charted) == 0:
        return charts
    panel = xmr_panel(matrix[charted], improvement_direction=direction, target=target)
    rules, kinds = panel.rule.tolist(), panel.point_type.tolist()
    shown = [None if value != value else value for value in np.where(np.isfinite(values), values, np.nan).tolist()]
    for chart, row in enumerate(charted.tolist()):
        first, last, offset = int(firsts[row]), int(ends[row]), int(offsets[row])
        charts.append(
            {
                "organisation_id": int(orgs[first]),
                "gap_before": bool(gap_before.get(int(orgs[first]), False)),
                "rebased_from": _rebase_label(rebased_from.get(int(orgs[first]))),
                "target": target,
                "mean": _finite(panel.mean[chart]),
                "upper": _finite(panel.upper[chart]),
                "lower": _finite(panel.lower[chart]),
                "trial_limits": bool(panel.trial_limits[chart]),
                "variation_icon": panel.variation_icon[chart],
                "assurance": panel.assurance[chart] or "",
                "points": [
                    {"period": period, "value": value, "rule": rule, "point_type": kind}
                    for period, value, rule, kind in zip(
                        labels[first:last], shown[first:last], rules[chart][offset:], kinds[chart][offset:], strict=True
                    )
                ],
            }
        )
    return charts


def compute_alerts(zscores: pd.DataFrame, meta: IndicatorMeta, k: float, h: float) -> pd.DataFrame:
    """CUSUM signals on each trust's z_adj (methods §6); one row per signal."""
    if meta.cadence == "annual" or zscores.empty:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    points, cadence = independent_points(zscores, meta)
    frame = points.rename(columns={"organisation_id": "org"})
    frame = frame[np.isfinite(frame["z_adj"].to_numpy(dtype=float))].sort_values(["org", "period"], kind="stable")
    if frame.empty:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    # The CUSUM restarts after a gap: each run of consecutive periods is its own series.
    index = period_number(frame["period"], cadence)
    orgs = frame["org"].to_numpy()
    new_run = np.r_[True, orgs[1:] != orgs[:-1]] | np.r_[False, np.diff(index) > meta.gap_tolerance + 1]
    frame = frame.assign(indicator=np.cumsum(new_run))
    scored = panel_cusum(frame[["org", "indicator", "period", "z_adj"]], k=k, h=h)
    fired = scored[scored["signal"]]
    # The statistic is reset after a signal; report the crossing value, h + the excess that fired it.
    level = pd.DataFrame(
        {
            "organisation_id": fired["org"].to_numpy(),
            "period": fired["period"].to_numpy(),
            "statistic": np.maximum(fired["cusum"].to_numpy(dtype=float), h),
            "kind": "cusum",
            "threshold": h,
        }
    )
    # Slippage against the trust's own history (methods §6): z standardised on its trailing 24
    # periods (σ = mean MR / 1.128), then a two-sided EWMA (λ = 0.2, L = 2.962, ARL₀ ≈ 500).
    # Like the CUSUM it restarts after a gap (each run is its own series); only rises count, as
    # positive z is worse.
    own = panel_self_baseline_ewma(frame[["org", "indicator", "period", "z_adj"]])
    own = own[own["signal"] & (own["ewma"] > 0)]
    drift = pd.DataFrame(
        {
            "organisation_id": own["org"].to_numpy(),
            "period": own["period"].to_numpy(),
            "statistic": own["ewma"].to_numpy(dtype=float),
            "kind": "ewma",
            "threshold": own["limit"].to_numpy(dtype=float),
        }
    )
    return pd.concat([level, drift], ignore_index=True) if len(drift) else level


def analysis_zscores(frame: pd.DataFrame, zscores: pd.DataFrame, meta: IndicatorMeta) -> tuple[pd.DataFrame, str]:
    """z-scores at the indicator's analysis cadence, and that cadence (methods §1: quarterly analysis).

    A monthly proportion analysed quarterly sums r and n over each calendar quarter, then scores
    the quarters (never averaging monthly z). Only complete quarters (all three months reported)
    are scored, so a quarter straddling the start or end of a gap is not a part-quarter. Other
    kinds, or no coarser cadence, keep the displayed z-scores.
    """
    if meta.code in ROLLING_YEAR_INDICATOR_CODES:
        return independent_points(zscores, meta)
    cadence = meta.its_cadence
    if cadence == meta.cadence or meta.kind != "proportion" or meta.cadence != "monthly" or cadence != "quarterly":
        return zscores, meta.cadence
    monthly = frame.rename(columns={"organisation_id": "org"})
    monthly = monthly[(monthly["denominator"] > 0) & monthly["numerator"].notna()]
    quarters = to_quarters(monthly[["org", "period", "numerator", "denominator"]])
    quarters = quarters[quarters["n_months"] == 3].drop(columns="n_months")
    if quarters.empty:
        return quarters.assign(z_adj=[]).rename(columns={"org": "organisation_id"}), cadence
    quarters = quarters.assign(period=pd.to_datetime(quarters["period"])).rename(columns={"org": "organisation_id"})
    _, quarterly = compute_zscores(quarters, meta)
    return quarterly, cadence


UNCLASSIFIED_KIND = "other"  # trusts.constants.OrganisationKind.OTHER (the stats side imports no app)


def applicable_observations(frame: pd.DataFrame, meta: IndicatorMeta, kinds: dict[int, str]) -> pd.DataFrame:
    """The observations of organisations the indicator applies to (its kinds), so no other is scored.

    Dropped before the z-scores, so an organisation the indicator does not apply to neither gets a
    z-score, chart or alert nor moves the national value the others are compared with.
    """
    if not meta.applies_to:
        return frame
    org_kinds = frame["organisation_id"].map(kinds)
    # An organisation whose kind the registers do not give ("other", not yet classified) is judged
    # from the data: it reported the indicator, so it applies.
    unknown = org_kinds.isna() | (org_kinds == UNCLASSIFIED_KIND)
    return frame[(org_kinds.isin(meta.applies_to) | unknown).to_numpy()]


def compute_indicator(
    frame: pd.DataFrame,
    meta: IndicatorMeta,
    spells: dict[int, list[Spell]],
    k: float = 0.5,
    h: float = 4.389,
    synthetic_spells: frozenset = frozenset(),
) -> IndicatorResults:
    """Every per-indicator result: national values, z-scores, trajectories, pooled effects, SPC, alerts.

    Provenance: when `frame` has a boolean `synthetic` column (the observation came from generated
    demo data), each fit, pooled effect, chart and alert says whether any of its inputs was
    synthetic; a fit around a synthetic episode (`synthetic_spells`: (organisation, spell entry)) is
    synthetic whatever its observations.
    """
    frame, problems = screen_rows(frame, meta)
    national, zscores = compute_zscores(frame, meta)
    national = with_implied_tau2(national, zscores, meta.kind)  # stored for the funnel page
    its_zscores, its_cadence = analysis_zscores(frame, zscores, meta)
    trajectories = compute_trajectories(its_zscores, meta, spells, cadence=its_cadence)
    spc = compute_spc(zscores, meta)
    alerts = compute_alerts(zscores, meta, k, h)
    _mark_synthetic(frame, meta, trajectories, spc, alerts, synthetic_spells)
    pooled = [dict(row, cadence=its_cadence) for row in compute_pooled(trajectories)]
    return IndicatorResults(
        national=national,
        zscores=zscores,
        trajectories=trajectories,
        pooled=pooled,
        spc=spc,
        alerts=alerts,
        problems=problems,
    )


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


def _mark_synthetic(frame, meta, trajectories, spc, alerts, synthetic_spells) -> None:
    """Set `synthetic` on each fit, chart and alert (in place) from its inputs' provenance."""
    flags = frame["synthetic"].to_numpy(dtype=bool) if "synthetic" in frame.columns else np.zeros(len(frame), bool)
    marked = frame.loc[flags, ["organisation_id", "period"]]
    months_by_org: dict[int, np.ndarray] = {
        int(org): np.sort(periods.month_index(group["period"])) for org, group in marked.groupby("organisation_id")
    }

    def any_between(org: int, first: int, last: int) -> bool:
        months = months_by_org.get(int(org))
        if months is None:
            return False
        at = int(np.searchsorted(months, first))
        return at < len(months) and months[at] <= last

    for fit in trajectories:
        first = periods.month_index([fit["window_start"]])[0]
        step = periods.STEP_MONTHS[fit["cadence"]]
        last = periods.month_index([fit["window_end"]])[0] + step - 1  # to the end of the last period
        fit["synthetic"] = (fit["organisation_id"], fit["spell_entered"]) in synthetic_spells or any_between(
            fit["organisation_id"], first, last
        )
    step = 12 if meta.code in ROLLING_YEAR_INDICATOR_CODES else periods.STEP_MONTHS[meta.cadence]
    for chart in spc:
        if chart["points"]:
            first = periods.month_index([chart["points"][0]["period"]])[0] - (step - 1 if step == 12 else 0)
            last = periods.month_index([chart["points"][-1]["period"]])[0]
            chart["synthetic"] = any_between(chart["organisation_id"], first, last)
        else:
            chart["synthetic"] = False
    if len(alerts):
        months = periods.month_index(alerts["period"])
        alerts["synthetic"] = [
            any_between(org, month, month) for org, month in zip(alerts["organisation_id"], months, strict=True)
        ]
    else:
        alerts["synthetic"] = pd.Series(dtype=bool)


# --- whole-programme results --------------------------------------------------------------------


def _months(start: date, end: date) -> float:
    return (end - start).days / (365.25 / 12)


def compute_early_warning(
    alerts: pd.DataFrame,
    episodes: list[EpisodeRecord],
    n_charts,
    data_end: date | None,
    k: float,
    h: float,
    spc_concerns: pd.DataFrame | None = None,
) -> dict:
    """Trusts in no regime "slipping" recently (methods §6), with the expected false-alarm rate.

    Slipping: two or more indicators signalling (level CUSUM or self-baseline EWMA) within six
    months, or one signal in a month its SPC chart marks a concern (`spc_concerns`: org,
    indicator, period). `n_charts` is {cadence: charts}; the false-alarm rate is per month, so a
    quarterly chart (one point a quarter) adds a third of a monthly chart's rate.
    """
    counts = n_charts if isinstance(n_charts, dict) else {"monthly": n_charts}
    total = sum(counts.values())
    payload = {
        "k": k,
        "h": h,
        "n_charts": total,
        "n_charts_by_cadence": counts,
        "expected_false_alarms_per_month": expected_false_alarms_per_month(counts, k=k, h=h) if total else 0.0,
        # The EWMA is calibrated to the same in-control ARL (≈ 500 periods), so it adds about as many.
        "expected_false_alarms_per_month_ewma": (
            sum(count / (EWMA_ARL0 * periods.STEP_MONTHS[cadence]) for cadence, count in counts.items())
        ),
        "window_months": 6,
        "recent_months": RECENT_ALERT_MONTHS,
        "slipping": [],
    }
    if alerts.empty or data_end is None:
        return payload
    cutoff = pd.Timestamp(data_end) - pd.DateOffset(months=RECENT_ALERT_MONTHS)
    recent = alerts[pd.to_datetime(alerts["period"]) > cutoff]
    in_regime = {
        e.organisation_id
        for e in episodes
        if (e.exited is None and not e.exit_unknown) or (e.exited is not None and e.exited >= data_end)
    }
    recent = recent[~recent["organisation_id"].isin(in_regime)]
    if recent.empty:
        return payload
    signals = recent.rename(columns={"organisation_id": "org", "indicator_id": "indicator"})
    concerns = None
    if spc_concerns is not None and not spc_concerns.empty:
        concerns = spc_concerns.rename(columns={"organisation_id": "org", "indicator_id": "indicator"})
    slipping_rows = slipping(signals[["org", "indicator", "period"]], spc_concerns=concerns)
    payload["slipping"] = [
        {
            "organisation_id": int(row.org),
            "first_period": pd.Timestamp(row.first_period).date().isoformat(),
            "last_period": pd.Timestamp(row.last_period).date().isoformat(),
            "indicator_ids": [int(i) for i in row.indicators],
            "n_indicators": int(row.n_indicators),
            "with_spc_concern": bool(row.with_spc_concern),
        }
        for row in slipping_rows.itertuples()
    ]
    return payload


def spc_concern_points(charts: list[dict], indicator_id: int) -> pd.DataFrame:
    """(organisation_id, indicator_id, period) of every SPC point typed special_cause_concern."""
    rows = [
        (chart["organisation_id"], indicator_id, point["period"])
        for chart in charts
        for point in chart["points"]
        if point["point_type"] == "special_cause_concern"
    ]
    frame = pd.DataFrame(rows, columns=["organisation_id", "indicator_id", "period"])
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


@dataclass(frozen=True)
class Escalation:
    """A watch-list (CP) episode followed by quality special measures, as recorded or inferred from dates."""

    organisation_id: int
    cp_entered: date
    smq_entered: date
    inferred: bool


def find_escalations(episodes: list[EpisodeRecord]) -> list[Escalation]:
    """Escalations from the watch list to quality special measures: the recorded route decides.

    A quality episode recorded `escalated_from_cp` escalates the organisation's latest watch-list
    episode entered before it, however long ago that ended. Only a quality episode whose route
    is not recorded falls back to the dates (entry within 31 days of a watch-list exit), and that
    escalation is marked inferred. Any other recorded route (direct, transferred, re-entry) is
    not an escalation. Each watch-list episode escalates at most once.
    """
    by_org: dict[int, list[EpisodeRecord]] = defaultdict(list)
    for episode in episodes:
        by_org[episode.organisation_id].append(episode)
    found: list[Escalation] = []
    for org, items in by_org.items():
        watch = sorted((e for e in items if e.regime_family == WATCH_LIST), key=lambda e: e.entered)
        quality = sorted((e for e in items if e.regime_family == QUALITY), key=lambda e: e.entered)
        used: set[date] = set()
        for q in quality:
            if q.route == ROUTE_ESCALATED:
                before = [cp for cp in watch if cp.entered <= q.entered and cp.entered not in used]
                if before:
                    used.add(before[-1].entered)
                    found.append(Escalation(org, before[-1].entered, q.entered, inferred=False))
            elif not q.route_recorded:
                near = [
                    cp
                    for cp in watch
                    if cp.exited is not None
                    and cp.entered not in used
                    and abs((q.entered - cp.exited).days) <= ESCALATION_GUESS_DAYS
                ]
                if near:
                    used.add(near[-1].entered)
                    found.append(Escalation(org, near[-1].entered, q.entered, inferred=True))
    return found


@dataclass
class _Stay:
    """Consecutive episodes of one family joined (SMQ then QSM is one stay), unless a re-entry is recorded."""

    organisation_id: int
    entered: date
    exited: date | None
    codes: list[str]
    entries: list[date]
    route: str


def _stays(episodes: list[EpisodeRecord], family: str) -> list[_Stay]:
    by_org: dict[int, list[EpisodeRecord]] = defaultdict(list)
    for episode in episodes:
        if episode.regime_family == family:
            by_org[episode.organisation_id].append(episode)
    stays: list[_Stay] = []
    for org, items in by_org.items():
        current: _Stay | None = None
        for e in sorted(items, key=lambda x: (x.entered, x.exited or date.max)):
            joins = (
                current is not None
                and e.route != ROUTE_RE_ENTRY
                and (current.exited is None or follows_on(current.exited, e.entered))
            )
            if joins:
                current.exited = None if (current.exited is None or e.exited is None) else max(current.exited, e.exited)
                current.codes.append(e.regime)
                current.entries.append(e.entered)
                continue
            current = _Stay(org, e.entered, e.exited, [e.regime], [e.entered], e.route)
            stays.append(current)
    return stays


def compute_time_in_regime(episodes: list[EpisodeRecord], targets: dict[str, int | None], cutoff: date) -> dict:
    """Kaplan–Meier time to exit per regime family, CP's competing escalation, re-entry and Table 29 (methods §7).

    The unit is a stay in one family (consecutive episodes joined, so SMQ then QSM is one stay);
    a stay's exit target is its regimes' (`targets`, by code). Groups are keyed SMQ (quality
    special measures), CP (watch list), NOF4 (recovery support), SMF (finance), IMP (improvement).
    """
    result = {"cutoff": cutoff.isoformat(), "ci_type": "log-log", "regimes": {}}
    # An episode whose exit is not recorded counts as an entry but has no time in the regime.
    known_exit = [e for e in episodes if not e.exit_unknown]
    escalations = find_escalations(known_exit)
    escalated_cp = {(e.organisation_id, e.cp_entered): e for e in escalations}
    for family in (QUALITY, WATCH_LIST, RECOVERY, FINANCE, IMPROVEMENT):
        group = GROUP_OF_FAMILY[family]
        entries = [e for e in episodes if e.regime_family == family and e.entered <= cutoff]
        n_exit_unknown = sum(1 for e in entries if e.exit_unknown)
        if n_exit_unknown:
            result.setdefault("exit_unknown", {})[group] = n_exit_unknown
        all_stays = _stays(known_exit, family)
        chosen = [stay for stay in all_stays if stay.entered <= cutoff]
        if not chosen:
            continue
        durations = np.array([_months(e.entered, min(e.exited or cutoff, cutoff)) for e in chosen])
        exited = np.array([e.exited is not None and e.exited <= cutoff for e in chosen])
        km = kaplan_meier(durations, exited)
        codes = sorted({code for stay in chosen for code in stay.codes})
        known = [targets[code] for code in codes if targets.get(code)]
        target = min(known) if known else None
        grid = np.arange(0, int(np.ceil(durations.max())) + 1)
        curve = {
            "months": grid.tolist(),
            "survival": [float(v) for v in np.atleast_1d(km.survival_at(grid))],
            "ci_low": [],
            "ci_high": [],
        }
        for month in grid:
            low, high = km.ci_at(month, "log-log")
            curve["ci_low"].append(_finite(low))
            curve["ci_high"].append(_finite(high))
        entry = {
            "family": family,
            "codes": codes,
            "n": len(chosen),
            "n_entries": len(entries),
            "n_exit_unknown": n_exit_unknown,
            "n_exited": int(exited.sum()),
            "mean_months_exited": float(durations[exited].mean()) if exited.any() else None,
            "min_months_exited": float(durations[exited].min()) if exited.any() else None,
            "max_months_exited": float(durations[exited].max()) if exited.any() else None,
            "target_months": target,
            "curve": curve,
        }
        if target:
            entry["still_in_at_target"] = float(km.survival_at(target))
            entry["exited_by_target_km"] = 1.0 - float(km.survival_at(target))
            low, high = km.ci_at(target, "log-log")
            entry["still_in_at_target_ci"] = [_finite(low), _finite(high)]
            # Re-entry: months from this stay's exit to the same organisation's next stay in the family.
            to_reentry, reentered = [], []
            for e in chosen:
                if e.exited is None:
                    to_reentry.append(np.inf)
                    reentered.append(False)
                    continue
                later = [
                    x.entered for x in all_stays if x.organisation_id == e.organisation_id and x.entered > e.exited
                ]
                if later:
                    to_reentry.append(_months(e.exited, min(later)))
                    reentered.append(True)
                else:
                    to_reentry.append(_months(e.exited, cutoff))
                    reentered.append(False)
            outcome = exit_within_target(
                durations, exited, np.array(to_reentry), np.array(reentered), target_months=target
            )
            entry["primary_consequence"] = {
                "n": outcome.n,
                "n_determined": outcome.n_determined,
                "n_success": outcome.n_success,
                "share": _finite(outcome.share),
                "share_of_all": _finite(outcome.share_of_all),
            }
            entry["n_reentered"] = int(np.sum(reentered))
        entry["n_reentry_recorded"] = sum(1 for stay in chosen if stay.route == ROUTE_RE_ENTRY)
        if family == WATCH_LIST:
            # Escalation to quality special measures competes with exit (Aalen–Johansen), as recorded.
            causes, inferred = [], 0
            for e, did_exit in zip(chosen, exited, strict=True):
                escalation = next(
                    (
                        escalated_cp[(e.organisation_id, day)]
                        for day in e.entries
                        if (e.organisation_id, day) in escalated_cp
                    ),
                    None,
                )
                if not did_exit:
                    causes.append(0)
                    continue
                causes.append(2 if escalation else 1)
                inferred += bool(escalation and escalation.inferred)
            causes = np.array(causes)
            exit_cif = aalen_johansen(durations, causes, 1)
            escalation_cif = aalen_johansen(durations, causes, 2)
            entry["n_escalated"] = int((causes == 2).sum())
            entry["n_escalated_inferred"] = inferred
            entry["competing"] = {
                "months": grid.tolist(),
                "exit": [float(v) for v in np.atleast_1d(exit_cif.at(grid))],
                "escalation": [float(v) for v in np.atleast_1d(escalation_cif.at(grid))],
            }
            if target:
                entry["exit_by_target_aj"] = float(exit_cif.at(target))
                entry["escalated_by_target_aj"] = float(escalation_cif.at(target))
        result["regimes"][group] = entry
    return result


def compute_categories(episodes: list[EpisodeRecord], ratings: dict[int, list[tuple[date, str]]], as_of: date) -> dict:
    """Performance categories of report Table 3 for every organisation ever in quality special measures or CP.

    Episodes are read by family (QSM is quality special measures like SMQ); "poor performer" is an
    escalation from CP as `find_escalations` finds it (recorded routes, dates only where none is
    recorded: those organisations are listed under `inferred`).
    """
    as_code = {QUALITY: "SMQ", WATCH_LIST: "CP"}
    by_org: dict[int, list[tuple]] = defaultdict(list)
    for e in episodes:
        # The categories need each stay's length and exit: an episode without a recorded exit is left out.
        if e.regime_family in as_code and not e.exit_unknown:
            by_org[e.organisation_id].append((as_code[e.regime_family], e.entered, e.exited, e.route))
    escalations: dict[int, list[Escalation]] = defaultdict(list)
    for escalation in find_escalations(episodes):
        escalations[escalation.organisation_id].append(escalation)
    per_org = {}
    inferred = {}
    counts: dict[str, int] = defaultdict(int)
    for org, items in by_org.items():
        found = escalations.get(org, [])
        categories = sorted(performance_categories(items, ratings.get(org), as_of=as_of, escalated=bool(found)))
        per_org[str(org)] = categories
        if found and all(escalation.inferred for escalation in found):
            inferred[str(org)] = ["poor_performer"]
        for category in categories:
            counts[category] += 1
    return {
        "n_organisations": len(per_org),
        "counts": dict(counts),
        "organisations": per_org,
        "inferred": inferred,
        "n_inferred": len(inferred),
    }


def compute_staff_survey(
    survey: dict[str, pd.DataFrame],
    spells: dict[int, list[Spell]],
    theme_names: dict[str, str],
    groups: dict[tuple[int, int], str] | None = None,
) -> dict:
    """Table 24: deviation from the benchmarking-group mean at entry against exit; Figure 6: bottom quartile.

    `groups` maps (organisation_id, survey year) to the organisation's benchmarking group; each
    score deviates from the mean of its year and group. Organisations without a stored group
    (synthetic years) form one group per year, so there the comparator is the national mean.
    """
    themes = []
    groups = groups or {}
    for code, frame in survey.items():
        if frame.empty:
            continue
        frame = frame.assign(year=pd.DatetimeIndex(frame["period"]).year)
        frame = frame.assign(
            group=[groups.get((int(org), int(year)), "") for org, year in zip(frame["organisation_id"], frame["year"])]
        )
        mean = frame.groupby(["year", "group"])["value"].transform("mean")
        frame = frame.assign(deviation=frame["value"] - mean)
        q25 = frame.groupby("year")["value"].transform(lambda s: s.quantile(0.25))
        frame = frame.assign(bottom=frame["value"] <= q25)
        lookup = {(row.organisation_id, row.year): row for row in frame.itertuples()}
        entry_dev, exit_dev, bottom = [], [], []
        for org, all_spells in spells.items():
            # The evaluation's programme only: finance and improvement-programme spells run alongside it.
            org_spells = [spell for spell in all_spells if spell_group(spell) in ("SMQ", "CP", "NOF4")]
            if not org_spells:
                continue
            first = org_spells[0]
            at_entry = lookup.get((org, first.entered.year))
            if at_entry is not None:
                bottom.append(bool(at_entry.bottom))
            for spell in org_spells:
                if spell.exited is None or spell_group(spell) == "NOF4":
                    continue
                start = lookup.get((org, spell.entered.year))
                end = lookup.get((org, spell.exited.year))
                if start is not None and end is not None and spell.exited.year > spell.entered.year:
                    entry_dev.append(start.deviation)
                    exit_dev.append(end.deviation)
                    break
        row = {
            "code": code,
            "name": theme_names.get(code, code),
            "n": len(entry_dev),
            "comparator": "benchmarking group" if (frame["group"] != "").any() else "national",
        }
        if len(entry_dev) >= 2:
            test = signed_rank(np.array(entry_dev), np.array(exit_dev))
            row.update(
                mean_entry=float(np.mean(entry_dev)),
                mean_exit=float(np.mean(exit_dev)),
                statistic=_finite(test.statistic),
                p_value=_finite(test.p_value),
                method=test.method,
            )
        if bottom:
            quartile = binomial_test_vs(sum(bottom), len(bottom), 0.25)
            row["bottom_quartile"] = {
                "k": int(sum(bottom)),
                "n": len(bottom),
                "share": sum(bottom) / len(bottom),
                "p_value": _finite(quartile.p_value),
                "ci": [_finite(quartile.ci_low), _finite(quartile.ci_high)],
            }
        themes.append(row)
    return {"themes": themes}


__all__ = ["METHOD_VERSION", "compute_indicator"]
