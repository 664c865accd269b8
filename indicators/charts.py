"""Plotly figures as plain dicts: data in, figure out, no ORM.

Every figure is JSON-ready (NaN and infinities become None, which JSON.parse accepts and Plotly
draws as gaps). Templates embed a figure with `json_script`; static/js/charts.js draws it.
Colours are the NHS identity palette; z is always oriented so that positive = worse.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date

import numpy as np

from .stats.constants import Z95, Z998

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


def _layout(title: str = "", **extra) -> dict:
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


def _horizontal(name: str, x0, x1, levels: Sequence[float], **line) -> dict:
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


# --- trust page ----------------------------------------------------------------------------------


def period_start(day: date, cadence: str) -> date:
    """The first day of the period (month, quarter or year) containing `day`."""
    if cadence == "quarterly":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if cadence == "annual":
        return date(day.year, 1, 1)
    return date(day.year, day.month, 1)


def next_period_start(day: date, cadence: str) -> date:
    start = period_start(day, cadence)
    step = {"monthly": 1, "quarterly": 3, "annual": 12}.get(cadence, 1)
    total = start.year * 12 + start.month - 1 + step
    return date(total // 12, total % 12 + 1, 1)


def _segments(series: list[dict], entered: date, exited: date | None, cadence: str) -> list[int]:
    """Which ITS segment (0 before entry, 1 during, 2 after exit) each series point is in."""
    entry = period_start(entered, cadence).isoformat()
    after = next_period_start(exited, cadence).isoformat() if exited else None
    out = []
    for point in series:
        period = point["period"][:10]
        out.append(0 if period < entry else (2 if after and period >= after else 1))
    return out


# (fitted, counterfactual) dash styles, one pair per spell drawn on the same chart.
FIT_DASHES = (("solid", "dash"), ("dashdot", "dot"), ("longdash", "longdashdot"))


def zscore_figure(
    points: Iterable[tuple[date, float | None]],
    spells: Iterable[dict],
    fits: Iterable[dict],
    *,
    cadence: str,
    title: str = "Adjusted z-score against England (positive = worse)",
) -> dict:
    """z_adj over time with the national zero line, ±1.96 and ±3.09 bands, regime spells, ITS fits.

    spells: [{regime, entered, exited}] (shaded); fits: [{label, entered, exited, series}] where
    series is TrajectoryFit.series [{period, z_adj, fitted, counterfactual}].
    """
    points = [(iso(period), number(z)) for period, z in with_gaps(list(points), gap_days(cadence))]
    periods = [period for period, _ in points if period]
    first = periods[0] if periods else None
    last = periods[-1] if periods else None
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Adjusted z-score",
            "x": [period for period, _ in points],
            "y": [z for _, z in points],
            "line": {"color": NHS_BLUE, "width": 1.5},
            "marker": {"size": 4},
            "hovertemplate": "%{x|%b %Y}: adjusted z-score %{y:.2f}<extra></extra>",
        },
        _horizontal("National (z = 0)", first, last, [0], color=NHS_DARK_GREY, width=1.5),
        _horizontal("95% limits (±1.96)", first, last, [Z95, -Z95], color=NHS_ORANGE, dash="dash"),
        _horizontal("99.8% limits (±3.09)", first, last, [Z998, -Z998], color=NHS_RED, dash="dot"),
    ]
    shapes, annotations = [], []
    for spell in spells:
        end = iso(spell["exited"]) or last
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": iso(spell["entered"]),
                "x1": end,
                "y0": 0,
                "y1": 1,
                "fillcolor": REGIME_FILL.get(spell["regime"], "rgba(118,134,146,0.15)"),
                "line": {"width": 0},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "x": iso(spell["entered"]),
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "text": spell["regime"],
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "top",
                "font": {"size": 11, "color": NHS_DARK_GREY},
            }
        )
    for index, fit in enumerate(fits):
        series = fit["series"]
        segment = _segments(series, fit["entered"], fit["exited"], cadence)
        xs, fitted, cf_x, cf_y = [], [], [], []
        for position, point in enumerate(series):
            if position and segment[position] != segment[position - 1]:
                xs.append(None)
                fitted.append(None)  # a break: each ITS segment is its own line
            xs.append(point["period"])
            fitted.append(number(point["fitted"]))
            # The counterfactual is the pre-entry trend carried over the spell only: from the last
            # pre-entry period to the last in-regime period the fit used, never past exit (issue 10).
            following = segment[position + 1] if position + 1 < len(series) else segment[position]
            if segment[position] == 1 or (segment[position] == 0 and following == 1):
                cf_x.append(point["period"])
                cf_y.append(number(point["counterfactual"]))
        # One line style per spell, the spell named in the legend, so two spells are never confused.
        dash = FIT_DASHES[index % len(FIT_DASHES)]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"ITS fit ({fit['label']})",
                "x": xs,
                "y": fitted,
                "line": {"color": NHS_DARK_BLUE, "width": 2.5, "dash": dash[0]},
                "legendgroup": f"fit{index}",
                "hovertemplate": "%{x|%b %Y}: fitted %{y:.2f}<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"Counterfactual: pre-entry trend ({fit['label']})",
                "x": cf_x,
                "y": cf_y,
                "line": {"color": NHS_DARK_BLUE, "width": 1.5, "dash": dash[1]},
                "legendgroup": f"fit{index}",
                "hovertemplate": "%{x|%b %Y}: counterfactual %{y:.2f}<extra></extra>",
            }
        )
    layout = _layout(
        title,
        shapes=shapes,
        annotations=annotations,
        yaxis={"title": {"text": "adjusted z-score (positive = worse)"}},
        xaxis={"type": "date"},
    )
    return figure(data, layout)


def _value_axis(kind: str) -> dict:
    if kind == "proportion":
        return {"tickformat": ".1%", "hoverformat": ".2%"}
    return {"hoverformat": ".3f"}


def value_figure(
    trust_points: Iterable[tuple[date, float | None]],
    national_points: Iterable[tuple[date, float | None]],
    *,
    kind: str,
    trust_label: str,
    cadence: str = "monthly",
    title: str = "Value against the national value",
) -> dict:
    trust_points = with_gaps(list(trust_points), gap_days(cadence))
    periods = {iso(period) for period, _ in trust_points if period}
    national = with_gaps(
        [(iso(period), number(value)) for period, value in national_points if iso(period) in periods],
        gap_days(cadence),
    )
    national_name = "National mean" if kind == "score" else "National value"
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": trust_label,
            "x": [iso(period) for period, _ in trust_points],
            "y": [number(value) for _, value in trust_points],
            "line": {"color": NHS_BLUE, "width": 1.5},
            "marker": {"size": 4},
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": national_name,
            "x": [period for period, _ in national],
            "y": [value for _, value in national],
            "line": {"color": NHS_DARK_GREY, "width": 1.5, "dash": "dash"},
        },
    ]
    layout = _layout(title, yaxis=_value_axis(kind), xaxis={"type": "date"}, hovermode="x unified")
    return figure(data, layout)


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


def spc_figure(
    points: list[dict],
    *,
    mean,
    upper,
    lower,
    icon: str,
    trial: bool,
    kind: str,
    cadence: str = "monthly",
    target=None,
    gap_before: bool = False,
    title: str = "SPC (XmR) chart",
) -> dict:
    """An XmR chart: values, mean, process limits, target, special-cause points coloured by MDC type."""
    periods = [point["period"] for point in points]
    first, last = (periods[0], periods[-1]) if periods else (None, None)
    line = with_gaps([(point["period"], number(point["value"])) for point in points], gap_days(cadence))
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Value",
            "x": [period for period, _ in line],
            "y": [value for _, value in line],
            "line": {"color": NHS_GREY, "width": 1.5},
            "marker": {"size": 5, "color": NHS_GREY},
        },
        _horizontal("Mean", first, last, [number(mean)], color=NHS_DARK_GREY, width=1.5),
        _horizontal(
            "Process limits" + (" (trial)" if trial else ""),
            first,
            last,
            [number(upper), number(lower)],
            color=NHS_DARK_GREY,
            dash="dash",
        ),
    ]
    if target is not None:
        data.append(_horizontal("Target", first, last, [number(target)], color=NHS_DARK_BLUE, dash="dot", width=2))
    for point_type, (label, colour) in SPC_POINT_STYLE.items():
        chosen = [point for point in points if point.get("point_type") == point_type]
        if chosen:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": label,
                    "x": [point["period"] for point in chosen],
                    "y": [number(point["value"]) for point in chosen],
                    "text": [point.get("rule", "") for point in chosen],
                    "marker": {"size": 9, "color": colour, "line": {"width": 1, "color": "#ffffff"}},
                    "hovertemplate": "%{x|%b %Y}: %{y} (%{text})<extra></extra>",
                }
            )
    note = " (latest unbroken run of data only)" if gap_before else ""
    layout = _layout(f"{title}{note}: {spc_icon_text(icon)}", yaxis=_value_axis(kind), xaxis={"type": "date"})
    return figure(data, layout)


EXIT_UNKNOWN_MARK_DAYS = 60


def timeline_figure(items: list[dict], *, today: date, title: str = "Timeline") -> dict:
    """Horizontal bars per lane: items [{lane, label, start, end (None = ongoing), colour[, exit_unknown]}].

    An item with `exit_unknown` (an entry whose exit is not recorded) is drawn as a short faded
    mark at its start, labelled "exit not recorded", not as a bar running to today.
    """
    lanes = []
    for item in items:
        if item["lane"] not in lanes:
            lanes.append(item["lane"])
    data = []
    day_ms = 86_400_000
    for item in items:
        unknown = item.get("exit_unknown") and not item["end"]
        end = item["end"] or today
        duration = (EXIT_UNKNOWN_MARK_DAYS if unknown else max((end - item["start"]).days, 1)) * day_ms
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": item["label"],
                "y": [item["lane"]],
                "x": [duration],
                "base": [item["start"].isoformat()],
                "marker": {"color": item.get("colour", NHS_BLUE), "opacity": 0.45 if unknown else 1},
                "text": [item["label"]],
                "textposition": "inside",
                "insidetextanchor": "start",
                "hovertemplate": f"{item['label']}: {item['start']:%d %b %Y} – "
                + (f"{item['end']:%d %b %Y}" if item["end"] else "exit not recorded" if unknown else "ongoing")
                + "<extra></extra>",
                "showlegend": False,
            }
        )
    layout = _layout(
        title,
        barmode="overlay",
        height=90 + 46 * max(len(lanes), 1),
        xaxis={"type": "date"},
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(lanes)), "automargin": True},
        margin={"l": 120},
    )
    return figure(data, layout)


# --- indicator page ------------------------------------------------------------------------------


def proportion_limits(national: float, tau2: float, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits for a proportion on the square-root scale (methods §1): (lower, upper) in p.

    y0 = √π (π the smaller tail), limit = (y0 ± z·√(1/(4n) + τ²))², mapped back to p.
    """
    flipped = national > 0.5
    pi = 1.0 - national if flipped else national
    spread = z * np.sqrt(1.0 / (4.0 * n) + (tau2 or 0.0))
    y0 = math.sqrt(pi)
    high = np.clip(y0 + spread, 0.0, 1.0) ** 2
    low = np.clip(y0 - spread, 0.0, None) ** 2
    if flipped:
        return 1.0 - high, 1.0 - low
    return low, high


def ratio_limits(tau2: float, expected: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Funnel limits of an observed/expected ratio on the log scale (methods §2): exp(±z·√(1/E + τ²))."""
    spread = z * np.sqrt(1.0 / expected + (tau2 or 0.0))
    return np.exp(-spread), np.exp(spread)


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
        xs = np.array([row["x"] for row in usable], dtype=float)
        grid = np.geomspace(max(xs.min() * 0.8, 1.0), xs.max() * 1.2, 80)
        data.append(_horizontal("National value", float(grid[0]), float(grid[-1]), [national], color=NHS_DARK_GREY))
        for z, label, dash in ((Z95, "95%", "dash"), (Z998, "99.8%", "solid")):
            if kind == "ratio":
                low, high = ratio_limits(tau2 or 0.0, grid, z)
                low0, high0 = ratio_limits(0.0, grid, z)
            else:
                low, high = proportion_limits(national, tau2 or 0.0, grid, z)
                low0, high0 = proportion_limits(national, 0.0, grid, z)
            colour = NHS_ORANGE if z == Z95 else NHS_RED
            data.append(_limit_trace(f"{label} limits (overdispersed)", grid, low, high, color=colour, dash=dash))
            data.append(
                _limit_trace(f"{label} limits (no overdispersion)", grid, low0, high0, color=colour, dash="dot")
            )
    layout = _layout(
        f"Funnel plot, {period_label}",
        height=460,
        xaxis={"type": "log", "title": {"text": x_label}, "dtick": "D2", "tickformat": ",.0f"},
        yaxis={"title": {"text": "value"}, **_value_axis(kind)},
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
        data.append(_horizontal("National mean", 1, len(ordered), [national], color=NHS_DARK_GREY))
    layout = _layout(
        f"Trusts' values in rank order, {period_label}",
        height=400,
        xaxis={"title": {"text": "rank"}},
        yaxis={"title": {"text": "value"}},
    )
    return figure(data, layout)


def national_trend_figure(points: Iterable[tuple[date, float | None]], *, kind: str, cadence: str = "monthly") -> dict:
    points = with_gaps(list(points), gap_days(cadence))
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "National value",
            "x": [iso(period) for period, _ in points],
            "y": [number(value) for _, value in points],
            "line": {"color": NHS_BLUE},
            "marker": {"size": 4},
        }
    ]
    return figure(data, _layout("National value over time", yaxis=_value_axis(kind), xaxis={"type": "date"}))


SPREAD_PERCENTILES = (5, 25, 50, 75, 95)


def spread_bands(rows: Iterable[tuple[date, float]]) -> list[dict]:
    """Per period: the 5th, 25th, 50th, 75th and 95th percentiles of z_adj across trusts, and n."""
    by_period: dict[str, list[float]] = {}
    for period, z in rows:
        if z is not None and math.isfinite(z):
            by_period.setdefault(iso(period), []).append(z)
    bands = []
    for period in sorted(by_period):
        values = np.array(by_period[period])
        quantiles = np.percentile(values, SPREAD_PERCENTILES)
        bands.append({"period": period, "n": len(values), **dict(zip(("p5", "p25", "p50", "p75", "p95"), quantiles))})
    return bands


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
            _horizontal("±1.96", bands[0]["period"], bands[-1]["period"], [Z95, -Z95], color=NHS_ORANGE, dash="dash")
        )
    layout = _layout(
        "Spread of the adjusted z-score across trusts",
        xaxis={"type": "date"},
        yaxis={"title": {"text": "adjusted z-score"}},
        hovermode="x",
    )
    return figure(data, layout)


# --- regime analytics ----------------------------------------------------------------------------


def forest_figure(trusts: list[dict], pooled: dict | None, *, title: str) -> dict:
    """Each trust's coefficient ± 95% CI and the pooled random-effects diamond.

    trusts: [{label, estimate, ci_low, ci_high, url}]; pooled: {estimate, ci_low, ci_high, n} or None.
    """
    positions = list(range(len(trusts), 0, -1))
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Trust estimate (95% CI)",
            "x": [number(row["estimate"]) for row in trusts],
            "y": positions,
            "text": [row.get("hover", row["label"]) for row in trusts],
            "customdata": [row.get("url") for row in trusts],
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": [number(row["ci_high"] - row["estimate"]) for row in trusts],
                "arrayminus": [number(row["estimate"] - row["ci_low"]) for row in trusts],
                "color": NHS_GREY,
                "thickness": 1.2,
                "width": 0,
            },
            "marker": {"symbol": "square", "size": 7, "color": NHS_BLUE},
            "hovertemplate": "%{text}: %{x:.4f}<extra></extra>",
        }
    ]
    ticks = [row["label"] for row in trusts]
    tickvals = list(positions)
    if pooled and pooled.get("estimate") is not None:
        y = -1
        low, mid, high = pooled["ci_low"], pooled["estimate"], pooled["ci_high"]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"Pooled (random effects, n = {pooled['n']})",
                "x": [number(low), number(mid), number(high), number(mid), number(low)],
                "y": [y, y + 0.45, y, y - 0.45, y],
                "fill": "toself",
                "fillcolor": NHS_DARK_BLUE,
                "line": {"color": NHS_DARK_BLUE},
                "hovertemplate": f"Pooled {mid:.4f} ({low:.4f} to {high:.4f})<extra></extra>",
            }
        )
        ticks.append("Pooled")
        tickvals.append(y)
    shapes = [
        {"type": "line", "xref": "x", "yref": "paper", "x0": 0, "x1": 0, "y0": 0, "y1": 1,
         "line": {"color": NHS_DARK_GREY, "width": 1}}
    ]  # fmt: skip
    layout = _layout(
        title,
        height=max(220, 110 + 17 * (len(trusts) + 2)),
        shapes=shapes,
        yaxis={"tickvals": tickvals, "ticktext": ticks, "automargin": True, "range": [-2, len(trusts) + 1]},
        xaxis={"title": {"text": "coefficient on the adjusted z-score (negative = better)"}},
        showlegend=True,
    )
    return figure(data, layout)


def survival_figure(curves: dict[str, dict], *, title: str = "Still in the regime (Kaplan–Meier)") -> dict:
    """Kaplan–Meier probability of still being in each regime by months since entry, with CI bands.

    curves: {regime: {months, survival, ci_low, ci_high, target_months}}.
    """
    colours = {"SMQ": NHS_RED, "CP": NHS_ORANGE, "NOF4": NHS_PURPLE}
    fills = {"SMQ": "rgba(213,40,27,0.14)", "CP": "rgba(237,139,0,0.16)", "NOF4": "rgba(51,0,114,0.14)"}
    data, shapes = [], []
    for regime, curve in curves.items():
        months = curve["months"]
        colour = colours.get(regime, NHS_BLUE)
        data.append(
            {"type": "scatter", "mode": "lines", "name": f"{regime} CI low", "x": months,
             "y": [number(v, 4) for v in curve["ci_low"]], "line": {"width": 0, "shape": "hv"},
             "showlegend": False, "hoverinfo": "skip", "legendgroup": regime}
        )  # fmt: skip
        data.append(
            {"type": "scatter", "mode": "lines", "name": f"{regime} 95% CI", "x": months,
             "y": [number(v, 4) for v in curve["ci_high"]], "fill": "tonexty",
             "fillcolor": fills.get(regime, "rgba(0,94,184,0.15)"), "line": {"width": 0, "shape": "hv"},
             "hoverinfo": "skip", "legendgroup": regime}
        )  # fmt: skip
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": regime,
                "x": months,
                "y": [number(v, 4) for v in curve["survival"]],
                "line": {"color": colour, "width": 2.5, "shape": "hv"},
                "legendgroup": regime,
                "hovertemplate": regime + " month %{x}: %{y:.1%} still in<extra></extra>",
            }
        )
        if curve.get("target_months"):
            shapes.append(
                {"type": "line", "xref": "x", "yref": "paper", "x0": curve["target_months"],
                 "x1": curve["target_months"], "y0": 0, "y1": 1, "line": {"color": colour, "dash": "dot"}}
            )  # fmt: skip
    layout = _layout(
        title,
        shapes=shapes,
        xaxis={"title": {"text": "months since entry"}},
        yaxis={"title": {"text": "share still in the regime"}, "tickformat": ".0%", "range": [0, 1.02]},
    )
    return figure(data, layout)


def competing_figure(competing: dict, *, title: str = "CP: exit against escalation to SMQ (Aalen–Johansen)") -> dict:
    months = competing["months"]
    data = [
        {"type": "scatter", "mode": "lines", "name": "Exited CP", "x": months,
         "y": [number(v, 4) for v in competing["exit"]], "line": {"color": NHS_GREEN, "width": 2.5, "shape": "hv"}},
        {"type": "scatter", "mode": "lines", "name": "Escalated to SMQ", "x": months,
         "y": [number(v, 4) for v in competing["escalation"]], "line": {"color": NHS_RED, "width": 2.5, "shape": "hv"}},
    ]  # fmt: skip
    layout = _layout(
        title,
        xaxis={"title": {"text": "months since entry"}},
        yaxis={"title": {"text": "cumulative incidence"}, "tickformat": ".0%", "range": [0, 1.02]},
    )
    return figure(data, layout)


# --- early warning -------------------------------------------------------------------------------


def cusum_figure(series: list[dict], *, h: float, title: str = "CUSUM of the adjusted z-score") -> dict:
    """One CUSUM line per indicator with the decision interval h and the signals marked.

    series: [{label, periods, statistic, signals (periods)}].
    """
    data = []
    first = last = None
    for index, line in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        periods = [iso(period) for period in line["periods"]]
        if periods:
            first = min(first or periods[0], periods[0])
            last = max(last or periods[-1], periods[-1])
        # A quarter's step is no gap (quarterly indicators); a longer break in the data is.
        points = with_gaps(list(zip(periods, (number(v, 4) for v in line["statistic"]), strict=True)))
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": line["label"],
                "x": [period for period, _ in points],
                "y": [value for _, value in points],
                "line": {"color": colour, "width": 1.6},
                "legendgroup": line["label"],
            }
        )
        if line["signals"]:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": f"{line['label']}: signal",
                    "x": [iso(period) for period in line["signals"]],
                    "y": [number(h, 4)] * len(line["signals"]),
                    "marker": {"symbol": "triangle-up", "size": 10, "color": colour},
                    "legendgroup": line["label"],
                    "showlegend": False,
                    "hovertemplate": "%{x|%b %Y}: signal<extra>" + line["label"] + "</extra>",
                }
            )
    if first:
        data.append(_horizontal(f"h = {h:g}", first, last, [h], color=NHS_RED, dash="dash"))
    layout = _layout(title, height=300, xaxis={"type": "date"}, yaxis={"title": {"text": "CUSUM S_t"}})
    return figure(data, layout)
