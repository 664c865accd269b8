"""{% open_cases organisation_ids %}: the open outlier cases panel on the board and the trust page."""

from django import template

from .. import selectors

register = template.Library()


@register.inclusion_tag("actions/includes/open_cases.html", takes_context=True)
def open_cases(context, organisation=None):
    user = context["request"].user
    ids = [organisation.pk] if organisation is not None else None
    cases = list(selectors.open_cases(user, ids)[:100])
    return {"cases": cases, "single": organisation is not None, "mean_days": selectors.mean_days_to_close(user)}
