"""The early-warning page's figure: each slipping trust's stored CUSUM series against the decision interval h."""

from __future__ import annotations

from .layout import NHS_RED, SERIES_COLOURS, base_layout, figure, horizontal_lines, iso, number, with_gaps


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
