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

Row visibility is decided in one place, `visible_to(user, queryset)`: the API's base viewset
(oversight.api.views.RestrictedViewSetMixin), the page selectors, the forms, the exports and the
counts all narrow their rows through it. Confidentiality comes from `Regime.confidential` alone;
a derived result (trajectory fit, pooled effect) carries a `confidential` flag stamped by the
recompute when it was computed from an episode of a confidential regime.

What a caller without confidential access sees of a trust whose history includes a confidential
regime (CP), chosen so that nothing can be inferred by comparing two answers:
- the confidential episodes themselves: nothing (lists, details, counts, forms answer 404 as for a
  record that does not exist);
- every other episode: its dates and regime, but the entry route `direct` and
  `escalated_from_cp` both read `not_disclosed` ("Not disclosed"), and the free-text `reason`
  and `notes` of every episode read "" (`details_disclosed: false`). The same holds for every
  episode of every trust, so a redacted value says nothing about CP;
- trajectory fits of a spell that includes a confidential episode: not shown; pooled effects of the
  CP and SMQ+CP groups: not shown; the SMQ (and NOF4) pooled effect is the one pooled over the
  fits the caller may see (the recompute stores it beside the full one), so its `n` equals the
  number of fits listed;
- alerts depend on indicator data only and are shown to everyone; the slipping list is computed
  from the non-confidential episodes only (a trust on CP alone stays on it), the same for every
  caller, so it and /api/v1/alerts/ can be compared without learning anything about CP;
- time in regime and performance categories: the confidential regime's curves and the
  categories defined by it are not shown, and the categories shown are recomputed from the
  non-confidential episodes;
- run counts (/api/v1/runs/): the numbers of rows visible without confidential access (a trust's
  director lists their own trusts' fits besides, so never fewer than counted).
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
    cached = getattr(user, "_oversight_assigned", None)
    if cached is not None and cached[0] == on:
        return set(cached[1])
    ids = set(
        user.id_assignments.filter(date_from__lte=on)
        .filter(Q(date_to__isnull=True) | Q(date_to__gte=on))
        .values_list("organisation_id", flat=True)
    )
    user._oversight_assigned = (on, frozenset(ids))  # the user object lives for one request, as the role's cache
    return ids


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


def visible_system_links(user, queryset: QuerySet) -> QuerySet:
    """Trusts linked to an ICB's programme episode: seen by whoever sees the episode (a CP one stays hidden)."""
    return visible_episodes(user, queryset, prefix="episode__")


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


def visible_regimes(user, queryset: QuerySet) -> QuerySet:
    """Regimes: a confidential one is known only to those who may see some of its episodes."""
    if can_see_confidential(user):
        return queryset
    own = _own_confidential_ids(user)
    if not own:
        return queryset.filter(confidential=False)
    # Through the rows' own relation to their episodes: this layer names no trusts model.
    seen = queryset.model.objects.filter(episodes__organisation_id__in=own).values("pk")
    return queryset.filter(Q(confidential=False) | Q(pk__in=seen))


def visible_results(user, queryset: QuerySet) -> QuerySet:
    """Derived results with a `confidential` flag (stamped at recompute).

    A trust's improvement director sees their own trusts' confidential fits; rows naming no trust
    (pooled effects) need confidential access.
    """
    if can_see_confidential(user):
        return queryset
    visible = Q(confidential=False)
    if any(field.name == "organisation" for field in queryset.model._meta.get_fields()):
        visible |= Q(organisation_id__in=_own_confidential_ids(user))
    return queryset.filter(visible)


def visible_trajectories(user, queryset: QuerySet) -> QuerySet:
    """Trajectory fits: one of a spell that includes a confidential regime is confidential."""
    return visible_results(user, queryset)


def _everyone(user, queryset: QuerySet) -> QuerySet:
    return queryset


def visible_entry_proposals(user, queryset: QuerySet) -> QuerySet:
    """Proposed entries: for the oversight staff who decide them, of regimes they may see."""
    if not can_manage_episodes(user):
        return queryset.none()
    return visible_episodes(user, queryset)


def visible_events(user, queryset: QuerySet, prefix: str = "") -> QuerySet:
    """Events (actions.Event): one about a confidential regime's episode (its flag is derived from
    Regime.confidential) needs confidential access or the trust's ID; failures are for oversight staff."""
    if not user or not user.is_authenticated:
        return queryset.none()
    if role_of(user) != OVERSIGHT:
        queryset = queryset.filter(**{f"{prefix}staff_only": False})
    if can_see_confidential(user):
        return queryset
    own = _own_confidential_ids(user)
    return queryset.filter(Q(**{f"{prefix}confidential": False}) | Q(**{f"{prefix}organisation_id__in": own}))


def own_rows(user, queryset: QuerySet) -> QuerySet:
    """Subscriptions: each user's own."""
    if not user or not user.is_authenticated:
        return queryset.none()
    return queryset.filter(user=user)


def own_notifications(user, queryset: QuerySet) -> QuerySet:
    """Notifications: the user's own, of events they may (still) see."""
    return visible_events(user, own_rows(user, queryset), prefix="event__")


def visible_cases(user, queryset: QuerySet) -> QuerySet:
    """Outlier cases come from indicator data alone (as alerts), but the trust's response is not published:
    every role sees them, a `read` token none."""
    if not scope_allows_confidential(user) or role_of(user) is None:
        return queryset.none()
    return queryset


# Every model a list, detail, page, export or count may read rows of, with its visibility rule.
# A model missing here is refused (ImproperlyConfigured), so a new endpoint cannot forget to ask.
VISIBILITY_RULES = {
    "trusts.organisation": _everyone,
    "trusts.regime": visible_regimes,
    "trusts.regimeepisode": visible_episodes,
    "trusts.segmentassignment": visible_segments,
    "trusts.diagnosticstocktake": visible_episode_records,
    "trusts.exitcriterion": visible_episode_records,
    "trusts.supportfunding": visible_episode_records,
    "trusts.episodenote": visible_episode_records,
    "trusts.entryproposal": visible_entry_proposals,
    "trusts.systemprogrammelink": visible_system_links,
    "indicators.indicator": _everyone,
    "indicators.observation": _everyone,
    "indicators.zscore": _everyone,
    "indicators.nationalvalue": _everyone,
    "indicators.spcsummary": _everyone,
    "indicators.alert": _everyone,  # computed from indicator data alone, never from episodes
    "indicators.computationrun": _everyone,  # its counts go through visible_run_counts
    "indicators.trajectoryfit": visible_results,
    "indicators.pooledeffect": visible_results,
    "actions.subscription": own_rows,
    "actions.event": visible_events,
    "actions.notification": own_notifications,
    "actions.outliercase": visible_cases,
    "actions.chartannotation": visible_cases,  # free text about a trust: as cases, never through a read token
    "actions.savedview": own_rows,
    "actions.transition": visible_episode_records,  # an episode's record: a CP episode's is confidential
    "actions.communication": visible_episode_records,
}


def visible_to(user, queryset: QuerySet) -> QuerySet:
    """The rows of `queryset` the user may see (a token's scope included): the one visibility decision."""
    from django.core.exceptions import ImproperlyConfigured

    label = queryset.model._meta.label_lower
    rule = VISIBILITY_RULES.get(label)
    if rule is None:
        raise ImproperlyConfigured(f"{label} has no visibility rule in oversight.permissions.VISIBILITY_RULES")
    return rule(user, queryset)


def _segments_key(user) -> str:
    if can_see_confidential(user):
        return "all"
    own = _own_confidential_ids(user)
    return "published" + "".join(f",{pk}" for pk in sorted(own))


# What decides, for each rule a shared cached answer may be keyed by, which rows a user sees.
VISIBILITY_KEYS = {
    _everyone: lambda user: "everyone",
    visible_segments: _segments_key,
}


def visibility_key(user, model) -> str:
    """A name for the rows of `model` (or a queryset's) that visible_to leaves the user; one key, one set of rows.

    A cache of answers keyed by it never hands one caller the rows another may see and they may not
    (a `read` token never gets an answer filled by a confidential one). A rule with no key here is
    refused: its answers must not be shared.
    """
    from django.core.exceptions import ImproperlyConfigured

    label = (model.model if isinstance(model, QuerySet) else model)._meta.label_lower
    key = VISIBILITY_KEYS.get(VISIBILITY_RULES.get(label))
    if key is None:
        raise ImproperlyConfigured(
            f"{label}: its visibility rule has no visibility key, so its answers cannot be shared"
        )
    return key(user)


# --- what a caller without confidential access reads of a visible episode -------------------------

ROUTE_NOT_DISCLOSED = "not_disclosed"
# A blank (not recorded) route reads as undisclosed too: its inference from the dates may name CP.
UNDISCLOSED_ROUTES = frozenset({"", "direct", "escalated_from_cp"})


def discloses_episode_details(user, episode=None) -> bool:
    """Whether the user reads an episode's true entry route, reason and notes (see the module docstring)."""
    if can_see_confidential(user):
        return True
    return episode is not None and episode.organisation_id in _own_confidential_ids(user)


def redact_episode(user, episode):
    """The episode as the user may read it: for a caller without confidential access, route, reason and
    notes are replaced in memory (never saved) by the same neutral values on every episode."""
    if discloses_episode_details(user, episode):
        episode.details_disclosed = True
        return episode
    for name in REDACTED_EPISODE_FIELDS:
        setattr(episode, name, redacted_episode_value(name, getattr(episode, name)))
    episode.details_disclosed = False
    return episode


REDACTED_EPISODE_FIELDS = ("route", "reason", "notes")


def redacted_episode_value(field: str, value):
    """An episode field's value as redact_episode shows it to a caller without confidential access."""
    if field == "route":
        return ROUTE_NOT_DISCLOSED if value in UNDISCLOSED_ROUTES else value
    if field in ("reason", "notes"):
        return ""
    return value


def episode_route_q(user, route: str) -> Q:
    """Episodes whose route reads `route` to the user (a filter must not tell apart what the rows do not)."""
    if can_see_confidential(user):
        return Q(route__in=UNDISCLOSED_ROUTES) if route == ROUTE_NOT_DISCLOSED else Q(route=route)
    own = Q(organisation_id__in=_own_confidential_ids(user))
    if route == ROUTE_NOT_DISCLOSED:
        return Q(route__in=UNDISCLOSED_ROUTES) & ~own
    if route in UNDISCLOSED_ROUTES:
        return Q(route=route) & own
    return Q(route=route)


RUN_COUNTS_WITHOUT_CONFIDENTIAL = "without_confidential"


def visible_run_counts(user, counts: dict) -> dict:
    """A run's counts as the user may read them: without confidential access, rows they cannot see are not counted."""
    counts = dict(counts or {})
    public = counts.pop(RUN_COUNTS_WITHOUT_CONFIDENTIAL, None)
    if can_see_confidential(user):
        return counts
    if public is None:
        # A run from before the counts were split: drop the counts that could include hidden rows.
        for key in ("trajectories", "pooled_effects"):
            counts.pop(key, None)
        return counts
    counts.update(public)
    return counts


def can_view_segment_reconciliation(user) -> bool:
    """Published NOF segments beside their recomputation: oversight staff and analysts."""
    return role_of(user) in (OVERSIGHT, ANALYST)


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


def token_scopes_for(user) -> list[str]:
    """The API token scopes the user may hold: a token never reaches beyond its user's rights.

    A user with no role holds none; `confidential` needs confidential access; `write` acts with the
    user's own rights, so anyone with a role may hold it (it only ever narrows to what they may do).
    """
    if role_of(user) is None:
        return []
    scopes = [READ_SCOPE]
    if user.has_perm("trusts.view_confidential"):
        scopes.append(CONFIDENTIAL_SCOPE)
    scopes.append(WRITE_SCOPE)
    return scopes


def can_manage_own_tokens(user) -> bool:
    """The "My API tokens" page: any user with a role, in a browser session (a token cannot mint tokens)."""
    return token_scope(user) is None and role_of(user) is not None


def can_view_api_docs(user) -> bool:
    """The API's OpenAPI documentation: anyone with a role (the API itself checks each row)."""
    return role_of(user) is not None
