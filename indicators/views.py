"""Indicator pages, regime analytics, early warning and the upload page: they read stored results only."""

from __future__ import annotations

import logging
from datetime import date

import numpy as np
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from oversight.permissions import can_see_confidential, confidential_regime_codes
from oversight.views import with_roles
from trusts.models import Organisation

from . import charts
from . import page_selectors as reads
from .compute import POOL_GROUPS, QUANTITIES
from .constants import ED_4HR, EffectQuantity, IndicatorKind, Polarity, RegimeGroup
from .models import Indicator
from .services import stored_document
from .stats.constants import Z95, Z998
from .stats.early_warning import cusum

logger = logging.getLogger(__name__)
PAGE_SIZE = 50
CUSUM_SHOWN_PERIODS = 36  # the early-warning charts show each CUSUM's latest three years


def _fmt(value, digits=2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace("-", "−")


def _value_text(value, kind: str) -> str:
    if value is None:
        return "–"
    return f"{value:.2%}" if kind == IndicatorKind.PROPORTION else f"{value:.3f}"


def _p_text(p) -> str:
    if p is None:
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


# --- indicators ---------------------------------------------------------------------------------


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
            "upper": row.get("upper"),
        }
        for row in reads.funnel_rows(indicator, period)
    ]
    tau2, tau2_source = national_row.tau2, "the period's overdispersion"
    if indicator.kind == IndicatorKind.RATIO and tau2 is None:
        tau2 = implied_tau2(rows)
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


def implied_tau2(rows: list[dict]) -> float | None:
    """τ² of a ratio's published 95% limits: u = exp(1.96·√(1/E + τ²)) solved per trust, median taken."""
    values = [
        (np.log(row["upper"]) / Z95) ** 2 - 1.0 / row["x"]
        for row in rows
        if row.get("upper") and row["upper"] > 1 and row.get("x") and row["x"] > 0
    ]
    return max(0.0, float(np.median(values))) if values else None


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


# --- regime analytics ---------------------------------------------------------------------------

GROUP_LABELS = dict(RegimeGroup.choices)
QUANTITY_LABELS = dict(EffectQuantity.choices)
CATEGORY_LABELS = {
    "prolonged_poor_performer": "Prolonged poor performer (≥ 2 years in SMQ, or SMQ re-entry)",
    "poor_performer": "Poor performer (CP then SMQ)",
    "shorter_term_cp": "Shorter-term challenged provider (CP < 2 years, never SMQ)",
    "clear_improver": "Clear improver (exited, later rated good or outstanding, no re-entry)",
}
CONFIDENTIAL_CATEGORIES = {"poor_performer", "shorter_term_cp"}


def regime_groups_for(user) -> list[str]:
    """The pooling groups a user may see: one defined by a confidential regime needs confidential access;
    finance and improvement programme groups appear once a spell of theirs has been pooled."""
    from .models import PooledEffect

    extra = sorted(
        set(
            PooledEffect.objects.filter(regime_group__in=["SMF", "IMP"], n__gt=0).values_list("regime_group", flat=True)
        )
    )
    groups = ["SMQ+CP", "SMQ", "CP", "NOF4", *extra]
    if can_see_confidential(user):
        return groups
    hidden = confidential_regime_codes()
    return [group for group in groups if not POOL_GROUPS[group] & hidden]


def _effect_cell(effect, polarity: str) -> dict:
    if effect is None or effect.estimate is None:
        return {"n": effect.n if effect else 0, "text": "not estimable", "css": ""}
    significant = effect.ci_low > 0 or effect.ci_high < 0
    css = ""
    if significant and polarity != Polarity.NEUTRAL:
        css = "better" if effect.ci_high < 0 else "worse"
    elif significant:
        css = "changed"
    return {
        "n": effect.n,
        "text": f"{_fmt(effect.estimate, 4)} ({_fmt(effect.ci_low, 4)} to {_fmt(effect.ci_high, 4)})",
        "css": css,
        "effect": effect,
    }


def _forest_rows(fits, quantity, confidential_ok) -> list[dict]:
    rows = []
    for fit in fits:
        coefficient = fit.coefficients.get(quantity)
        if not coefficient:
            continue
        # A short tick label (the plot needs the width); the trust's name is in the hover text.
        label = fit.organisation.ods_code
        label += f" · {fit.regimes} {fit.spell_entered:%Y}" if confidential_ok else ""
        rows.append(
            {
                "label": label,
                "hover": f"{fit.organisation.name} ({label})",
                "estimate": coefficient["estimate"],
                "ci_low": coefficient["ci_low"],
                "ci_high": coefficient["ci_high"],
                "url": reverse("trust-detail", args=[fit.organisation.ods_code]),
            }
        )
    return rows


@require_safe
def regime_analytics(request):
    """Table 23 (pooled effects), forest plots, time in regime (Tables 22/29), categories, staff survey."""
    user = with_roles(request.user)
    confidential_ok = can_see_confidential(user)
    groups = regime_groups_for(user)
    group = request.GET.get("regime") or groups[0]
    if group not in groups:
        if request.GET.get("regime") in GROUP_LABELS:
            messages.info(request, "That regime group is not available to you; showing the default.")
        group = groups[0]

    pooled = reads.pooled_effects(user, group)
    table: dict[int, dict] = {}
    for effect in pooled:
        row = table.setdefault(effect.indicator_id, {"indicator": effect.indicator, "cells": {}})
        row["cells"][effect.quantity] = effect
    # Annual indicators (the staff survey) have no interrupted time series: no row, a note instead.
    table_rows = [
        {
            "indicator": row["indicator"],
            "cells": [_effect_cell(row["cells"].get(quantity), row["indicator"].polarity) for quantity in QUANTITIES],
        }
        for row in table.values()
        if any(effect.n for effect in row["cells"].values())
    ]

    indicators = reads.indicators_with_fits()
    by_code = {indicator.code: indicator for indicator in indicators}
    chosen = request.GET.get("indicator") or (ED_4HR if ED_4HR in by_code else next(iter(by_code), None))
    forest_indicator = by_code.get(chosen)
    forests = []
    if forest_indicator:
        fits = reads.trust_fits(user, forest_indicator, POOL_GROUPS[group])
        pooled_here = {e.quantity: e for e in pooled if e.indicator_id == forest_indicator.pk}
        for quantity in QUANTITIES:
            rows = _forest_rows(fits, quantity, confidential_ok)
            effect = pooled_here.get(quantity)
            pooled_dict = (
                {"estimate": effect.estimate, "ci_low": effect.ci_low, "ci_high": effect.ci_high, "n": effect.n}
                if effect and effect.estimate is not None
                else None
            )
            summary = f"{len(rows)} trusts' estimates shown"
            if pooled_dict:
                summary += (
                    f"; pooled (DerSimonian–Laird) {_fmt(effect.estimate, 4)} (95% CI {_fmt(effect.ci_low, 4)} "
                    f"to {_fmt(effect.ci_high, 4)}), n = {effect.n}, I² {_fmt((effect.i2 or 0) * 100, 0)}%."
                )
            else:
                summary += "; too few trusts to pool."
            forests.append(
                {
                    "quantity": quantity,
                    "label": QUANTITY_LABELS[quantity],
                    "figure": charts.forest_figure(rows, pooled_dict, title=QUANTITY_LABELS[quantity]),
                    "summary": summary,
                }
            )

    context = {
        "groups": [(code, GROUP_LABELS[code]) for code in groups],
        "group": group,
        "group_label": GROUP_LABELS[group],
        "quantities": [QUANTITY_LABELS[quantity] for quantity in QUANTITIES],
        "table_rows": table_rows,
        "indicators": indicators,
        "forest_indicator": forest_indicator,
        "forests": forests,
        "confidential_ok": confidential_ok,
    }
    context.update(_time_in_regime_context(confidential_ok))
    context.update(_categories_context(user, confidential_ok))
    themes = (stored_document("staff_survey" if confidential_ok else "staff_survey_public") or {}).get("themes", [])
    for theme in themes:
        if theme.get("mean_entry") is not None and theme.get("mean_exit") is not None:
            theme["difference"] = theme["mean_exit"] - theme["mean_entry"]
        theme["p_text"] = _p_text(theme.get("p_value"))
        if theme.get("bottom_quartile"):
            theme["bottom_quartile"]["p_text"] = _p_text(theme["bottom_quartile"].get("p_value"))
    context["staff_survey"] = themes
    return render(request, "indicators/regime_analytics.html", context)


def _time_in_regime_context(confidential_ok: bool) -> dict:
    document = stored_document("time_in_regime")
    if not document:
        return {"time_in_regime": None}
    # A group is confidential when any of its regimes is (the Regime row says so).
    hidden = set() if confidential_ok else confidential_regime_codes()
    regimes = {
        code: entry
        for code, entry in document["regimes"].items()
        if code not in hidden and not hidden & set(entry.get("codes", ()))
    }
    curves = {
        code: {**entry["curve"], "target_months": entry.get("target_months") or (24 if code == "NOF4" else None)}
        for code, entry in regimes.items()
    }
    summary_parts = []
    for code, entry in regimes.items():
        if entry.get("target_months"):
            summary_parts.append(
                f"{code}: {entry['n']} episodes, {entry.get('exited_by_target_km', 0):.0%} exited within "
                f"{entry['target_months']} months (Kaplan–Meier)"
            )
        else:
            summary_parts.append(f"{code}: {entry['n']} episodes, {entry['n_exited']} exited (no fixed target)")
    context = {
        "time_in_regime": document,
        "regime_entries": regimes,
        "survival_figure": charts.survival_figure(curves),
        "survival_summary": "; ".join(summary_parts) + f". Censored at {document['cutoff']}; "
        f"{document['ci_type']} 95% confidence intervals.",
    }
    # The regime whose exits compete with escalation (CP), if the user may see it (`regimes` is filtered above).
    cp = next((entry for entry in regimes.values() if entry.get("competing")), None)
    if cp:
        context["competing_figure"] = charts.competing_figure(cp["competing"])
        context["competing_summary"] = (
            f"Of {cp['n']} CP episodes, {cp.get('n_escalated', 0)} escalated to SMQ"
            + (
                f" ({cp['n_escalated_inferred']} inferred from the dates, their records giving no route)"
                if cp.get("n_escalated_inferred")
                else " (as recorded)"
            )
            + ". By 12 months "
            f"{cp.get('exit_by_target_aj', 0):.0%} had exited and {cp.get('escalated_by_target_aj', 0):.0%} had "
            "escalated (Aalen–Johansen cumulative incidence, escalation treated as a competing event)."
        )
    return context


def _categories_context(user, confidential_ok: bool) -> dict:
    # Without confidential access, the categories recomputed from the non-confidential episodes only.
    document = stored_document("performance_categories" if confidential_ok else "performance_categories_public")
    if not document:
        return {"categories": None}
    organisations = document.get("organisations", {})
    names = Organisation.objects.in_bulk([int(org) for org in organisations]) if confidential_ok else {}
    rows = []
    for key, label in CATEGORY_LABELS.items():
        if not confidential_ok and key in CONFIDENTIAL_CATEGORIES:
            continue
        members = [int(org) for org, cats in organisations.items() if key in cats]
        inferred = document.get("inferred", {})
        rows.append(
            {
                "key": key,
                "label": label,
                "count": len(members),
                "n_inferred": sum(1 for org in members if key in inferred.get(str(org), [])),
                "members": sorted((names[org] for org in members if org in names), key=lambda o: o.name),
            }
        )
    return {"categories": rows, "categories_n": len(organisations)}


# --- early warning ------------------------------------------------------------------------------


@require_safe
def early_warning(request):
    """Trusts in no regime that are slipping, each with its CUSUM chart, and the latest alerts."""
    document = stored_document("early_warning") or {}
    slipping = document.get("slipping", [])
    k, h = document.get("k", 0.5), document.get("h", 4.389)
    trust_page = Paginator(slipping, PAGE_SIZE).get_page(request.GET.get("trusts_page"))
    org_ids = [item["organisation_id"] for item in trust_page]
    indicator_ids = sorted({i for item in trust_page for i in item["indicator_ids"]})
    organisations = Organisation.objects.in_bulk(org_ids)
    indicators = Indicator.objects.in_bulk(indicator_ids)
    zscores = reads.zscores_for(org_ids, indicator_ids)
    trusts = []
    for index, item in enumerate(trust_page):
        organisation = organisations.get(item["organisation_id"])
        if organisation is None:
            continue
        series = []
        for indicator_id in item["indicator_ids"]:
            points = zscores[item["organisation_id"]].get(indicator_id, [])
            if not points:
                continue
            periods = [period for period, _ in points]
            values = np.array([np.nan if z is None else z for _, z in points], dtype=float)
            result = cusum(values, k=k, h=h)
            # The CUSUM runs over the whole history (its state carries), the chart shows the recent part.
            shown = slice(-CUSUM_SHOWN_PERIODS, None)
            series.append(
                {
                    "label": indicators[indicator_id].code if indicator_id in indicators else str(indicator_id),
                    "periods": periods[shown],
                    "statistic": result.statistic[shown].tolist(),
                    "signals": [periods[i] for i in result.signal_indices if i >= len(periods) - CUSUM_SHOWN_PERIODS],
                }
            )
        names = [indicators[i].name for i in item["indicator_ids"] if i in indicators]
        trusts.append(
            {
                "organisation": organisation,
                "item": item,
                "indicators": names,
                "figure": charts.cusum_figure(
                    series, h=h, title=f"CUSUM of the adjusted z-score: {organisation.ods_code}"
                ),
                "summary": (
                    f"{organisation.name}: {item['n_indicators']} indicators signalled between "
                    f"{item['first_period'][:7]} and {item['last_period'][:7]} ({', '.join(names)}). "
                    f"Lines show the upper CUSUM (k = {k:g}) over the latest {CUSUM_SHOWN_PERIODS} periods of each "
                    f"indicator; a triangle marks each crossing of h = {h:g}, after which the CUSUM restarts at 0."
                ),
                "open": index < 3,
            }
        )
    alerts = Paginator(reads.latest_alerts(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "indicators/early_warning.html",
        {"document": document, "trusts": trusts, "trust_page": trust_page, "alerts": alerts, "k": k, "h": h},
    )
