"""What the pipeline knows before it computes: the regime taxonomy by meaning, the constants, the records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ..stats import periods
from ..stats.spells import Spell

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


# The calendar lives in stats.periods; these are its names in the pipeline.
period_number = periods.period_index
date_number = periods.date_index


MAX_PROBLEMS_LISTED = 500  # per run; the count of all problems is stored beside the list


def finite_or_none(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


POOL_GROUPS = {"SMQ": {"SMQ"}, "CP": {"CP"}, "SMQ+CP": {"SMQ", "CP"}, "NOF4": {"NOF4"}, "SMF": {"SMF"}, "IMP": {"IMP"}}
# Groups reported even when empty (the evaluation's Table 23); the others appear once a spell has a fit.
ALWAYS_POOLED = ("SMQ", "CP", "SMQ+CP", "NOF4")
