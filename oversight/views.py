"""Pages that span apps: the national board, the about page, and the login view."""

import io
from datetime import date

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.views import LoginView
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from oversight import exports
from trusts.filters import EpisodeFilterSet
from trusts.selectors import (
    BOARD_EXPORT_COLUMNS,
    BOARD_SORTS,
    EXIT_LIKELIHOOD_RULE,
    PLANNING_HORIZON_MONTHS,
    SIGNALS_RULE,
    board_export_values,
    board_rows,
    open_episodes,
)

from . import login_throttle

LOGIN_FAILURE_LIMIT = settings.LOGIN_FAILURE_LIMIT
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


class ThrottledLoginView(LoginView):
    """The login page, refusing an account's sign-in from one address after repeated failures (login_throttle)."""

    template_name = "registration/login.html"

    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        if not login_throttle.attempt(request, username):
            form = self.get_form()
            form.add_error(None, login_throttle.LOCKED_MESSAGE)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        login_throttle.succeeded(self.request, self.request.POST.get("username", ""))
        return super().form_valid(form)


def admin_login(request, extra_context=None):
    """The admin's sign-in, through the same lockout as the site's (it is a second door to the same accounts)."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    username = request.POST.get("username", "")
    if not login_throttle.attempt(request, username):
        form = AdminAuthenticationForm(request, data=request.POST)
        form.errors.clear()
        form.add_error(None, login_throttle.LOCKED_MESSAGE)
        context = {
            **admin.site.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": username,
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/login.html", context, status=429)
    response = admin.site.login(request, extra_context)
    if response.status_code == 302 and request.user.is_authenticated:
        login_throttle.succeeded(request, username)
    return response


def with_roles(user):
    """Load the user's groups once, so the permission checks of one page share a single query."""
    if user.is_authenticated:
        prefetch_related_objects([user], "groups")
    return user


@require_safe
def board(request):
    """The national board: every trust now in a regime, with how it is doing; CSV/XLSX of the rows shown."""
    from actions.saved_views import default_redirect  # issue 15: the user's default filters

    if (saved := default_redirect(request, "board")) is not None:
        return saved
    user = with_roles(request.user)
    # An invalid choice (a regime the user may not pick) is ignored, never widened: the queryset is
    # already narrowed to the episodes the user may see.
    filterset = EpisodeFilterSet(request.GET, queryset=open_episodes(user), request=request)
    episodes = filterset.qs
    sort = request.GET.get("sort", "")
    if sort.lstrip("-") not in BOARD_SORTS:
        sort = ""
    rows = board_rows(user, episodes=episodes, sort=sort)
    export = request.GET.get("export")
    if export == "csv":
        return _board_csv(rows)
    if export == "xlsx":
        return _board_xlsx(rows)
    columns = [
        {
            "key": key,
            "label": label,
            "sorted": "ascending" if sort == key else "descending" if sort == f"-{key}" else "",
            "next": f"-{key}" if sort == key else key,
        }
        for key, label in BOARD_COLUMNS
    ]
    counts = {light: sum(1 for row in rows if row.light == light) for light in ("green", "amber", "red")}
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
            "filtered": any(request.GET.get(name) for name in BOARD_FILTER_FIELDS),
            "sort": sort,
            "sort_text": sort_text,
            "rule": EXIT_LIKELIHOOD_RULE,
            "signals_rule": SIGNALS_RULE,
            "planning_horizon": PLANNING_HORIZON_MONTHS,
            "light_counts": counts,
        },
    )


def _export_name(extension: str) -> str:
    return f"national-board-{date.today().isoformat()}.{extension}"


def _board_csv(rows) -> HttpResponse:
    buffer = io.StringIO()
    writer = exports.writer(buffer)
    writer.writerow(BOARD_EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([value.isoformat() if isinstance(value, date) else value for value in board_export_values(row)])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("csv")}"'
    return response


def _board_xlsx(rows) -> HttpResponse:
    content = exports.xlsx_bytes("National board", BOARD_EXPORT_COLUMNS, (board_export_values(row) for row in rows))
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_export_name("xlsx")}"'
    return response


@require_safe
def about(request):
    """Data sources, licences and methods."""
    return render(request, "oversight/about.html")
