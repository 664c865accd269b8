"""{% open_cases organisation_ids %}: the open outlier cases panel on the board and the trust page."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("actions/includes/open_cases.html", takes_context=True)
def open_cases(context, organisation=None):
    user = context["request"].user
    ids = [organisation.pk] if organisation is not None else None
    cases = list(selectors.open_cases(user, ids)[:100])
    # One query: the board and trust page keep their query budgets (the mean time to close is on /cases/).
    return {"cases": cases, "single": organisation is not None}


@register.inclusion_tag("actions/includes/signal_case.html", takes_context=True)
def signal_case(context, alert):
    """The early-warning list's case cell: the case of this signal, or a button opening one."""
    request = context["request"]
    cache = context.render_context.setdefault("actions_signal_cases", {})
    if "cases" not in cache:
        cache["cases"] = {
            (case.organisation_id, case.indicator_id, case.period): case
            for case in selectors.cases(request.user).filter(signal="cusum").order_by("opened_at")
        }
    case = cache["cases"].get((alert.organisation_id, alert.indicator_id, alert.period))
    from oversight import permissions

    return {
        "case": case,
        "alert": alert,
        "can_open": permissions.can_edit_trust_records(request.user, alert.organisation_id),
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path(),
    }


@register.inclusion_tag("actions/includes/annotations.html", takes_context=True)
def chart_annotations(context, organisation, annotations):
    from oversight import permissions

    from ..models import AnnotationKind

    request = context["request"]
    return {
        "organisation": organisation,
        "annotations": annotations,
        "kinds": AnnotationKind.choices,
        "can_edit": permissions.can_edit_trust_records(request.user, organisation.pk),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("actions/includes/transition_records.html", takes_context=True)
def transition_records(context, organisation):
    """The trust page's transition (schedule, handover, check-ins) and the decisions' communications."""
    from oversight import permissions

    from ..models import Audience, CheckInOutcome, Communication, CommunicationKind, Transition
    from ..transitions import current_step

    request = context["request"]
    user = request.user
    transitions = list(
        permissions.visible_to(user, Transition.objects.filter(episode__organisation=organisation)).select_related(
            "episode__regime"
        )
    )
    for item in transitions:
        item.current = current_step(item)
    communications = list(
        permissions.visible_to(user, Communication.objects.filter(episode__organisation=organisation)).select_related(
            "episode__regime"
        )
    )
    episodes = permissions.visible_to(user, organisation.episodes.select_related("regime").order_by("-entered"))
    return {
        "organisation": organisation,
        "transitions": transitions,
        "communications": communications,
        "episodes": list(episodes),
        "outcomes": CheckInOutcome.choices,
        "kinds": CommunicationKind.choices,
        "audiences": Audience.choices,
        "can_edit": permissions.can_edit_trust_records(user, organisation.pk)
        and permissions.can_see_episode_details(user, organisation.pk),
        "can_approve": permissions.can_approve(user),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("actions/includes/transition_watch.html", takes_context=True)
def transition_watch(context, curve=False):
    """Trusts in transition after an exit, watched for re-entry: their step, check-ins and recent alerts and, with
    `curve` (the early-warning page), their place on the stored re-entry curve the reader may see (without
    confidential episodes unless the reader has confidential access). The board lists them without the curve."""
    from datetime import date

    from indicators import charts, reentry_watch
    from indicators.page_selectors import data_end, recent_alerts_by_trust

    from ..models import CheckInOutcome
    from ..transitions import active_transitions, current_step

    user = context["request"].user
    transitions = list(active_transitions(user)[:100])
    if not transitions and not curve:
        return {"transitions": []}
    # The board's count of recent alerts (indicators.page_selectors), so the two never disagree.
    alerts = (
        recent_alerts_by_trust([item.episode.organisation_id for item in transitions], data_end())
        if transitions
        else {}
    )
    document = reentry_watch.reentry_document(user) if curve else None
    curve_ready = bool(document and document.get("n_spells"))
    today = date.today()
    marked = []
    for item in transitions:
        item.current = current_step(item)
        item.recent_alerts = len(alerts.get(item.episode.organisation_id, ()))
        item.last_check_in = item.check_ins[-1] if item.check_ins else None
        item.last_check_in_label = CheckInOutcome(item.last_check_in["outcome"]).label if item.last_check_in else ""
        item.reentry = None
        if curve_ready and reentry_watch.on_the_curve(item.episode.regime.family):
            item.reentry = reentry_watch.position(document, item.starts, today)
            marked.append({"label": item.episode.organisation.ods_code, **item.reentry})
    figure = charts.reentry_figure(reentry_watch.curve_points(document), marked) if curve_ready else None
    return {
        "transitions": transitions,
        "curve": curve,
        "figure": figure,
        "summary": reentry_watch.caption(document, len(marked)) if curve_ready else "",
    }
