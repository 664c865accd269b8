"""{% system_programme org %}: an ICB's programme (its episode, SID and linked trusts), or on a trust's page
the ICB programme the trust is linked to. Rows come through trusts.system_programme's selectors, which
ask oversight.permissions.visible_to: a CP-confidential ICB episode shows on neither page."""

from django import template

from oversight import permissions

from .. import system_programme
from ..constants import OrganisationKind

register = template.Library()


@register.inclusion_tag("trusts/includes/system_programme.html", takes_context=True)
def system_programme_panel(context, organisation):
    user = context["request"].user
    is_icb = organisation.kind == OrganisationKind.ICB
    if is_icb:
        programmes = system_programme.icb_programmes(user, organisation)
        linked_ids = {item.link.trust_id for programme in programmes for item in programme.linked}
        members = [trust for trust in organisation.member_trusts.order_by("name") if trust.pk not in linked_ids]
    else:
        programmes, members = system_programme.trust_system_programmes(user, organisation), []
    return {
        "org": organisation,
        "is_icb": is_icb,
        "programmes": programmes,
        "unlinked_members": members,
        "can_manage": permissions.can_manage_episodes(user),
    }
