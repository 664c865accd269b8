"""Pages: the inbox, subscriptions, outlier cases (open, respond, close)."""

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from indicators.models import Indicator
from oversight import permissions
from trusts.models import Organisation

from . import selectors, services
from .models import ALL_EVENT_KINDS, CaseSignal, Delivery, EventKind, OutlierCase, Subscription, SubscriptionTarget


class SubscriptionForm(forms.Form):
    target = forms.ChoiceField(choices=SubscriptionTarget.choices)
    organisation = forms.ModelChoiceField(Organisation.objects.order_by("name"), required=False)
    region = forms.ChoiceField(choices=[("", "—"), *Subscription._meta.get_field("region").choices], required=False)
    indicator = forms.ModelChoiceField(Indicator.objects.all(), required=False)
    events = forms.MultipleChoiceField(
        choices=EventKind.choices, widget=forms.CheckboxSelectMultiple, initial=ALL_EVENT_KINDS
    )
    delivery = forms.ChoiceField(choices=Delivery.choices)


def _errors_to_form(form, error: ValidationError):
    for field, messages_ in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages_)


@require_http_methods(["GET", "HEAD", "POST"])
def inbox(request):
    if request.method == "POST":
        services.mark_read(request.user)
        messages.success(request, "Every notification marked read.")
        return redirect("actions:inbox")
    notifications = list(selectors.inbox(request.user)[:200])
    return render(request, "actions/inbox.html", {"notifications": notifications})


@require_POST
def notification_read(request, pk):
    services.mark_read(request.user, [pk])
    return redirect("actions:inbox")


@require_http_methods(["GET", "HEAD", "POST"])
def subscriptions(request):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["region"] = data.get("region") or ""
        try:
            services.subscription_create(user=request.user, **data)
        except ValidationError as error:
            _errors_to_form(form, error)
        else:
            messages.success(request, "Subscribed.")
            return redirect("actions:subscriptions")
    rows = permissions.visible_to(request.user, Subscription.objects.all()).select_related("organisation", "indicator")
    return render(
        request, "actions/subscriptions.html", {"form": form, "subscriptions": rows}, status=400 if form.errors else 200
    )


@require_POST
def subscription_delete(request, pk):
    subscription = get_object_or_404(permissions.visible_to(request.user, Subscription.objects.all()), pk=pk)
    services.subscription_delete(user=request.user, subscription=subscription)
    messages.success(request, "Unsubscribed.")
    return redirect("actions:subscriptions")


def case_list(request):
    cases = list(selectors.cases(request.user)[:500])
    return render(
        request,
        "actions/case_list.html",
        {"cases": cases, "mean_days_to_close": selectors.mean_days_to_close(request.user)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def case_detail(request, pk):
    case = get_object_or_404(selectors.cases(request.user), pk=pk)
    if request.method == "POST":
        step = request.POST.get("step")
        text = request.POST.get("text", "")
        try:
            if step == "respond":
                services.case_record_response(actor=request.user, case=case, response=text)
            elif step == "close":
                services.case_close(actor=request.user, case=case, reason=text)
            else:
                raise ValidationError({"step": "Choose respond or close."})
        except (ValidationError, PermissionDenied) as error:
            message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            messages.error(request, message)
            return render(
                request,
                "actions/case_detail.html",
                {"case": case},
                status=400 if isinstance(error, ValidationError) else 403,
            )
        messages.success(request, "Case updated.")
        return redirect("actions:case-detail", pk=case.pk)
    history = case.history.select_related("history_user").order_by("history_date")
    return render(request, "actions/case_detail.html", {"case": case, "history": history})


@require_POST
def case_open(request):
    organisation = get_object_or_404(Organisation, pk=request.POST.get("organisation"))
    indicator = get_object_or_404(Indicator, pk=request.POST.get("indicator"))
    try:
        period = date.fromisoformat(request.POST.get("period", ""))
    except ValueError:
        messages.error(request, "period: give the signal's period as YYYY-MM-DD.")
        return redirect(request.POST.get("next") or "actions:case-list")
    try:
        case = services.case_open(
            actor=request.user,
            organisation=organisation,
            indicator=indicator,
            period=period,
            signal=request.POST.get("signal", CaseSignal.CUSUM),
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, "; ".join(getattr(error, "messages", [str(error)])))
        return redirect(request.POST.get("next") or "actions:case-list")
    return redirect("actions:case-detail", pk=case.pk)


@require_safe
def board_pack_pdf(request):
    """/board/pack.pdf: the board pack as the user may see it."""
    from django.http import HttpResponse

    from .board_pack import board_pack

    content, _ = board_pack(request.user)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="board-pack-{date.today().isoformat()}.pdf"'
    return response


@require_safe
def evaluation_report(request):
    """/analytics/report/?cutoff=DATE: the evaluation's tables at a cut-off (download=html or pdf for a file)."""
    from django.http import HttpResponse
    from django.template.loader import render_to_string

    from .evaluation import build_report, report_context

    text = request.GET.get("cutoff") or ""
    try:
        cutoff = date.fromisoformat(text) if text else None
    except ValueError:
        return HttpResponse(f"cutoff: {text!r} is not a date (YYYY-MM-DD).", status=400, content_type="text/plain")
    report = build_report(request.user, cutoff)
    if request.GET.get("download") == "pdf":
        from .report_pdf import report_pdf

        response = HttpResponse(report_pdf(report), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="evaluation-{report.cutoff}.pdf"'
        return response
    context = report_context(report)
    if request.GET.get("download") == "html":
        response = HttpResponse(render_to_string("actions/report_file.html", context, request=request))
        response["Content-Disposition"] = f'attachment; filename="evaluation-{context["report"].cutoff}.html"'
        return response
    return render(request, "actions/report_page.html", context)


@require_POST
def annotation_add(request, ods_code):
    from .annotations import annotation_add as add

    return _act_from_trust_page(
        request,
        Organisation.objects.all(),
        {"ods_code": ods_code.upper()},
        lambda organisation: add(
            actor=request.user,
            organisation=organisation,
            on=_posted_date(request, "on", "Date"),
            kind=request.POST.get("kind", ""),
            text=request.POST.get("text", ""),
        ),
        done="Annotation added to the charts.",
        trust=lambda organisation: organisation,
    )


@require_POST
def annotation_delete(request, pk):
    from .annotations import annotation_delete as delete
    from .models import ChartAnnotation

    annotation = get_object_or_404(permissions.visible_to(request.user, ChartAnnotation.objects.all()), pk=pk)
    ods_code = annotation.organisation.ods_code
    delete(actor=request.user, annotation=annotation)
    messages.success(request, "Annotation removed.")
    return redirect("trust-detail", ods_code=ods_code)


@require_POST
def saved_view_save(request, page):
    from django.http import Http404

    from .saved_views import PAGES, save_default

    if page not in PAGES:
        raise Http404("No such page.")
    view = save_default(request.user, page, request.POST.get("query", ""))
    messages.success(request, "Saved as your default view." if view else "Your default view is cleared.")
    return redirect(f"/?{view.query}" if view else "/?view=all")


@require_safe
def changes(request):
    """What the last run changed (its events), as the user may see them: one click from the inbox."""
    from indicators.models import ComputationRun

    from .models import Event

    runs = ComputationRun.objects.filter(status="succeeded", as_at__isnull=True).order_by("-finished")
    run = runs.filter(pk=request.GET.get("run")).first() if (request.GET.get("run") or "").isdigit() else runs.first()
    events = []
    if run is not None:
        events = list(
            permissions.visible_to(request.user, Event.objects.filter(run=run)).select_related("organisation")[:500]
        )
    return render(request, "actions/changes.html", {"run": run, "events": events})


__all__ = ["OutlierCase"]


# --- transition after exit, and communications (issue 15) -------------------------------------------


def _posted_date(request, name: str, label: str) -> date:
    try:
        return date.fromisoformat(request.POST.get(name, ""))
    except ValueError:
        # The label travels with the error, so the message names the field as the form does.
        invalid = ValidationError("give the date as YYYY-MM-DD.", code="invalid", params={"label": label})
        raise ValidationError({name: invalid}) from None


def _say_errors(request, error: ValidationError) -> None:
    """One message naming each field by its form label where the error carries one, else by its name."""
    if not hasattr(error, "error_dict"):
        messages.error(request, "; ".join(error.messages))
        return
    said = []
    for field, errors in error.error_dict.items():
        label = next((e.params["label"] for e in errors if e.params and "label" in e.params), field)
        said.append(f"{label}: {', '.join(message for e in errors for message in e.messages)}")
    messages.error(request, "; ".join(said))


def _episode_organisation(record):
    return record.episode.organisation


def _act_from_trust_page(request, queryset, lookup: dict, act, *, done: str, trust=_episode_organisation):
    """A form posted from the trust page: find the record among those the user may see (404 otherwise),
    run `act(record)` (the service call), say its ValidationError or `done`, and go back to the trust page."""
    record = get_object_or_404(permissions.visible_to(request.user, queryset), **lookup)
    try:
        act(record)
    except ValidationError as error:
        _say_errors(request, error)
    else:
        messages.success(request, done)
    return redirect("trust-detail", ods_code=trust(record).ods_code)


def _act_on_episode_record(request, model, pk, act, *, done: str):
    """`_act_from_trust_page` for a record of an episode (a transition, a communication) found by its pk."""
    return _act_from_trust_page(
        request, model.objects.select_related("episode__organisation"), {"pk": pk}, act, done=done
    )


@require_POST
def transition_check_in(request, pk):
    from .models import Transition
    from .transitions import check_in_record

    return _act_on_episode_record(
        request,
        Transition,
        pk,
        lambda transition: check_in_record(
            actor=request.user,
            transition=transition,
            held=_posted_date(request, "held", "Held on"),
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        ),
        done="Check-in recorded.",
    )


@require_POST
def transition_complete(request, pk):
    from .models import Transition
    from .transitions import transition_complete as complete

    return _act_on_episode_record(
        request,
        Transition,
        pk,
        lambda transition: complete(actor=request.user, transition=transition, reason=request.POST.get("reason", "")),
        done="Transition completed.",
    )


@require_POST
def communication_plan(request, ods_code):
    from trusts.models import RegimeEpisode

    from .transitions import communication_plan as plan

    def plan_for(organisation):
        episodes = permissions.visible_to(request.user, RegimeEpisode.objects.filter(organisation=organisation))
        chosen = request.POST.get("episode", "")
        episode = episodes.filter(pk=int(chosen)).first() if chosen.isdigit() else None
        if episode is None:
            raise ValidationError({"episode": "Decision: choose one of this trust's episodes."})
        plan(
            actor=request.user,
            episode=episode,
            kind=request.POST.get("kind", ""),
            audience=request.POST.get("audience", ""),
            planned=_posted_date(request, "planned", "Planned for"),
            note=request.POST.get("note", ""),
        )

    return _act_from_trust_page(
        request,
        Organisation.objects.all(),
        {"ods_code": ods_code.upper()},
        plan_for,
        done="Communication planned.",
        trust=lambda organisation: organisation,
    )


@require_POST
def communication_sent(request, pk):
    from .models import Communication
    from .transitions import communication_sent as sent

    return _act_on_episode_record(
        request,
        Communication,
        pk,
        lambda communication: sent(
            actor=request.user, communication=communication, sent=_posted_date(request, "sent", "Sent on")
        ),
        done="Communication recorded as sent.",
    )
