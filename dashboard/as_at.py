"""Pages "as at" a past date (issue 15): reading `?as_at=`, the run they read, and queueing one to be computed.

A page as at D must never show results computed on data after D: it reads the as-at run for D
(indicators.recompute.as_at_run, made by `manage.py recompute --as-at D` or queued here), and when
there is none it shows no results at all (reading_run(NO_RUN)), only what it can say honestly
from the records (who was in which regime on D). Oversight staff may queue the run from the page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from indicators.as_at import AsAtError, parse_as_at
from indicators.constants import RunStatus
from indicators.models import NO_RUN, AsAtRequest, ComputationRun, reading_run
from indicators.recompute import as_at_run
from oversight.permissions import is_oversight
from oversight.views import with_roles

logger = logging.getLogger("oversight.as_at")

AS_AT_PARAMETER = "as_at"


@dataclass
class AsAt:
    """The date a page is shown as at and the as-at run it reads (None: not computed yet)."""

    day: date
    run: ComputationRun | None
    computing: ComputationRun | None = None  # an as-at run for the day still running
    can_compute: bool = False
    today_url: str = ""

    @property
    def run_id(self) -> int:
        return self.run.pk if self.run else NO_RUN

    @property
    def data_end(self) -> date | None:
        return self.run.data_as_of if self.run else None

    @property
    def query(self) -> str:
        return urlencode({AS_AT_PARAMETER: self.day.isoformat()})

    def reading(self):
        """Inside, every stored result read is the as-at run's (or none)."""
        return reading_run(self.run_id)


def as_at_from(request, user) -> tuple[AsAt | None, str]:
    """(the page's as-at, "") or (None, "") without one, or (None, why the value was refused)."""
    text = request.GET.get(AS_AT_PARAMETER, "")
    if not text.strip():
        return None, ""
    try:
        day = parse_as_at(text)
    except AsAtError as exc:
        return None, str(exc)
    query = request.GET.copy()
    query.pop(AS_AT_PARAMETER, None)
    query.pop("export", None)
    computing = None
    run = as_at_run(day)
    if run is None:
        computing = ComputationRun.objects.filter(as_at=day, status=RunStatus.RUNNING).order_by("-started").first()
    return AsAt(
        day=day,
        run=run,
        computing=computing,
        can_compute=is_oversight(user),
        today_url=f"{request.path}?{query.urlencode()}" if query else request.path,
    ), ""


def as_at_refused(request, problem: str):
    """The page a refused as-at date gets: what was wrong and the way to today's page (400, never a 500)."""
    return render(request, "oversight/as_at_refused.html", {"problem": problem, "today_url": request.path}, status=400)


@require_POST
def as_at_compute(request):
    """Queue an as-at run for a date (oversight staff only); the request is audited (AsAtRequest's history)."""
    user = with_roles(request.user)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = "/"
    if not user.is_authenticated or not is_oversight(user):
        messages.error(request, "Only oversight staff may compute results as at a past date.")
        return redirect(back)
    try:
        day = parse_as_at(request.POST.get(AS_AT_PARAMETER, ""))
    except AsAtError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if as_at_run(day) is not None:
        messages.info(request, f"Results as at {day:%-d %B %Y} are already computed.")
        return redirect(back)
    from indicators.tasks import recompute_as_at

    who = user.get_username()
    asked = AsAtRequest(as_at=day, requested_by=user)
    asked._history_user = user
    asked._change_reason = f"Asked for results as at {day.isoformat()} from {back}"[:100]
    asked.save()  # the audit trail's record of who asked
    logger.info("as-at run for %s queued by %s", day.isoformat(), who)
    try:
        recompute_as_at.delay(day.isoformat(), triggered_by=f"as-at page, asked by {who}"[:100])
    except Exception:  # the broker is down: say so rather than fail
        logger.exception("queueing the as-at run for %s failed", day.isoformat())
        messages.error(request, "The computation could not be queued (the task queue is unavailable); try again later.")
        return redirect(back)
    messages.success(
        request,
        f"Results as at {day:%-d %B %Y} are being computed from the data as it stood then; "
        "reload this page in a few minutes.",
    )
    return redirect(back)
