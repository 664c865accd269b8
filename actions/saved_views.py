"""Saved views (issue 15): a user's default filters for a page, remembered in the database (so across restarts)."""

from urllib.parse import urlencode

from django.db import transaction
from django.http import QueryDict
from django.shortcuts import redirect

from .models import SavedView

PAGES = {"board": ("region", "regime", "kind", "sort")}
SHOW_ALL = "view"  # ?view=all opens the page without the saved filters


def clean_query(page: str, query: str) -> str:
    """Only the page's own filter parameters are kept (never an export or anything else)."""
    allowed = PAGES[page]
    values = QueryDict(query)
    return urlencode([(key, value) for key in allowed for value in values.getlist(key) if value])


@transaction.atomic
def save_default(user, page: str, query: str) -> SavedView | None:
    query = clean_query(page, query)
    existing = SavedView.objects.filter(user=user, page=page).first()
    if not query:
        if existing:
            existing._history_user = user
            existing.delete()
        return None
    view = existing or SavedView(user=user, page=page)
    view.query = query
    view._history_user = user
    view._change_reason = "Saved as my default view"
    view.save()
    return view


def default_redirect(request, page: str):
    """A redirect to the user's saved filters when the page is opened without any, else None."""
    if request.GET or not request.user.is_authenticated:
        return None
    view = SavedView.objects.filter(user=request.user, page=page).only("query").first()
    if view is None or not view.query:
        return None
    return redirect(f"{request.path}?{view.query}")
