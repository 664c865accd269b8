"""The regime analytics page's figures: forest plots of the ITS coefficients, time in regime, competing exits."""

from __future__ import annotations

from .layout import (
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_DARK_GREY,
    NHS_GREEN,
    NHS_GREY,
    NHS_ORANGE,
    NHS_PURPLE,
    NHS_RED,
    base_layout,
    figure,
    number,
)


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
    layout = base_layout(
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
    layout = base_layout(
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
    layout = base_layout(
        title,
        xaxis={"title": {"text": "months since entry"}},
        yaxis={"title": {"text": "cumulative incidence"}, "tickformat": ".0%", "range": [0, 1.02]},
    )
    return figure(data, layout)
