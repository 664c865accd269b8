"""The indicator page's figures: the funnel plot (or rank order for scores), the national trend, the spread of z.

The limits, their grid and the percentile bands come from indicators.stats.funnel; this module only
arranges them (and the stored values) as Plotly traces.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np

from ..stats.constants import Z95, Z998
from ..stats.funnel import funnel_grid, funnel_limits
from .layout import (
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_DARK_GREY,
    NHS_GREY,
    NHS_ORANGE,
    NHS_RED,
    base_layout,
    figure,
    gap_days,
    horizontal_lines,
    iso,
    line_trace,
    number,
    value_axis,
    with_gaps,
)


def _limit_trace(name: str, grid: np.ndarray, low: np.ndarray, high: np.ndarray, **line) -> dict:
    xs = [number(x) for x in grid]
    return {
        "type": "scatter",
        "mode": "lines",
        "name": name,
        "x": xs + [None] + xs,
        "y": [number(y) for y in low] + [None] + [number(y) for y in high],
        "line": {"width": 1.3, **line},
        "hoverinfo": "skip",
    }


def funnel_figure(
    rows: list[dict], *, kind: str, national: float | None, tau2: float | None, period_label: str, x_label: str
) -> dict:
    """Funnel plot: each trust's value against its denominator, national line, 95%/99.8% limits.

    rows: [{name, code, url, x (denominator or expected), y (value), z_adj}]. Limits are drawn with
    the period's overdispersion τ² (solid) and without it (dotted). A click on a point opens its URL.
    """
    usable = [row for row in rows if row["x"] and row["x"] > 0 and row["y"] is not None]
    # z_adj is oriented so that positive = worse: colour by side as Making Data Count does, blue
    # for better than national, orange/red for worse; red never marks better (issue 10).
    groups = [
        ("Within 95% limits", lambda z: z is None or abs(z) <= Z95, NHS_GREY),
        ("Better: beyond 95% limits", lambda z: z is not None and z < -Z95, NHS_BLUE),
        ("Worse: beyond 95% limits", lambda z: z is not None and Z95 < z <= Z998, NHS_ORANGE),
        ("Worse: beyond 99.8% limits", lambda z: z is not None and z > Z998, NHS_RED),
    ]
    value_format = ".2%" if kind == "proportion" else ".3f"
    data = []
    for name, member, colour in groups:
        chosen = [row for row in usable if member(row["z_adj"])]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": [number(row["x"]) for row in chosen],
                "y": [number(row["y"]) for row in chosen],
                "text": [f"{row['name']} ({row['code']})" for row in chosen],
                "customdata": [[row["url"], number(row["z_adj"], 3)] for row in chosen],
                "marker": {"size": 8, "color": colour, "line": {"width": 0.5, "color": "#ffffff"}},
                "hovertemplate": "%{text}<br>value %{y:"
                + value_format
                + "}<br>"
                + x_label
                + " %{x:,.0f}<br>adjusted z-score %{customdata[1]}<extra></extra>",
            }
        )
    if usable and national is not None:
        grid = funnel_grid([row["x"] for row in usable])
        data.append(
            horizontal_lines("National value", float(grid[0]), float(grid[-1]), [national], color=NHS_DARK_GREY)
        )
        for z, label, dash in ((Z95, "95%", "dash"), (Z998, "99.8%", "solid")):
            low, high = funnel_limits(kind, national, tau2, grid, z)
            low0, high0 = funnel_limits(kind, national, 0.0, grid, z)
            colour = NHS_ORANGE if z == Z95 else NHS_RED
            data.append(_limit_trace(f"{label} limits (overdispersed)", grid, low, high, color=colour, dash=dash))
            data.append(
                _limit_trace(f"{label} limits (no overdispersion)", grid, low0, high0, color=colour, dash="dot")
            )
    layout = base_layout(
        f"Funnel plot, {period_label}",
        height=460,
        xaxis={"type": "log", "title": {"text": x_label}, "dtick": "D2", "tickformat": ",.0f"},
        yaxis={"title": {"text": "value"}, **value_axis(kind)},
    )
    return figure(data, layout)


def distribution_figure(rows: list[dict], *, national: float | None, period_label: str) -> dict:
    """For indicators with no denominator (scores): each trust's value in rank order, with the mean."""
    ordered = sorted((row for row in rows if row["y"] is not None), key=lambda row: row["y"])
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Trusts",
            "x": list(range(1, len(ordered) + 1)),
            "y": [number(row["y"]) for row in ordered],
            "text": [f"{row['name']} ({row['code']})" for row in ordered],
            "customdata": [[row["url"], number(row["z_adj"], 3)] for row in ordered],
            "marker": {"size": 7, "color": NHS_BLUE},
            "hovertemplate": "%{text}<br>value %{y}<br>adjusted z-score %{customdata[1]}<extra></extra>",
        }
    ]
    if national is not None and ordered:
        data.append(horizontal_lines("National mean", 1, len(ordered), [national], color=NHS_DARK_GREY))
    layout = base_layout(
        f"Trusts' values in rank order, {period_label}",
        height=400,
        xaxis={"title": {"text": "rank"}},
        yaxis={"title": {"text": "value"}},
    )
    return figure(data, layout)


def national_trend_figure(points: Iterable[tuple[date, float | None]], *, kind: str, cadence: str = "monthly") -> dict:
    points = with_gaps(list(points), gap_days(cadence))
    data = [
        line_trace(
            "National value",
            [(iso(period), number(value)) for period, value in points],
            line={"color": NHS_BLUE},
            marker={"size": 4},
        )
    ]
    return figure(data, base_layout("National value over time", yaxis=value_axis(kind), xaxis={"type": "date"}))


def spread_figure(bands: list[dict], *, cadence: str = "monthly") -> dict:
    """Percentile bands of z_adj across trusts over time (5–95 and 25–75), the median, and ±1.96.

    Each band is a closed polygon per run of consecutive periods (fill 'toself'), so a break in the
    data leaves a gap instead of a fill drawn across it.
    """
    runs: list[list[dict]] = []
    for _period, band in with_gaps([(band["period"], band) for band in bands], gap_days(cadence)):
        if band is None:
            runs.append([])
        elif runs:
            runs[-1].append(band)
        else:
            runs.append([band])

    def polygon(low: str, high: str) -> tuple[list, list]:
        xs, ys = [], []
        for run in (run for run in runs if run):
            if xs:
                xs.append(None)
                ys.append(None)
            xs += [band["period"] for band in run] + [band["period"] for band in reversed(run)]
            ys += [number(band[high], 4) for band in run] + [number(band[low], 4) for band in reversed(run)]
        return xs, ys

    outer_x, outer_y = polygon("p5", "p95")
    inner_x, inner_y = polygon("p25", "p75")
    median = with_gaps([(band["period"], number(band["p50"], 4)) for band in bands], gap_days(cadence))
    data = [
        {"type": "scatter", "mode": "lines", "name": "5th–95th percentile", "x": outer_x, "y": outer_y,
         "fill": "toself", "fillcolor": "rgba(0,94,184,0.15)", "line": {"width": 0}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "name": "25th–75th percentile", "x": inner_x, "y": inner_y,
         "fill": "toself", "fillcolor": "rgba(0,94,184,0.30)", "line": {"width": 0}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "name": "Median adjusted z-score", "x": [p for p, _ in median],
         "y": [v for _, v in median], "line": {"color": NHS_DARK_BLUE, "width": 2}},
    ]  # fmt: skip
    if bands:
        data.append(
            horizontal_lines(
                "±1.96", bands[0]["period"], bands[-1]["period"], [Z95, -Z95], color=NHS_ORANGE, dash="dash"
            )
        )
    layout = base_layout(
        "Spread of the adjusted z-score across trusts",
        xaxis={"type": "date"},
        yaxis={"title": {"text": "adjusted z-score"}},
        hovermode="x",
    )
    return figure(data, layout)
