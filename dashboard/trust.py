"""Organisation pages: the list with filters, the header search, and the trust page (its charts, results and notes)."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from datetime import date

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from actions.annotations import annotate_charts
from indicators import charts
from indicators.board import board_row
from indicators.compute import EpisodeRecord, find_escalations
from indicators.constants import ED_4HR
from indicators.models import SpcRebase
from indicators.page_selectors import (
    TrustSignals,
    data_end,
    trust_indicator_charts,
    trust_indicator_summaries,
    trust_recent_alerts,
    votes,
)
from indicators.selectors import data_cutoff
from indicators.stats.constants import Z95, Z998
from oversight.audit_text import value_in_unit
from oversight.permissions import (
    can_approve,
    can_edit_trust_records,
    can_see_episode_details,
)
from oversight.views import with_roles
from trusts.constants import Comparator, CriterionStatus, CriterionTheme, Sector
from trusts.filters import ALL_SECTORS, OrganisationFilterSet
from trusts.models import Organisation
from trusts.selectors import (
    current_regimes,
    last_successor,
    latest_published_segments,
    organisation_list,
    predecessors_of,
    search_organisations,
    trust_profile,
)

from .as_at import as_at_from, as_at_refused

PAGE_SIZE = 50
QUANTITY_LABELS = {
    "pre_slope": "Pre-entry slope (against national)",
    "level_change": "Level change at entry",
    "slope_change_during": "Change in slope during the regime",
    "slope_change_after": "Change in slope after exit",
}


def _page(request, items, name="page"):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get(name))


@require_safe
def trust_list(request):
    """Every organisation, filtered by name/code, region, kind and current regime; 50 a page."""
    user = with_roles(request.user)
    filterset = OrganisationFilterSet(request.GET, queryset=organisation_list(), request=request)
    page = _page(request, filterset.qs)
    _annotate_page(user, page, with_segments=True)
    return render(
        request,
        "trusts/trust_list.html",
        {"filter_form": filterset.form, "page": page, "segments": True, "filtered": filterset.form.has_changed()},
    )


def _annotate_page(user, page, *, with_segments: bool) -> None:
    """Give each organisation on the page its open visible episodes (and latest segment): one query each."""
    ids = [organisation.pk for organisation in page]
    regimes = current_regimes(user, ids)
    segments = latest_published_segments(ids) if with_segments else {}
    for organisation in page:
        organisation.current_episodes = regimes.get(organisation.pk, [])
        organisation.latest_segment = segments.get(organisation.pk)


@require_safe
def search(request):
    """The header search: an exact ODS code opens the trust; anything else lists matches, 50 a page."""
    user = with_roles(request.user)
    text = request.GET.get("q", "").strip()
    if text:
        exact = Organisation.objects.filter(ods_code__iexact=text).only("ods_code").first()
        if exact:
            return redirect("trust-detail", ods_code=exact.ods_code)
    everyone = request.GET.get("sector") == ALL_SECTORS
    sector = ALL_SECTORS if everyone else Sector.NHS_TRUST
    page = _page(request, search_organisations(text, sector) if text else Organisation.objects.none())
    _annotate_page(user, page, with_segments=False)
    # NHS trusts first; other providers and ICBs are one click away, counted so nobody misses them.
    others = 0
    if text and not everyone:
        others = search_organisations(text, ALL_SECTORS).count() - page.paginator.count
    return render(
        request,
        "trusts/search.html",
        {"q": text, "page": page, "segments": None, "everyone": everyone, "others": others},
    )


# --- the trust page -----------------------------------------------------------------------------


def _fmt(value, digits=2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}".replace("-", "−")


def _coefficient_text(coefficient: dict | None, digits=2) -> str:
    if not coefficient:
        return "not estimated"
    return (
        f"{_fmt(coefficient['estimate'], digits)} (95% CI {_fmt(coefficient['ci_low'], digits)} "
        f"to {_fmt(coefficient['ci_high'], digits)})"
    )


def _z_band(z) -> str:
    if z is None:
        return "no z-score"
    if abs(z) > Z998:
        return "beyond the 99.8% limits"
    if abs(z) > Z95:
        return "beyond the 95% limits"
    return "within 95% limits"


def _timeline(profile, today: date) -> dict:
    items = []
    for episode in profile.episodes:
        items.append(
            {
                "lane": "Regimes",
                "label": episode.regime.code + (" (exit not recorded)" if episode.exit_unknown else ""),
                "start": episode.entered,
                "end": episode.exited,
                "exit_unknown": episode.exit_unknown,
                "colour": {"SMQ": charts.NHS_RED, "CP": charts.NHS_ORANGE, "NOF4": charts.NHS_PURPLE}.get(
                    episode.regime.code, charts.NHS_DARK_GREY
                ),
            }
        )
    segment_colours = {1: charts.NHS_GREEN, 2: charts.NHS_AQUA, 3: charts.NHS_WARM_YELLOW, 4: charts.NHS_RED}
    for segment in profile.segments:
        items.append(
            {
                "lane": "Segment",
                "label": f"Segment {segment.segment}" + ("" if segment.published else " (unpublished)"),
                "start": segment.effective_from,
                "end": segment.effective_to,
                "colour": segment_colours.get(segment.segment, charts.NHS_PURPLE),
            }
        )
    for assignment in profile.assignments:
        items.append(
            {
                "lane": "Improvement director",
                "label": assignment.user.get_full_name() or assignment.user.get_username(),
                "start": assignment.date_from,
                "end": assignment.date_to,
                "colour": charts.NHS_BLUE,
            }
        )
    return charts.timeline_figure(items, today=today, title="Episodes, segments and improvement directors")


CRITERION_FIELD_LABELS = {
    "theme": "theme",
    "description": "description",
    "indicator_id": "indicator",
    "comparator": "comparator",
    "threshold": "threshold",
    "months_sustained": "months sustained",
}


def _criterion_value(field: str, value, indicator_names: dict[int, str], kind: str = ""):
    """A criterion field's value as a person reads it (indicator names, labels, a threshold in its unit)."""
    if value is None or value == "":
        return None
    if field == "threshold" and kind:
        return value_in_unit(value, kind)
    if field == "indicator_id":
        return indicator_names.get(value, f"indicator #{value}")
    if field == "theme":
        return dict(CriterionTheme.choices).get(value, value)
    if field == "comparator":
        return dict(Comparator.choices).get(value, value)
    return value


def _criteria_by_theme(episode, indicator_names: dict[int, str]) -> list[dict]:
    themes: OrderedDict[str, list] = OrderedDict((label, []) for _, label in CriterionTheme.choices)
    for criterion in episode.exit_criteria.all():
        if criterion.indicator_id:
            indicator_names.setdefault(criterion.indicator_id, criterion.indicator.name)
        kind = criterion.indicator.kind if criterion.indicator_id else ""
        changes = [
            {
                "field": CRITERION_FIELD_LABELS.get(field, field),
                "approved": _criterion_value(field, before, indicator_names, kind),
                "now": _criterion_value(field, after, indicator_names, kind),
            }
            for field, (before, after) in criterion.changes_since_approval().items()
        ]
        threshold = value_in_unit(criterion.threshold, kind) if criterion.threshold is not None else ""
        themes[criterion.get_theme_display()].append(
            {"criterion": criterion, "changes": changes, "threshold_text": threshold}
        )
    return [{"theme": theme, "criteria": items} for theme, items in themes.items() if items]


def _funding_totals(episode) -> dict:
    lines = list(episode.funding.all())
    years: dict[int, dict] = {}
    for line in lines:  # the lines are ordered by year
        year = years.setdefault(line.year, {"year": line.year, "budget": 0, "spent": 0, "lines": 0})
        year["budget"] += line.budget
        year["spent"] += line.spent
        year["lines"] += 1
    return {
        "lines": lines,
        "years": list(years.values()),
        "budget": sum(line.budget for line in lines),
        "spent": sum(line.spent for line in lines),
    }


def _months_in(episode, cutoff: date) -> int | None:
    """Months in the regime to the data's cut-off (0 for an entry after it); None when the exit is unknown."""
    months = episode.months_in(cutoff)
    return None if months is None else max(0, months)


def _trust_summary(profile, signals, episodes, recent_alerts, today) -> dict:
    """What a director reads first: each open episode's light and why (the board's rule), months and target,
    open alerts and criteria met; from rows the page has already read."""
    # The board's count (recent_alerts_by_trust); the page still lists them all.
    counted = [alert for alert in recent_alerts if votes(alert.indicator)]
    for alert in counted:
        signals.alerts += 1
        signals.alert_indicators.add(alert.indicator.code)
    published = [segment for segment in profile.segments if segment.published]
    rows = [
        board_row(
            episode,
            signals,
            directors=profile.current_directors,
            segment=published[-1] if published else None,
            today=today,
        )
        for episode in profile.open_episodes
    ]
    criteria = [entry for item in episodes if item["episode"].exited is None for entry in _flat(item["criteria"])]
    return {
        "rows": rows,
        "alerts": signals.alerts,  # the board's count of the trust's recent alerts
        "alert_indicators": sorted({alert.indicator.name for alert in counted}),
        "criteria_total": len(criteria),
        "criteria_met": sum(1 for criterion in criteria if criterion.status == CriterionStatus.MET),
    }


def _flat(themes) -> list:
    """The criteria of an episode's themes, less the withdrawn ones (they no longer count towards exit)."""
    return [
        entry["criterion"]
        for theme in themes
        for entry in theme["criteria"]
        if entry["criterion"].status != CriterionStatus.WITHDRAWN
    ]


def _indicator_charts(user, organisation, selected, profile) -> dict:
    """The figures, summaries and ITS table of the selected indicator."""
    indicator = selected.indicator
    data = trust_indicator_charts(user, organisation, indicator)
    spells = [
        {"regime": episode.regime.code, "entered": episode.entered, "exited": episode.exited}
        for episode in profile.episodes
        if not (episode.exit_unknown and episode.exited is None)  # no span to shade without the exit
    ]
    fits = [
        {
            "label": f"{fit.regimes} from {fit.spell_entered:%b %Y}",
            "entered": fit.spell_entered,
            "exited": fit.spell_exited,
            "series": fit.series,
        }
        for fit in data.fits
    ]
    z_figure = charts.zscore_figure(
        [(period, z) for period, _, z in data.zscores], spells, fits, cadence=indicator.cadence
    )
    value_figure = charts.value_figure(
        [(period, value) for period, value, _ in data.zscores],
        data.national,
        kind=indicator.kind,
        trust_label=organisation.ods_code,
        cadence=indicator.cadence,
    )
    latest_fit = data.fits[-1] if data.fits else None
    level = latest_fit.coefficients.get("level_change") if latest_fit else None
    z_summary = (
        f"{len(data.zscores)} periods of the adjusted z-score (positive = worse than England). "
        f"Latest {_fmt(selected.latest_z)} ({_z_band(selected.latest_z)})"
    )
    if latest_fit:
        z_summary += f"; level change at entry {_coefficient_text(level)} for the {latest_fit.regimes} spell."
    else:
        z_summary += "; no interrupted time series fitted (no regime spell with enough data)."
    latest_national = dict(data.national).get(selected.latest_period)
    value_summary = (
        f"Latest value {_value_text(selected.latest_value, indicator.kind)} against the national "
        f"{_value_text(latest_national, indicator.kind)} ({selected.latest_period:%b %Y})."
        if selected.latest_period
        else "No values."
    )
    context = {
        "indicator": indicator,
        "z_figure": z_figure,
        "z_summary": z_summary,
        "value_figure": value_figure,
        "value_summary": value_summary,
        "fits": [
            {
                "fit": fit,
                "rows": [
                    {"label": label, "coefficient": fit.coefficients.get(name)}
                    for name, label in QUANTITY_LABELS.items()
                ],
            }
            for fit in data.fits
        ],
    }
    if data.spc is not None:
        spc = data.spc
        context["spc_figure"] = charts.spc_figure(
            spc.points,
            mean=spc.mean,
            upper=spc.upper,
            lower=spc.lower,
            icon=spc.variation_icon,
            trial=spc.trial_limits,
            kind=indicator.kind,
            cadence=indicator.cadence,
            target=spc.target,
            gap_before=spc.gap_before,
        )
        special = sum(1 for point in spc.points if point.get("point_type") != "common_cause")
        run_note = " of the latest unbroken run (earlier data end at a gap)" if spc.gap_before else ""
        if spc.rebased_from:
            run_note += f" since the chart was rebased in {spc.rebased_from:%B %Y}"
        context["spc_summary"] = (
            f"XmR chart of the latest {len(spc.points)} values{run_note}: {charts.spc_icon_text(spc.variation_icon)}; "
            f"{special} special-cause points; mean {_value_text(spc.mean, indicator.kind)}, process limits "
            f"{_value_text(spc.lower, indicator.kind)} to {_value_text(spc.upper, indicator.kind)}"
            + (" (trial limits, fewer than 13 points)" if spc.trial_limits else "")
            + (f"; assurance: {spc.assurance}." if spc.assurance else ".")
        )
        context["spc"] = spc
    context["spc_rebases"] = list(
        SpcRebase.objects.filter(organisation=organisation, indicator=indicator)
        .select_related("created_by")
        .order_by("-rebased_from")
    )
    return context


def _value_text(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "proportion":
        return f"{value:.1%}"
    return f"{value:.3f}"


def inferred_routes(episodes) -> dict[int, str]:
    """{episode id: the route the analyses infer} for episodes whose route is not recorded."""
    unrecorded = [episode for episode in episodes if not episode.route]
    if not unrecorded:
        return {}
    records = {
        episode.pk: EpisodeRecord(
            organisation_id=episode.organisation_id,
            regime=episode.regime.code,
            entered=episode.entered,
            exited=episode.exited,
            route=episode.route,
            family=episode.regime.family,
        )
        for episode in episodes
    }
    escalated = {(e.organisation_id, e.smq_entered) for e in find_escalations(list(records.values())) if e.inferred}
    return {
        episode.pk: "escalated from CP" if (episode.organisation_id, episode.entered) in escalated else "direct"
        for episode in unrecorded
    }


@require_safe
def trust_detail(request, ods_code: str):
    """One trust: header, timeline, indicator summary and one indicator's charts, episode records."""
    user = with_roles(request.user)
    organisation = get_object_or_404(
        Organisation.objects.select_related("parent_icb", "successor"), ods_code=ods_code.upper()
    )
    as_at, problem = as_at_from(request, user)  # issue 15: the page as at a past date, from its own run
    if problem:
        return as_at_refused(request, problem)
    with as_at.reading() if as_at else contextlib.nullcontext():
        return _trust_page(request, user, organisation, as_at)


def _trust_page(request, user, organisation, as_at):
    day = as_at.day if as_at else None
    today = day or date.today()
    # Months in a regime and the summary's light count to the data's cut-off, as the board does (issue 10).
    end = data_end()
    cutoff = data_cutoff(end, as_at=day)
    details_visible = can_see_episode_details(user, organisation.pk)
    profile = trust_profile(user, organisation, details_visible=details_visible, today=today, as_at=day)
    signals = TrustSignals()
    summaries = trust_indicator_summaries(user, organisation, signals)
    for summary in summaries:
        summary.value_text = _value_text(summary.latest_value, summary.indicator.kind)
        summary.spc_text = charts.spc_icon_text(summary.spc_icon) if summary.spc_icon else "–"
        summary.spc_icons = charts.spc_icons(summary.spc_icon, summary.spc_assurance, summary.indicator.polarity)
    by_code = {summary.indicator.code: summary for summary in summaries}
    chosen = request.GET.get("indicator") or (ED_4HR if ED_4HR in by_code else next(iter(by_code), None))
    selected = by_code.get(chosen)
    charts_context = _indicator_charts(user, organisation, selected, profile) if selected else {}
    annotations = annotate_charts(user, organisation, charts_context)  # issue 15: on every chart of the trust
    # Names of the indicators a criterion may have pointed to before a change (no extra query).
    indicator_names = {summary.indicator.pk: summary.indicator.name for summary in summaries}
    inferred = inferred_routes(profile.episodes)
    episodes = [
        {
            "episode": episode,
            "months_in": _months_in(episode, cutoff),
            "criteria": _criteria_by_theme(episode, indicator_names) if details_visible else [],
            "funding": _funding_totals(episode) if details_visible else None,
            "stocktake": getattr(episode, "stocktake", None) if details_visible else None,
            "notes": list(episode.episode_notes.all()) if details_visible else [],
            "inferred_route": inferred.get(episode.pk, ""),
        }
        for episode in reversed(profile.episodes)
    ]
    recent_alerts = trust_recent_alerts(organisation, end=end)
    return render(
        request,
        "trusts/trust_detail.html",
        {
            "summary": _trust_summary(profile, signals, episodes, recent_alerts, cutoff),
            "org": organisation,
            "profile": profile,
            "episodes": episodes,
            "timeline_figure": _timeline(profile, today) if (profile.episodes or profile.segments) else None,
            "summaries": summaries,
            "recent_alerts": recent_alerts,
            "selected": selected,
            "requested_indicator": request.GET.get("indicator", ""),
            "can_edit": can_edit_trust_records(user, organisation.pk),
            "can_approve": can_approve(user),
            "details_visible": details_visible,
            "lineage": predecessors_of(organisation),
            "lineage_head": last_successor(organisation),
            "annotations": annotations,
            "as_at": as_at,
            **charts_context,
        },
    )
