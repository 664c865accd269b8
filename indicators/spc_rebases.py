"""Rebasing a trust's SPC chart: a person says the process changed at a period, with the reason.

The service decides (rights, validation, audit); the view only translates. A rebase takes effect at
the next recompute of its indicator, which is queued once the rebase has committed.
"""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from oversight import permissions
from oversight.audit import stamp_history
from trusts.models import Organisation

from .models import Indicator, SpcRebase


@transaction.atomic
def spc_rebase_add(*, actor, organisation: Organisation, indicator: Indicator, rebased_from: date, reason: str):
    """Record that `organisation`'s chart of `indicator` starts afresh at the month of `rebased_from`."""
    if not permissions.can_edit_trust_records(actor, organisation.pk):
        raise PermissionDenied("Only the trust's improvement director or oversight staff can rebase its charts.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "A rebase needs a reason: what changed in the process at that period?"})
    month = rebased_from.replace(day=1)
    latest = (
        indicator.observations.filter(organisation=organisation).order_by("-period").values_list("period", flat=True)
    )
    last_period = latest.first()
    if last_period is None:
        raise ValidationError({"rebased_from": "This trust has no data for this indicator to chart."})
    if month > last_period:
        raise ValidationError(
            {"rebased_from": f"The trust's data end in {last_period:%B %Y}: a chart cannot start after that."}
        )
    if SpcRebase.objects.filter(organisation=organisation, indicator=indicator, rebased_from=month).exists():
        raise ValidationError({"rebased_from": f"The chart is already rebased at {month:%B %Y}."})
    rebase = SpcRebase(
        organisation=organisation, indicator=indicator, rebased_from=month, reason=reason, created_by=actor
    )
    stamp_history(rebase, actor=actor, reason=f"SPC chart rebased from {month:%B %Y}: {reason}")
    rebase.save()
    from .tasks import recompute_after_import  # the queue runs on commit, like an import's

    recompute_after_import(triggered_by=f"SPC rebase by {actor}")
    return rebase


class RebaseForm(forms.Form):
    rebased_from = forms.DateField(
        label="First period of the new chart",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The chart's mean and limits are drawn from this month on.",
    )
    reason = forms.CharField(label="Why the process changed", widget=forms.Textarea(attrs={"rows": 3}))


@require_http_methods(["GET", "POST"])
def spc_rebase(request, ods_code: str, code: str):
    """The rebase form of one trust's chart (404 for an unknown trust or indicator, 403 without the right)."""
    organisation = get_object_or_404(Organisation, ods_code=ods_code.upper())
    indicator = get_object_or_404(Indicator, code=code)
    if not permissions.can_edit_trust_records(request.user, organisation.pk):
        raise PermissionDenied("Only the trust's improvement director or oversight staff can rebase its charts.")
    back = reverse("trust-detail", args=[organisation.ods_code]) + f"?indicator={indicator.code}#indicator-charts"
    form = RebaseForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                spc_rebase_add(
                    actor=request.user,
                    organisation=organisation,
                    indicator=indicator,
                    rebased_from=form.cleaned_data["rebased_from"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                for name, items in error.message_dict.items():
                    for item in items:
                        form.add_error(name if name in form.fields else None, item)
            else:
                messages.success(request, "Chart rebased; it is redrawn at the next recompute (queued now).")
                return redirect(back)
    context = {
        "form": form,
        "title": f"Rebase the {indicator.name} chart",
        "organisation": organisation,
        "cancel_url": back,
    }
    return render(request, "trusts/edit/form.html", context, status=status)
