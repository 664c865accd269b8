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
