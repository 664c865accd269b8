"""The national board: every trust now in a regime, its light and signals; filters, sorts and CSV/XLSX export."""

import io
from datetime import date

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from actions.saved_views import default_redirect
from indicators.board import (
    BOARD_EXPORT_COLUMNS,
    BOARD_SORTS,
    EXIT_LIKELIHOOD_RULE,
    NO_DATA,
    PLANNING_HORIZON_MONTHS,
    SIGNALS_RULE,
    board_episodes,
    board_export_values,
    board_rows,
)
from oversight import exports
from oversight.views import with_roles
from trusts.filters import EpisodeFilterSet

from .as_at import as_at_from, as_at_refused

BOARD_FILTER_FIELDS = ("region", "regime", "kind")
BOARD_COLUMNS = [
    ("trust", "Trust"),
    ("light", "Likelihood of exit"),
    ("regime", "Regime"),
    ("entered", "Entered"),
    ("months", "Months in"),
    ("target", "Exit target (months)"),
    ("route", "Route"),
    ("director", "Improvement director"),
    ("segment", "Segment"),
    ("direction", "Direction of travel"),
    ("alerts", "Open alerts"),
    ("region", "Region"),
]


@require_safe
def board(request):
    """The national board: every trust now in a regime, with how it is doing; CSV/XLSX of the rows shown."""
    if (saved := default_redirect(request, "board")) is not None:  # issue 15: the user's default filters
        return saved
    user = with_roles(request.user)
    as_at, problem = as_at_from(request, user)  # issue 15: the board as at a past date, from its own run
    if problem:
        return as_at_refused(request, problem)
    data = _board_filter_data(request)
    visible = board_episodes(user, as_at.day if as_at else None)
    # An invalid choice (a regime the user may not pick) is ignored, never widened: the queryset is
    # already narrowed to the episodes the user may see.
    filterset = EpisodeFilterSet(data, queryset=visible, request=request)
    _offer_only_values_with_rows(filterset.form, visible)
    episodes = filterset.qs
    sort = request.GET.get("sort", "")
    if sort.lstrip("-") not in BOARD_SORTS:
        sort = ""
    if as_at is None:
        rows = board_rows(user, episodes=episodes, sort=sort)
    else:
        with as_at.reading():
            rows = board_rows(user, episodes=episodes, sort=sort, as_at=as_at.day)
    export = request.GET.get("export")
    day = as_at.day if as_at else date.today()
    if export == "csv":
        return _board_csv(rows, day)
    if export == "xlsx":
        return _board_xlsx(rows, day)
    columns = [
        {
            "key": key,
            "label": label,
            "sorted": "ascending" if sort == key else "descending" if sort == f"-{key}" else "",
            "next": f"-{key}" if sort == key else key,
        }
        for key, label in BOARD_COLUMNS
    ]
    counts = {light: sum(1 for row in rows if row.light == light) for light in ("green", "amber", "red", NO_DATA)}
    sort_text = ""
    if sort:
        direction = "descending" if sort.startswith("-") else "ascending"
        sort_text = f"{dict(BOARD_COLUMNS).get(sort.lstrip('-'), sort.lstrip('-')).lower()}, {direction}"
    return render(
        request,
        "oversight/board.html",
        {
            "rows": rows,
            "columns": columns,
            "filter_form": filterset.form,
            "filter_fields": [filterset.form[name] for name in BOARD_FILTER_FIELDS],
            "filtered": any(data.get(name) for name in BOARD_FILTER_FIELDS),
            "remembered_region": "region" not in request.GET and data.get("region"),
            "sort": sort,
            "sort_text": sort_text,
            "rule": EXIT_LIKELIHOOD_RULE,
            "signals_rule": SIGNALS_RULE,
            "planning_horizon": PLANNING_HORIZON_MONTHS,
            "light_counts": counts,
            "as_at": as_at,
        },
    )


BOARD_REGION_SESSION_KEY = "board_region"


def _board_filter_data(request):
    """The board's query, with the user's region remembered in the session: choosing "Any region" forgets it."""
    data = request.GET.copy()
    if "region" in request.GET:
        if request.GET["region"]:
            request.session[BOARD_REGION_SESSION_KEY] = request.GET["region"]
        else:
            request.session.pop(BOARD_REGION_SESSION_KEY, None)
    elif request.session.get(BOARD_REGION_SESSION_KEY):
        data["region"] = request.session[BOARD_REGION_SESSION_KEY]
    return data


def _offer_only_values_with_rows(form, episodes) -> None:
    """Narrow the region, kind and regime choices to those some visible open episode has (one query)."""
    present = set(episodes.values_list("organisation__region", "organisation__kind", "regime__code").order_by())
    regions = {region for region, _, _ in present}
    kinds = {kind for _, kind, _ in present}
    regimes = {code for _, _, code in present}
    for name, values in (("region", regions), ("kind", kinds)):
        field = form.fields[name]
        field.choices = [(value, label) for value, label in field.choices if value == "" or value in values]
    form.fields["regime"].queryset = form.fields["regime"].queryset.filter(code__in=regimes)


def _export_name(extension: str, day: date) -> str:
    return f"national-board-{day.isoformat()}.{extension}"


def _board_csv(rows, day: date) -> HttpResponse:
    buffer = io.StringIO()
    writer = exports.writer(buffer)
    writer.writerow(BOARD_EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([value.isoformat() if isinstance(value, date) else value for value in board_export_values(row)])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv", day)}"'
    return response


def _board_xlsx(rows, day: date) -> HttpResponse:
    content = exports.xlsx_bytes("National board", BOARD_EXPORT_COLUMNS, (board_export_values(row) for row in rows))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("xlsx", day)}"'
    return response
