"""Plotly figures as plain dicts, one module per page: data in, figure out, no ORM and no statistics.

`layout` holds what every page shares (palette, JSON-safe numbers, base layout, gaps, MDC icons);
`trust`, `indicator`, `analytics` and `early_warning` hold each page's figures. The numbers drawn
are stored results, or arranged by indicators.stats (funnel limits and bands: indicators.stats.funnel).
The names callers use are re-exported here, so `from indicators import charts; charts.x` keeps working.
"""

from ..stats.funnel import proportion_limits, ratio_limits, spread_bands
from .analytics import competing_figure, forest_figure, survival_figure
from .early_warning import cusum_figure, reentry_figure
from .indicator import distribution_figure, funnel_figure, national_trend_figure, spread_figure
from .layout import (
    ASSURANCE_TEXT,
    NHS_AQUA,
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_DARK_GREY,
    NHS_GREEN,
    NHS_GREY,
    NHS_ORANGE,
    NHS_PINK,
    NHS_PURPLE,
    NHS_RED,
    NHS_WARM_YELLOW,
    REGIME_FILL,
    SERIES_COLOURS,
    SPC_ICON_TEXT,
    SPC_POINT_STYLE,
    figure,
    gap_days,
    iso,
    number,
    spc_icon_text,
    spc_icons,
    with_gaps,
)
from .trust import (
    EXIT_UNKNOWN_MARK_DAYS,
    FIT_DASHES,
    next_period_start,
    period_start,
    spc_figure,
    timeline_figure,
    value_figure,
    zscore_figure,
)

__all__ = [
    "ASSURANCE_TEXT",
    "EXIT_UNKNOWN_MARK_DAYS",
    "FIT_DASHES",
    "NHS_AQUA",
    "NHS_BLUE",
    "NHS_DARK_BLUE",
    "NHS_DARK_GREY",
    "NHS_GREEN",
    "NHS_GREY",
    "NHS_ORANGE",
    "NHS_PINK",
    "NHS_PURPLE",
    "NHS_RED",
    "NHS_WARM_YELLOW",
    "REGIME_FILL",
    "SERIES_COLOURS",
    "SPC_ICON_TEXT",
    "SPC_POINT_STYLE",
    "competing_figure",
    "cusum_figure",
    "reentry_figure",
    "distribution_figure",
    "figure",
    "forest_figure",
    "funnel_figure",
    "gap_days",
    "iso",
    "national_trend_figure",
    "next_period_start",
    "number",
    "period_start",
    "proportion_limits",
    "ratio_limits",
    "spc_figure",
    "spc_icon_text",
    "spc_icons",
    "spread_bands",
    "spread_figure",
    "survival_figure",
    "timeline_figure",
    "value_figure",
    "with_gaps",
    "zscore_figure",
]
