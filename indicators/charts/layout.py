"""Shared pieces of every page's figures: the NHS palette, JSON-safe numbers, the base layout, gaps, MDC icons.

Every figure is JSON-ready (NaN and infinities become None, which JSON.parse accepts and Plotly
draws as gaps). Templates embed a figure with `json_script`; static/js/charts.js draws it.
Colours are the NHS identity palette; z is always oriented so that positive = worse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

NHS_BLUE = "#005eb8"
NHS_DARK_BLUE = "#003087"
NHS_GREY = "#768692"
NHS_DARK_GREY = "#425563"
NHS_RED = "#d5281b"
NHS_WARM_YELLOW = "#ffb81c"
NHS_ORANGE = "#ed8b00"
NHS_GREEN = "#007f3b"
NHS_PURPLE = "#330072"
NHS_AQUA = "#00a499"
NHS_PINK = "#ae2573"
SERIES_COLOURS = [NHS_BLUE, NHS_ORANGE, NHS_PURPLE, NHS_AQUA, NHS_PINK, NHS_GREEN, NHS_DARK_GREY, NHS_RED]
REGIME_FILL = {"SMQ": "rgba(213,40,27,0.12)", "CP": "rgba(237,139,0,0.14)", "NOF4": "rgba(51,0,114,0.12)"}


def number(value, digits: int = 6):
    """A float fit for JSON: rounded to `digits` significant figures, None when missing or not finite."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.{digits}g}")


def iso(day) -> str | None:
    if day is None:
        return None
    return day.isoformat() if isinstance(day, date) else str(day)


def base_layout(title: str = "", **extra) -> dict:
    layout = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "margin": {"l": 60, "r": 20, "t": 44 if title else 16, "b": 48},
        "font": {"family": "Arial, Helvetica, sans-serif", "size": 12, "color": "#212b32"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "closest",
        # Legend at the foot of the figure whatever its height (Plotly grows the margin to fit it).
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        "xaxis": {"gridcolor": "#e8edee", "zeroline": False, "automargin": True},
        "yaxis": {"gridcolor": "#e8edee", "zeroline": False, "automargin": True},
        "height": 360,
    }
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def horizontal_lines(name: str, x0, x1, levels: Sequence[float], **line) -> dict:
    """One trace drawing horizontal lines at each level across [x0, x1] (gaps between them)."""
    xs, ys = [], []
    for level in levels:
        xs += [x0, x1, None]
        ys += [level, level, None]
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": xs[:-1],
        "y": ys[:-1],
        "line": {"width": 1, **line},
        "hoverinfo": "skip",
    }


def line_trace(name: str, points: Sequence[tuple], *, line: dict, marker: dict, **extra) -> dict:
    """A scatter trace of (x, y) points joined by a line, with markers (a None pair is a gap)."""
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": [x for x, _ in points],
        "y": [y for _, y in points],
        "line": line,
        "marker": marker,
        **extra,
    }


def figure(data: list[dict], layout: dict) -> dict:
    return {"data": data, "layout": layout}


def _as_date(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def with_gaps(points: Sequence[tuple], max_gap_days: int = 100) -> list[tuple]:
    """(period, value…) rows with a (None, None…) row wherever the data skip a stretch of time.

    Plotly joins consecutive points with a line; a break in the data (A&E 2019–2024, say) must show
    as a gap, not as a straight line across years. The default allows a quarter's step.
    """
    out: list[tuple] = []
    previous = None
    for point in points:
        current = _as_date(point[0])
        if previous is not None and current is not None and (current - previous).days > max_gap_days:
            out.append(tuple(None for _ in point))
        out.append(point)
        previous = current
    return out


def gap_days(cadence: str) -> int:
    """The longest step between consecutive periods that is not a gap in the data."""
    return {"annual": 400, "quarterly": 100}.get(cadence, 40)


def value_axis(kind: str) -> dict:
    if kind == "proportion":
        return {"tickformat": ".1%", "hoverformat": ".2%"}
    return {"hoverformat": ".3f"}


# Making Data Count colours: blue improvement, orange concern, purple neutral special cause, grey
# common cause. Keys are the point types of indicators.stats.spc (NHSRplotthedots' vocabulary).
SPC_POINT_STYLE = {
    "special_cause_improvement": ("Special cause: improvement", NHS_BLUE),
    "special_cause_concern": ("Special cause: concern", NHS_ORANGE),
    "special_cause_neutral_high": ("Special cause: neither better nor worse (high)", NHS_PURPLE),
    "special_cause_neutral_low": ("Special cause: neither better nor worse (low)", NHS_PURPLE),
}
SPC_ICON_TEXT = {
    "common_cause": "common cause variation",
    "special_cause_improvement": "special cause improvement",
    "special_cause_concern": "special cause concern",
    "special_cause_neutral_high": "special cause, neither better nor worse (high)",
    "special_cause_neutral_low": "special cause, neither better nor worse (low)",
}
ASSURANCE_TEXT = {
    "consistent_pass": "will consistently meet the target",
    "consistent_fail": "will consistently miss the target",
    "inconsistent": "will hit and miss the target at random",
}


def spc_icon_text(icon: str) -> str:
    return SPC_ICON_TEXT.get(icon, icon.replace("_", " ") if icon else "no chart")


def spc_icons(variation: str, assurance: str, polarity: str) -> dict:
    """The MDC icon pair as letters and CSS classes: variation (H/L arrowless badge) and assurance (P/F/?)."""
    # Which way the special cause went: improvement is high when higher is better, and so on.
    higher_is_better = polarity == "higher_is_better"
    high = {
        "special_cause_improvement": higher_is_better,
        "special_cause_concern": not higher_is_better,
        "special_cause_neutral_high": True,
        "special_cause_neutral_low": False,
    }.get(variation)
    kind = {
        "special_cause_improvement": "improvement",
        "special_cause_concern": "concern",
        "special_cause_neutral_high": "neutral",
        "special_cause_neutral_low": "neutral",
        "common_cause": "common",
    }.get(variation, "none")
    return {
        "variation_class": f"spc-{kind}",
        "variation_letter": "" if high is None else ("H" if high else "L"),
        "variation_text": spc_icon_text(variation),
        "assurance_class": f"assurance-{assurance}" if assurance else "",
        "assurance_letter": {"consistent_pass": "P", "consistent_fail": "F", "inconsistent": "?"}.get(assurance, ""),
        "assurance_text": ASSURANCE_TEXT.get(assurance, ""),
    }
