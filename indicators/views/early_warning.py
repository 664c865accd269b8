"""Early warning: trusts in no regime that are slipping, each with the CUSUM charts the nightly recompute stored."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_safe

from trusts.models import Organisation

from .. import charts
from .. import page_selectors as reads
from ..models import Indicator
from ..page_results import CUSUM_SHOWN_PERIODS
from ..recompute import stored_document

PAGE_SIZE = 50


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
    stored_series = document.get("cusum", {})  # the nightly recompute's CUSUMs (indicators.page_results)
    trusts = []
    for index, item in enumerate(trust_page):
        organisation = organisations.get(item["organisation_id"])
        if organisation is None:
            continue
        series = [
            {
                "label": indicators[line["indicator_id"]].code
                if line["indicator_id"] in indicators
                else str(line["indicator_id"]),
                "periods": line["periods"],
                "statistic": line["statistic"],
                "signals": line["signals"],
            }
            for line in stored_series.get(str(item["organisation_id"]), [])
        ]
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
