"""NOF pages: published segments reconciled with their recomputation, and the league table per category."""

from __future__ import annotations

import csv
import io

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from oversight.permissions import can_view_segment_reconciliation
from oversight.views import with_roles
from trusts.models import SegmentAssignment, SegmentCategory

from .board import PLANNING_HORIZON_MONTHS
from .exit_likelihood import EXIT_EXPORT_COLUMNS, PAST_TARGET_WINDOW, exit_export_rows, exit_model_report
from .framework import (
    REASON_LABELS,
    RECONCILIATION_COLUMNS,
    domain_names,
    league_table,
    published_framework,
    reconciliation_records,
    segments_reconcile,
)


def _framework(request):
    framework = published_framework(request.GET.get("framework") or None)
    if framework is None and request.GET.get("framework"):
        raise Http404("No such framework edition.")
    return framework


@require_safe
def segment_reconciliation(request):
    """Published segments beside the segments their framework's rule gives, with each difference's reason."""
    user = with_roles(request.user)
    if not can_view_segment_reconciliation(user):
        raise PermissionDenied("The segment reconciliation is for oversight staff and analysts.")
    framework = _framework(request)
    reconciliation = segments_reconcile(framework) if framework else None
    if reconciliation and request.GET.get("format") == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(RECONCILIATION_COLUMNS)
        writer.writerows(reconciliation_records(reconciliation))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        name = f"segment-reconciliation-{framework.code}-{reconciliation.published_on or 'none'}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    counts = reconciliation.reason_counts() if reconciliation else {}
    return render(
        request,
        "indicators/segment_reconciliation.html",
        {
            "framework": framework,
            "reconciliation": reconciliation,
            "reasons": [(REASON_LABELS[reason], count) for reason, count in counts.items()],
            "differences": [row for row in reconciliation.rows if not row.agrees] if reconciliation else [],
            "categories": dict(SegmentCategory.choices),
        },
    )


@require_safe
def segment_league_table(request):
    """One category's league table: rank, average score, domain segments, movement, distance to the next segment."""
    user = with_roles(request.user)
    category = request.GET.get("category") or SegmentCategory.ACUTE
    if category not in SegmentCategory.values:
        return render(
            request,
            "indicators/segment_league_table.html",
            {
                "error": f'"{category}" is not a category; choose one of {", ".join(SegmentCategory.values)}.',
                "categories": SegmentCategory.choices,
            },
            status=400,
        )
    framework = _framework(request)
    table = league_table(framework, category) if framework else None
    names = domain_names(framework) if framework else {}
    return render(
        request,
        "indicators/segment_league_table.html",
        {
            "framework": framework,
            "table": table,
            "category": category,
            "categories": SegmentCategory.choices,
            "domain_names": names,
            "domain_headers": [names.get(code, code) for code in SegmentAssignment.DOMAIN_FIELDS],
            "can_reconcile": can_view_segment_reconciliation(user),
        },
    )


@require_safe
def exit_likelihood(request):
    """Each open episode's probability of exit within its target from a proportional-hazards fit, beside the light."""
    user = with_roles(request.user)
    report = exit_model_report(user)
    if request.GET.get("format") == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXIT_EXPORT_COLUMNS)
        writer.writerows(exit_export_rows(report))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="exit-likelihood-{report.today.isoformat()}.csv"'
        return response
    return render(
        request,
        "indicators/exit_likelihood.html",
        {"report": report, "window": PAST_TARGET_WINDOW, "horizon": PLANNING_HORIZON_MONTHS},
    )
