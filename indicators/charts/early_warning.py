"""The early-warning page's figures: each slipping trust's stored CUSUM series against h, and the re-entry curve."""

from __future__ import annotations

from .layout import (
    NHS_BLUE,
    NHS_ORANGE,
    NHS_RED,
    SERIES_COLOURS,
    base_layout,
    figure,
    horizontal_lines,
    iso,
    number,
    with_gaps,
)


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
        data.append(horizontal_lines(f"h = {h:g}", first, last, [h], color=NHS_RED, dash="dash"))
    layout = base_layout(title, height=300, xaxis={"type": "date"}, yaxis={"title": {"text": "CUSUM S_t"}})
    return figure(data, layout)


def reentry_figure(curve: dict, trusts: list[dict], *, title: str = "Re-entry after exit (Kaplan–Meier)") -> dict:
    """The stored cumulative re-entry curve with its 95% band, and each trust in transition at its months since exit.

    curve: {months, reentered, ci_low, ci_high} (step points, 0–1); trusts: [{label, months, reentered_by,
    next_12 (0–1 or None)}], their positions read off the stored curve by the caller.
    """
    months = curve["months"]
    band = {"type": "scatter", "mode": "lines", "x": months, "hoverinfo": "skip", "legendgroup": "curve"}
    data = [
        {**band, "name": "95% CI low", "y": [number(v, 4) for v in curve["ci_low"]],
         "line": {"width": 0, "shape": "hv"}, "showlegend": False},
        {**band, "name": "95% CI (log-log)", "y": [number(v, 4) for v in curve["ci_high"]], "fill": "tonexty",
         "fillcolor": "rgba(0,94,184,0.15)", "line": {"width": 0, "shape": "hv"}},
        {"type": "scatter", "mode": "lines", "name": "Re-entered by month", "x": months,
         "y": [number(v, 4) for v in curve["reentered"]], "line": {"color": NHS_BLUE, "width": 2.5, "shape": "hv"},
         "legendgroup": "curve", "hovertemplate": "month %{x:.0f}: %{y:.1%} re-entered<extra></extra>"},
    ]  # fmt: skip
    if trusts:
        data.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": "In transition now",
                "x": [number(t["months"], 4) for t in trusts],
                "y": [number(t["reentered_by"], 4) for t in trusts],
                "text": [t["label"] for t in trusts],
                "textposition": "top center",
                "customdata": [number(t["next_12"], 4) if t["next_12"] is not None else None for t in trusts],
                "marker": {"symbol": "diamond", "size": 11, "color": NHS_ORANGE, "line": {"color": "#fff", "width": 1}},
                "hovertemplate": "%{text}: %{x:.0f} months since exit, %{y:.1%} re-entered by now on the curve;"
                " next 12 months %{customdata:.1%}<extra></extra>",
            }
        )
    layout = base_layout(
        title,
        height=340,
        xaxis={"title": {"text": "months since exit"}, "rangemode": "tozero"},
        yaxis={"title": {"text": "share re-entered"}, "tickformat": ".0%", "range": [0, 1.02]},
    )
    return figure(data, layout)
