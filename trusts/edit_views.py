"""The forms that change episode records (/records/…). Each view finds the record among those the user
may see (404 otherwise), checks the right to change it (403), and saves through trusts.services.

A refused save shows why beside the field; a save based on a stale version is refused (409) with
the name of whoever changed the record, and nothing is overwritten.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from oversight import permissions

from . import forms, services
from .models import DiagnosticStocktake, EntryProposal, ExitCriterion, RegimeEpisode, SupportFunding

TEMPLATE = "trusts/edit/form.html"


def trust_url(organisation) -> str:
    """The trust page, or the board while that page does not exist yet."""
    try:
        return reverse("trust-detail", args=[organisation.ods_code])
    except NoReverseMatch:
        return "/"


def _visible_episode(request, pk) -> RegimeEpisode:
    queryset = RegimeEpisode.objects.select_related("organisation", "regime")
    return get_object_or_404(permissions.visible_episodes(request.user, queryset), pk=pk)


def _visible_record(request, model, pk):
    queryset = model.objects.select_related("episode__organisation", "episode__regime")
    return get_object_or_404(permissions.visible_episodes(request.user, queryset, prefix="episode__"), pk=pk)


def _require_edit(request, episode) -> None:
    if not permissions.can_edit_trust_records(request.user, episode.organisation_id):
        raise PermissionDenied("Only the trust's improvement director or oversight staff can change its records.")


def _require_approve(request) -> None:
    if not permissions.can_approve(request.user):
        raise PermissionDenied("Only oversight staff can approve.")


def _versioned(data) -> dict:
    """The version the form was opened at and the reason given, as the services take them."""
    return {"expected_version": data["version"], "reason": data["reason"]}


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, items in error.error_dict.items():
            field = name if name in form.fields else None
            for item in items:
                form.add_error(field, item)
    else:
        form.add_error(None, error)


def _edit(request, *, form, episode, title, save, record=None, extra=None, done="Saved.", back=None):
    """Render the form on GET; on POST validate, save through `save(cleaned_data)` and go to the trust page."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except (services.ConcurrentEditError, services.DecisionNeedsApproval) as conflict:
            form.add_error(None, str(conflict))
            status = 409
        except ValidationError as error:
            _apply_errors(form, error)
            status = 400
        else:
            messages.success(request, done)
            return redirect(back or trust_url(episode.organisation))
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "title": title,
        "episode": episode,
        "organisation": episode.organisation if episode else None,
        "record": record,
        "cancel_url": trust_url(episode.organisation) if episode else "/",
        **(extra or {}),
    }
    return render(request, TEMPLATE, context, status=status)


def _episode_form(request, pk, form_class, service, *, title: str, done: str, require=_require_edit):
    """A form that adds to an episode: 404 unless the user sees the episode, 403 unless `require` allows;
    a valid POST calls `service(actor=…, episode=…, **cleaned_data)`. `{organisation}` in the title is its name."""
    episode = _visible_episode(request, pk)
    require(request, episode)
    form = form_class(request.POST or None)

    def save(data):
        service(actor=request.user, episode=episode, **data)

    title = title.format(organisation=episode.organisation.name)
    return _edit(request, form=form, episode=episode, title=title, save=save, done=done)


@require_http_methods(["GET", "POST"])
def stocktake_edit(request, pk):
    episode = _visible_episode(request, pk)
    _require_edit(request, episode)
    stocktake, _ = DiagnosticStocktake.objects.get_or_create(episode=episode)
    initial = {name: getattr(stocktake, name) for name in services.STOCKTAKE_FIELDS} | {"version": stocktake.version}
    form = forms.StocktakeForm(request.POST or None, initial=initial)

    def save(data):
        services.stocktake_update(
            actor=request.user,
            stocktake=stocktake,
            **_versioned(data),
            **{name: data[name] for name in services.STOCKTAKE_FIELDS},
        )

    return _edit(request, form=form, episode=episode, title="Diagnostic stocktake", save=save, record=stocktake)


@require_http_methods(["GET", "POST"])
def criterion_add(request, pk):
    form, title = forms.CriterionCreateForm, "Propose an exit criterion"
    return _episode_form(request, pk, form, services.criterion_create, title=title, done="Criterion proposed.")


@require_http_methods(["GET", "POST"])
def criterion_edit(request, pk):
    criterion = _visible_record(request, ExitCriterion, pk)
    episode = criterion.episode
    _require_edit(request, episode)
    names = [*forms.CRITERION_TERMS, "status", "evidence"]
    initial = {name: getattr(criterion, name) for name in names} | {"version": criterion.version}
    form = forms.CriterionEditForm(request.POST or None, initial=initial, criterion=criterion)

    def save(data):
        services.criterion_update(
            actor=request.user,
            criterion=criterion,
            **_versioned(data),
            **{name: data[name] for name in names},
        )

    return _edit(
        request,
        form=form,
        episode=episode,
        title="Exit criterion",
        save=save,
        record=criterion,
        extra={"changes_since_approval": _approval_changes(criterion)},
    )


def _approval_changes(criterion) -> list[tuple[str, object, object]]:
    return [
        (name.removesuffix("_id"), before, after)
        for name, (before, after) in criterion.changes_since_approval().items()
    ]


@require_http_methods(["GET", "POST"])
def criterion_approve(request, pk):
    criterion = _visible_record(request, ExitCriterion, pk)
    _require_approve(request)
    form = forms.ApproveForm(request.POST or None, initial={"version": criterion.version})

    def save(data):
        services.criterion_approve(actor=request.user, criterion=criterion, **_versioned(data))

    return _edit(
        request,
        form=form,
        episode=criterion.episode,
        title="Approve exit criterion",
        save=save,
        record=criterion,
        extra={"changes_since_approval": _approval_changes(criterion)},
        done="Criterion approved.",
    )


@require_http_methods(["GET", "POST"])
def funding_edit(request, pk):
    funding = _visible_record(request, SupportFunding, pk)
    _require_edit(request, funding.episode)
    form = forms.FundingSpendForm(request.POST or None, initial={"spent": funding.spent, "version": funding.version})

    def save(data):
        services.funding_update_spend(
            actor=request.user,
            funding=funding,
            spent=data["spent"],
            **_versioned(data),
        )

    return _edit(request, form=form, episode=funding.episode, title="Funding spent", save=save, record=funding)


@require_http_methods(["GET", "POST"])
def note_add(request, pk):
    return _episode_form(request, pk, forms.NoteForm, services.note_add, title="Add a note", done="Note added.")


@require_http_methods(["GET", "POST"])
def propose_exit(request, pk):
    episode = _visible_episode(request, pk)
    _require_edit(request, episode)
    form = forms.ProposeExitForm(
        request.POST or None, initial={"version": episode.version, "exit_date": episode.proposed_exit}
    )

    def save(data):
        services.episode_propose_exit(
            actor=request.user,
            episode=episode,
            exit_date=data["exit_date"],
            **_versioned(data),
        )

    return _edit(
        request, form=form, episode=episode, title="Propose an exit", save=save, done="Exit proposed for approval."
    )


@require_http_methods(["GET", "POST"])
def approve_exit(request, pk):
    episode = _visible_episode(request, pk)
    _require_approve(request)
    form = forms.ApproveExitForm(request.POST or None, initial={"version": episode.version})

    def save(data):
        services.episode_approve_exit(actor=request.user, episode=episode, **_versioned(data))

    return _edit(
        request, form=form, episode=episode, title="Approve the exit", save=save, done="Exit approved; episode closed."
    )


@require_http_methods(["GET", "POST"])
def episode_create(request):
    """Propose an entry into a regime (oversight staff); a second oversight user approves it."""
    if not permissions.can_manage_episodes(request.user):
        raise PermissionDenied("Only oversight staff can propose an entry into a regime.")
    form = forms.EpisodeCreateForm(request.POST or None, initial={"organisation": request.GET.get("organisation", "")})
    if request.method == "POST" and form.is_valid():
        try:
            services.entry_propose(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                "Entry proposed. It takes effect when another oversight user approves it under Entry proposals.",
            )
            return redirect("entry-proposal-list")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": "Propose an entry into a regime", "episode": None, "cancel_url": "/"}
    return render(request, TEMPLATE, context, status=status)


def _visible_proposals(request):
    if not permissions.can_manage_episodes(request.user):
        raise PermissionDenied("Only oversight staff decide on entries into a regime.")
    queryset = EntryProposal.objects.select_related("organisation", "regime", "proposed_by", "decided_by", "episode")
    return permissions.visible_episodes(request.user, queryset)


@require_http_methods(["GET"])
def entry_proposal_list(request):
    """Entries proposed and waiting for a second oversight user, then those decided."""
    proposals = _visible_proposals(request).order_by("-proposed_at", "-pk")
    return render(
        request,
        "trusts/edit/entry_proposals.html",
        {
            "pending": proposals.filter(status=EntryProposal.Status.PROPOSED),
            "decided": proposals.exclude(status=EntryProposal.Status.PROPOSED)[:50],
            "title": "Entry proposals",
        },
    )


@require_http_methods(["GET", "POST"])
def entry_proposal_decide(request, pk):
    """Approve (the episode is created) or turn down a proposed entry: oversight staff other than the proposer."""
    proposal = get_object_or_404(_visible_proposals(request), pk=pk)
    _require_approve(request)
    form = forms.DecideEntryForm(request.POST or None, initial={"version": proposal.version})
    organisation = proposal.organisation

    def save(data):
        decide = services.entry_approve if data["decision"] == "approve" else services.entry_reject
        decide(actor=request.user, proposal=proposal, **_versioned(data))

    return _edit(
        request,
        form=form,
        episode=None,
        title=f"Decide: {proposal}",
        save=save,
        record=proposal,
        extra={"organisation": organisation, "cancel_url": reverse("entry-proposal-list"), "proposal": proposal},
        done="Decision recorded.",
        back=trust_url(organisation),
    )
