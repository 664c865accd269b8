"""Who may see and change what: the one module every page, form, admin and API view asks.

Roles are Django groups (oversight, director, analyst). Confidential data (the CP watch list,
unpublished segments) needs `trusts.view_confidential`. An improvement director may change
the records of the trusts currently assigned to them, and nothing else.
"""

from datetime import date

from django.db.models import Q, QuerySet

OVERSIGHT, DIRECTOR, ANALYST = "oversight", "director", "analyst"


def role_of(user) -> str | None:
    """The user's role (group) name, or None for a user in no role."""
    if not user or not user.is_authenticated:
        return None
    if user.is_superuser:
        return OVERSIGHT
    names = {group.name for group in user.groups.all()}
    for role in (OVERSIGHT, DIRECTOR, ANALYST):
        if role in names:
            return role
    return None


def is_oversight(user) -> bool:
    return role_of(user) == OVERSIGHT


def can_see_confidential(user) -> bool:
    """The CP watch list and unpublished segments: oversight staff, or an analyst granted it."""
    return bool(user and user.is_authenticated and user.has_perm("trusts.view_confidential"))


def assigned_organisation_ids(user, on: date | None = None) -> set[int]:
    """Organisations the user is the improvement director of today (or on a date)."""
    if not user or not user.is_authenticated:
        return set()
    on = on or date.today()
    return set(
        user.id_assignments.filter(date_from__lte=on)
        .filter(Q(date_to__isnull=True) | Q(date_to__gte=on))
        .values_list("organisation_id", flat=True)
    )


def can_edit_trust_records(user, organisation_id: int) -> bool:
    """Stocktake, exit criteria, notes and spend: oversight staff, or the trust's current ID."""
    role = role_of(user)
    if role == OVERSIGHT:
        return True
    return role == DIRECTOR and organisation_id in assigned_organisation_ids(user)


def can_approve(user) -> bool:
    """Approving exit criteria and entry/exit decisions is for oversight staff only (four eyes)."""
    return role_of(user) == OVERSIGHT


def can_see_episode_details(user, organisation_id: int) -> bool:
    """Stocktakes, criteria, funding and notes: oversight, analysts, and the trust's own ID."""
    role = role_of(user)
    if role in (OVERSIGHT, ANALYST):
        return True
    return role == DIRECTOR and organisation_id in assigned_organisation_ids(user)


def visible_episodes(user, queryset: QuerySet) -> QuerySet:
    """Regime episodes the user may see: confidential regimes need confidential access or the trust's ID."""
    if can_see_confidential(user):
        return queryset
    own = assigned_organisation_ids(user)
    return queryset.filter(Q(regime__confidential=False) | Q(organisation_id__in=own))


def visible_segments(user, queryset: QuerySet) -> QuerySet:
    """Segment assignments the user may see: unpublished ones need confidential access or the trust's ID."""
    if can_see_confidential(user):
        return queryset
    own = assigned_organisation_ids(user)
    return queryset.filter(Q(published=True) | Q(organisation_id__in=own))
