"""The nightly computation as plain pandas: observation frames in, result frames and records out.

No ORM here (the recompute reads and writes); this package joins `indicators.stats` into the
evaluation's pipeline: z-scores per period → ITS per trust spell → pooled effects; SPC and
CUSUM per trust; time in regime, categories and the staff-survey comparison per programme.

`meta` (taxonomy, constants, records) · `observations` (lineages, screening) · `zscores` ·
`spells` · `trajectories` (ITS, pooling) · `spc` · `alerts` (CUSUM, EWMA, early warning) ·
`pipeline` (one indicator's results) · `programme` (escalations, time in regime, categories,
staff survey) · `reentry` (time from exit to re-entry). Like `indicators.stats` it imports no Django.
"""

from ..stats import METHOD_VERSION
from .alerts import compute_alerts, compute_early_warning
from .meta import (
    FAMILIES,
    GROUP_OF_FAMILY,
    MAX_PROBLEMS_LISTED,
    ORDINAL_INDICATOR_CODES,
    POOL_GROUPS,
    QUANTITIES,
    ROLLING_YEAR_INDICATOR_CODES,
    SPC_POINTS,
    EpisodeRecord,
    IndicatorMeta,
    IndicatorResults,
)
from .observations import applicable_observations, final_successors, merge_lineages
from .pipeline import compute_indicator
from .programme import compute_categories, compute_staff_survey, compute_time_in_regime, find_escalations
from .reentry import compute_reentry, reentry_spells
from .spc import SPC_CONCERN_POINT, compute_spc, spc_concern_points
from .spells import spell_group, spell_synthetic_keys, spells_by_organisation
from .trajectories import compute_pooled, compute_trajectories
from .zscores import analysis_zscores, compute_zscores, independent_points

__all__ = [
    "FAMILIES",
    "GROUP_OF_FAMILY",
    "MAX_PROBLEMS_LISTED",
    "METHOD_VERSION",
    "ORDINAL_INDICATOR_CODES",
    "POOL_GROUPS",
    "QUANTITIES",
    "ROLLING_YEAR_INDICATOR_CODES",
    "SPC_POINTS",
    "EpisodeRecord",
    "IndicatorMeta",
    "IndicatorResults",
    "analysis_zscores",
    "applicable_observations",
    "compute_alerts",
    "compute_categories",
    "compute_early_warning",
    "compute_indicator",
    "compute_pooled",
    "compute_reentry",
    "compute_spc",
    "compute_staff_survey",
    "compute_time_in_regime",
    "compute_trajectories",
    "compute_zscores",
    "final_successors",
    "find_escalations",
    "independent_points",
    "merge_lineages",
    "reentry_spells",
    "spc_concern_points",
    "SPC_CONCERN_POINT",
    "spell_group",
    "spell_synthetic_keys",
    "spells_by_organisation",
]
