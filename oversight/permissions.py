"""Who may see and change what: the one module every page, form, admin and API view asks.

Roles are Django groups (oversight, director, analyst). Confidential data (the CP watch list,
unpublished segments) needs `trusts.view_confidential`. An improvement director may change
the records of the trusts currently assigned to them, and nothing else.

An API token acts for its user within a scope, and the scope only ever narrows the user's rights:
`read` sees published data only, `confidential` adds what the user may see of confidential data
and of episode records, `write` is the user's full rights. oversight.authentication marks the
request's user with the token's scope (`user.api_token_scope`); a browser session has no scope
and so the user's own rights. Every check below goes through the scope helpers, so no caller can
forget it.
"""

from datetime import date

from django.db.models import Q, QuerySet

OVERSIGHT, DIRECTOR, ANALYST = "oversight", "director", "analyst"
READ_SCOPE, CONFIDENTIAL_SCOPE, WRITE_SCOPE = "read", "confidential", "write"


def token_scope(user) -> str | None:
    """The scope of the API token the user authenticated with, or None for a session (or no user)."""
    return getattr(user, "api_token_scope", None)


def scope_allows_confidential(user) -> bool:
    """A `read` token sees published data only, whatever its user may see."""
    return token_scope(user) in (None, CONFIDENTIAL_SCOPE, WRITE_SCOPE)


def scope_allows_write(user) -> bool:
    """Only a session or a `write` token may change anything."""
    return token_scope(user) in (None, WRITE_SCOPE)


def role_of(user) -> str | None:
    """The user's role (group) name, or None for a user in no role."""
    if not user or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return OVERSIGHT
    cached = getattr(user, "_oversight_role", False)
    if cached is not False:
        return cached
    names = {group.name for group in user.groups.all()}
    role = next((role for role in (OVERSIGHT, DIRECTOR, ANALYST) if role in names), None)
    user._oversight_role = role  # the user object lives for one request (or one test step)
    return role


def is_oversight(user) -> bool:
    return role_of(user) == OVERSIGHT


def can_see_confidential(user) -> bool:
    """The CP watch list and unpublished segments: oversight staff, or an analyst granted it."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and scope_allows_confidential(user)
        and user.has_perm("trusts.view_confidential")
    )


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
    if not scope_allows_write(user):
        return False
    role = role_of(user)
    if role == OVERSIGHT:
        return True
    return role == DIRECTOR and organisation_id in assigned_organisation_ids(user)


def can_edit_some_trust_records(user) -> bool:
    """Whether the user may change the records of any trust at all (to refuse early, before reading input)."""
    if not scope_allows_write(user):
        return False
    role = role_of(user)
    return role == OVERSIGHT or (role == DIRECTOR and bool(assigned_organisation_ids(user)))


def can_approve(user) -> bool:
    """Approving exit criteria and entry/exit decisions is for oversight staff only (four eyes)."""
    return scope_allows_write(user) and role_of(user) == OVERSIGHT


def can_manage_episodes(user) -> bool:
    """Opening, editing and closing episodes outright: oversight staff only."""
    return scope_allows_write(user) and role_of(user) == OVERSIGHT


def can_manage_users(user) -> bool:
    """Creating users, giving roles and assigning trusts: oversight staff only."""
    return scope_allows_write(user) and role_of(user) == OVERSIGHT


def can_view_audit(user) -> bool:
    """The audit trail shows every change to every record, confidential ones included: oversight staff."""
    return scope_allows_confidential(user) and role_of(user) == OVERSIGHT


def can_see_episode_details(user, organisation_id: int) -> bool:
    """Stocktakes, criteria, funding and notes: oversight, analysts, and the trust's own ID.

    They are not published data, so a `read` token never sees them.
    """
    if not scope_allows_confidential(user):
        return False
    role = role_of(user)
    if role in (OVERSIGHT, ANALYST):
        return True
    return role == DIRECTOR and organisation_id in assigned_organisation_ids(user)


def _own_confidential_ids(user) -> set[int]:
    """Trusts whose confidential records the user sees as their ID (never through a `read` token)."""
    return assigned_organisation_ids(user) if scope_allows_confidential(user) else set()


def can_see_episode(user, episode) -> bool:
    """One episode: as visible_episodes, for a single loaded row."""
    if not episode.regime.confidential or can_see_confidential(user):
        return bool(user and user.is_authenticated)
    return episode.organisation_id in _own_confidential_ids(user)


def visible_episodes(user, queryset: QuerySet, prefix: str = "") -> QuerySet:
    """Regime episodes the user may see: confidential regimes need confidential access or the trust's ID.

    `prefix` filters a queryset of records that point at an episode, e.g. "episode__".
    """
    if can_see_confidential(user):
        return queryset
    own = _own_confidential_ids(user)
    return queryset.filter(Q(**{f"{prefix}regime__confidential": False}) | Q(**{f"{prefix}organisation_id__in": own}))


def visible_segments(user, queryset: QuerySet) -> QuerySet:
    """Segment assignments the user may see: unpublished ones need confidential access or the trust's ID."""
    if can_see_confidential(user):
        return queryset
    own = _own_confidential_ids(user)
    return queryset.filter(Q(published=True) | Q(organisation_id__in=own))


def visible_episode_records(user, queryset: QuerySet) -> QuerySet:
    """Stocktakes, criteria, funding and notes (rows with an `episode`): details of episodes the user may see."""
    if not scope_allows_confidential(user):
        return queryset.none()
    role = role_of(user)
    if role == DIRECTOR:
        queryset = queryset.filter(episode__organisation_id__in=assigned_organisation_ids(user))
    elif role not in (OVERSIGHT, ANALYST):
        return queryset.none()
    return visible_episodes(user, queryset, prefix="episode__")


def visible_trajectories(user, queryset: QuerySet) -> QuerySet:
    """Trajectory fits: a spell that includes the confidential CP regime reveals a CP episode."""
    from trusts.constants import CONFIDENTIAL_REGIMES

    if can_see_confidential(user):
        return queryset
    hidden = Q()
    for code in CONFIDENTIAL_REGIMES:
        hidden |= Q(regimes__regex=rf"(^|>){code}(>|$)") | Q(regime_group=code)
    own = _own_confidential_ids(user)
    return queryset.exclude(hidden & ~Q(organisation_id__in=own))


def _held_permission_ids(user) -> set[int]:
    from django.contrib.auth.models import Permission

    held = user.get_all_permissions() if user and user.is_active else set()
    pairs = {tuple(name.split(".", 1)) for name in held}
    rows = Permission.objects.values_list("pk", "content_type__app_label", "codename")
    return {pk for pk, app, codename in rows if (app, codename) in pairs}


def grantable_permissions(user) -> QuerySet:
    """The permissions `user` may give someone in the admin: those they hold themselves (all, for a superuser)."""
    from django.contrib.auth.models import Permission

    if user.is_superuser and user.is_active:
        return Permission.objects.all()
    return Permission.objects.filter(pk__in=_held_permission_ids(user))


def grantable_groups(user) -> QuerySet:
    """The groups (roles) `user` may give: those none of whose permissions they lack."""
    from django.contrib.auth.models import Group

    if user.is_superuser and user.is_active:
        return Group.objects.all()
    from django.contrib.auth.models import Permission

    lacking = Permission.objects.exclude(pk__in=_held_permission_ids(user)).values("pk")
    return Group.objects.exclude(permissions__in=lacking)


def can_change_account(user, account) -> bool:
    """An account with more rights than the user's own (a superuser's) is not theirs to change."""
    if not can_manage_users(user):
        return False
    return user.is_superuser or not account.is_superuser
