"""The indicator list and an indicator's page: funnel plot, national trend, outliers, spread of z over time.

They read stored results only: the period's τ² (or, for a ratio scored from its published limits, the
τ² those limits imply, stored by the nightly recompute on NationalValue.tau2_implied) and the z-scores.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from .. import charts
from .. import page_selectors as reads
from ..constants import IndicatorKind
from ..models import Indicator
from ..stats.constants import Z95, Z998
from .text import fmt as _fmt
from .text import value_text as _value_text


@require_safe
def indicator_list(request):
    """Every indicator with the span of its data."""
    return render(request, "indicators/indicator_list.html", {"rows": reads.indicator_catalogue()})


def _parse_period(text: str) -> date | None:
    try:
        year, month = text.split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        return None


@require_safe
def indicator_detail(request, code: str):
    """Funnel plot for one period, national trend, outliers, and the spread of z_adj over time."""
    indicator = get_object_or_404(Indicator, code=code)
    national = reads.national_values(indicator)
    periods = [row.period for row in national]
    requested = _parse_period(request.GET.get("period", ""))
    period = None
    if periods:
        period = requested if requested in set(periods) else periods[-1]
        if request.GET.get("period") and requested not in set(periods):
            messages.info(request, f"No data for {request.GET['period']}; showing the latest period instead.")
    context = {"indicator": indicator, "periods": list(reversed(periods)), "period": period}
    if period is None:
        return render(request, "indicators/indicator_detail.html", context)

    national_row = next(row for row in national if row.period == period)
    highlight = request.GET.get("trust", "").strip().upper()  # the trust the user came from, marked throughout
    rows = [
        {
            "name": row["organisation__name"],
            "code": row["organisation__ods_code"],
            # The trust page opens on this indicator, so the drill-down keeps its place.
            "url": reverse("trust-detail", args=[row["organisation__ods_code"]]) + f"?indicator={indicator.code}",
            "highlight": row["organisation__ods_code"] == highlight,
            "x": row["denominator"],
            "y": row["value"],
            "z_adj": row["z_adjusted"],
            "value_text": _value_text(row["value"], indicator.kind),
        }
        for row in reads.funnel_rows(indicator, period)
    ]
    tau2, tau2_source = national_row.tau2, "the period's overdispersion"
    if indicator.kind == IndicatorKind.RATIO and tau2 is None:
        tau2 = national_row.tau2_implied  # stored by the nightly recompute (indicators.page_results)
        tau2_source = "the overdispersion implied by the published limits (median across trusts)"
    period_label = period.strftime("%Y" if indicator.cadence == "annual" else "%b %Y")
    x_label = "expected deaths" if indicator.kind == IndicatorKind.RATIO else "denominator"
    has_denominator = indicator.kind != IndicatorKind.SCORE and any(row["x"] for row in rows)
    if has_denominator:
        funnel = charts.funnel_figure(
            rows,
            kind=indicator.kind,
            national=national_row.national,
            tau2=tau2,
            period_label=period_label,
            x_label=x_label,
        )
    else:
        funnel = charts.distribution_figure(rows, national=national_row.national, period_label=period_label)
    highlight_row = next((row for row in rows if row["highlight"]), None)
    if highlight_row and highlight_row["x"] and isinstance(funnel, dict):
        funnel.setdefault("data", []).append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"{highlight_row['code']} (the trust you came from)",
                "x": [highlight_row["x"]],
                "y": [highlight_row["y"]],
                "customdata": [[highlight_row["url"]]],
                "marker": {"size": 16, "symbol": "circle-open", "color": "#212b32", "line": {"width": 3}},
                "hovertemplate": f"{highlight_row['name']}<extra></extra>",
            }
        )
    beyond_998 = sorted(
        (row for row in rows if row["z_adj"] is not None and abs(row["z_adj"]) > Z998),
        key=lambda row: -abs(row["z_adj"]),
    )
    beyond_95 = sorted(
        (row for row in rows if row["z_adj"] is not None and Z95 < abs(row["z_adj"]) <= Z998),
        key=lambda row: -abs(row["z_adj"]),
    )
    bands = charts.spread_bands(reads.zscore_spread(indicator))
    context.update(
        {
            "national_row": national_row,
            "highlight_row": highlight_row,
            "rows": rows,
            "funnel": funnel,
            "has_denominator": has_denominator,
            "tau2_source": tau2_source,
            "funnel_summary": _funnel_summary(
                rows, period_label, indicator, national_row, tau2, tau2_source, beyond_998, beyond_95, has_denominator
            ),
            "beyond_998": beyond_998,
            "beyond_95": beyond_95,
            "trend": charts.national_trend_figure(
                [(row.period, row.national) for row in national], kind=indicator.kind, cadence=indicator.cadence
            ),
            "trend_summary": (
                f"National value from {periods[0]:%b %Y} ({_value_text(national[0].national, indicator.kind)}) "
                f"to {periods[-1]:%b %Y} ({_value_text(national[-1].national, indicator.kind)}), "
                f"{len(periods)} periods."
            ),
            "spread": charts.spread_figure(bands, cadence=indicator.cadence),
            "spread_summary": _spread_summary(bands),
        }
    )
    return render(request, "indicators/indicator_detail.html", context)


def _funnel_summary(rows, period_label, indicator, national_row, tau2, tau2_source, beyond_998, beyond_95, funnel):
    worse = sum(1 for row in beyond_95 + beyond_998 if row["z_adj"] > 0)
    national = _value_text(national_row.national, indicator.kind)
    outliers = (
        f"{len(beyond_998)} trusts have an adjusted z-score beyond ±3.09 and {len(beyond_95)} more beyond ±1.96, "
        f"{worse} of them on the worse side."
    )
    if not funnel:
        return f"{len(rows)} trusts in {period_label}, in rank order of value; national mean {national}. {outliers}"
    return (
        f"{len(rows)} trusts in {period_label}; national value {national}; the limits use τ² {_fmt(tau2, 5)}, "
        f"{tau2_source}. {outliers}"
    )


def _spread_summary(bands: list[dict]) -> str:
    if not bands:
        return "No z-scores."
    last = bands[-1]
    return (
        "Percentiles of the adjusted z-score (positive = worse than England) across trusts in each period. "
        f"In the latest period ({last['period'][:7]}, "
        f"{last['n']} trusts) the middle half lies between {_fmt(last['p25'])} and {_fmt(last['p75'])} and "
        f"90% between {_fmt(last['p5'])} and {_fmt(last['p95'])}; with no unexplained variation 95% would "
        "lie within ±1.96."
    )
