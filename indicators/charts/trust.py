"""The trust page's figures: z-score with regime spells and ITS fits, value against national, XmR chart, timeline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..stats.constants import Z95, Z998
from .layout import (
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_DARK_GREY,
    NHS_GREY,
    NHS_ORANGE,
    NHS_RED,
    REGIME_FILL,
    SPC_POINT_STYLE,
    base_layout,
    figure,
    gap_days,
    horizontal_lines,
    iso,
    line_trace,
    number,
    spc_icon_text,
    value_axis,
    with_gaps,
)


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
        line_trace(
            "Adjusted z-score",
            points,
            line={"color": NHS_BLUE, "width": 1.5},
            marker={"size": 4},
            hovertemplate="%{x|%b %Y}: adjusted z-score %{y:.2f}<extra></extra>",
        ),
        horizontal_lines("National (z = 0)", first, last, [0], color=NHS_DARK_GREY, width=1.5),
        horizontal_lines("95% limits (±1.96)", first, last, [Z95, -Z95], color=NHS_ORANGE, dash="dash"),
        horizontal_lines("99.8% limits (±3.09)", first, last, [Z998, -Z998], color=NHS_RED, dash="dot"),
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
    layout = base_layout(
        title,
        shapes=shapes,
        annotations=annotations,
        yaxis={"title": {"text": "adjusted z-score (positive = worse)"}},
        xaxis={"type": "date"},
    )
    return figure(data, layout)


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
        line_trace(
            trust_label,
            [(iso(period), number(value)) for period, value in trust_points],
            line={"color": NHS_BLUE, "width": 1.5},
            marker={"size": 4},
        ),
        {
            "type": "scatter",
            "mode": "lines",
            "name": national_name,
            "x": [period for period, _ in national],
            "y": [value for _, value in national],
            "line": {"color": NHS_DARK_GREY, "width": 1.5, "dash": "dash"},
        },
    ]
    layout = base_layout(title, yaxis=value_axis(kind), xaxis={"type": "date"}, hovermode="x unified")
    return figure(data, layout)


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
        line_trace("Value", line, line={"color": NHS_GREY, "width": 1.5}, marker={"size": 5, "color": NHS_GREY}),
        horizontal_lines("Mean", first, last, [number(mean)], color=NHS_DARK_GREY, width=1.5),
        horizontal_lines(
            "Process limits" + (" (trial)" if trial else ""),
            first,
            last,
            [number(upper), number(lower)],
            color=NHS_DARK_GREY,
            dash="dash",
        ),
    ]
    if target is not None:
        data.append(horizontal_lines("Target", first, last, [number(target)], color=NHS_DARK_BLUE, dash="dot", width=2))
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
    layout = base_layout(f"{title}{note}: {spc_icon_text(icon)}", yaxis=value_axis(kind), xaxis={"type": "date"})
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
    layout = base_layout(
        title,
        barmode="overlay",
        height=90 + 46 * max(len(lanes), 1),
        xaxis={"type": "date"},
        yaxis={"categoryorder": "array", "categoryarray": list(reversed(lanes)), "automargin": True},
        margin={"l": 120},
    )
    return figure(data, layout)
