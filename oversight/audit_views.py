"""The audit trail pages: every change across the history tables, and one organisation's timeline.

Read only: there are no views that change or delete history. Oversight staff see the whole trail;
an organisation's timeline is also open to those who may see its episode records, without the
confidential records they may not see.
"""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import audit, exports, permissions
from .audit import CHANGE_TYPES, AuditFilters, audit_count, audit_iter, audit_page

PAGE_SIZE = 50
CSV_COLUMNS = [
    "when",
    "user",
    "change",
    "model",
    "object_id",
    "object",
    "field",
    "before",
    "after",
    "reason",
    "request_id",
    "channel",
]


class _LazyAuditList:
    """A sequence the Paginator can count and slice without reading every history table."""

    def __init__(self, filters: AuditFilters):
        self.filters = filters

    def count(self) -> int:
        return audit_count(self.filters)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, window: slice):
        return audit_page(self.filters, offset=window.start, limit=window.stop - window.start)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters_from(request) -> tuple[AuditFilters, dict]:
    query = request.GET
    object_id = query.get("object", "")
    batch = query.get("batch", "")
    filters = AuditFilters(
        kinds=[kind for kind in query.getlist("model") if kind in audit.audited_keys()],
        user=query.get("user", "").strip(),
        change=query.get("change", "") if query.get("change", "") in CHANGE_TYPES else "",
        since=_date(query.get("since", "")),
        until=_date(query.get("until", "")),
        object_id=int(object_id) if object_id.isdigit() else None,
        request_id=query.get("request_id", "").strip(),
        reason=query.get("reason", "").strip(),
        batch_id=int(batch) if batch.isdigit() else None,
    )
    shown = {
        "models": filters.kinds,
        "user": filters.user,
        "change": filters.change,
        "since": query.get("since", ""),
        "until": query.get("until", ""),
        "object": object_id,
        "request_id": filters.request_id,
        "reason": filters.reason,
        "batch": batch,
    }
    return filters, shown


class _Echo:
    def write(self, value):
        return value


def _csv_response(filters: AuditFilters, name: str) -> StreamingHttpResponse:
    writer = exports.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for entry in audit_iter(filters):
            base = [
                timezone.localtime(entry.when).isoformat(timespec="seconds"),
                entry.user,
                entry.change,
                entry.kind,
                entry.object_id,
                entry.object_repr,
            ]
            tail = [entry.reason, entry.request_id, entry.channel]
            if not entry.changes:
                yield writer.writerow([*base, "", "", "", *tail])
            for field, before, after in entry.changes:
                yield writer.writerow([*base, field, before, after, *tail])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _page(request, filters: AuditFilters) -> Page:
    paginator = Paginator(_LazyAuditList(filters), PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _querystring_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _audit_response(request, filters, shown, filename: str, model_keys, organisation=None):
    """The filtered audit trail as the CSV export (`?format=csv`, named `filename`) or the list page."""
    if request.GET.get("format") == "csv":
        return _csv_response(filters, filename)
    context = {
        "page": _page(request, filters),
        "shown": shown,
        "model_choices": [(kind, kind) for kind in model_keys],
        "change_choices": list(CHANGE_TYPES.items()),
        "querystring": _querystring_without_page(request),
        "organisation": organisation,
    }
    return render(request, "audit/list.html", context)


@require_GET
def audit_list(request):
    """Every change to every audited record, newest first, filterable; `?format=csv` exports it."""
    if not permissions.can_view_audit(request.user):
        raise PermissionDenied("The audit trail is for oversight staff.")
    filters, shown = _filters_from(request)
    return _audit_response(request, filters, shown, "audit", audit.audited_keys())


@require_GET
def audit_organisation(request, ods_code):
    """Every change touching one organisation's records: the trust page's timeline."""
    organisation = get_object_or_404(audit.organisation_model(), ods_code=ods_code)
    user = request.user
    if not (permissions.can_view_audit(user) or permissions.can_see_episode_details(user, organisation.pk)):
        raise PermissionDenied("This organisation's audit timeline is for those who may see its records.")
    filters, shown = _filters_from(request)
    filters.organisation_id = organisation.pk
    filters.hide_confidential = not (
        permissions.can_see_confidential(user) or organisation.pk in permissions.assigned_organisation_ids(user)
    )
    return _audit_response(
        request, filters, shown, f"audit-{organisation.ods_code}", audit.organisation_keys(), organisation
    )
