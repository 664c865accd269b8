"""Regime analytics: pooled effects (Table 23), forest plots, time in regime, categories and the staff survey."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from oversight.permissions import can_see_confidential
from oversight.views import with_roles
from trusts.models import Organisation
from trusts.selectors import confidential_regime_codes

from .. import charts
from .. import page_selectors as reads
from ..compute import POOL_GROUPS, QUANTITIES
from ..constants import ED_4HR, EffectQuantity, Polarity, RegimeGroup
from ..recompute import stored_document
from .text import fmt as _fmt
from .text import p_text as _p_text

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
    from ..models import PooledEffect

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
