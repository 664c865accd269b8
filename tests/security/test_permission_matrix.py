"""Every role × every API endpoint and page × every method: the expected status, and no confidential leaks.

Roles: anonymous; alice (oversight), bob (director of RB1, RB2), carol (analyst) signed in; and API
tokens: a read and a confidential token of alice, a write token of bob.

Pages are found by walking the URL resolver, so pages added later are covered: each must send an
anonymous visitor to sign in, must not fail for anyone, and must not show confidential data to
those who may not see it. The pages of this module (records forms, audit) have exact expectations.
API endpoints are walked too, and each needs an entry in API_RULES below, so a new endpoint fails
here until its rights are written down.
"""

import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.world import CP_REASON_MARKER, CP_TRUST_NAME, UNPUBLISHED_MARKER, bearer

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ROLES = ["anonymous", "alice", "bob", "carol", "read", "confidential", "write_bob"]
SESSION_ROLES = {"alice", "bob", "carol"}
TOKEN_ROLES = {"read": "read", "confidential": "confidential", "write_bob": "write_bob"}
# Whom each role acts as, and whether it may see confidential data (CP, unpublished segments).
ACTS_AS = {
    "alice": "alice",
    "bob": "bob",
    "carol": "carol",
    "read": "alice",
    "confidential": "alice",
    "write_bob": "bob",
}
SEES_CONFIDENTIAL = {"alice", "confidential"}
PUBLIC_PAGES = {"login", "healthz"}
SKIPPED_PAGES = {"logout"}  # signing out mid-walk would turn the rest of the walk anonymous


# --- The world's objects, by who may see them ------------------------------------------------------


def visible_to(role: str, obj: str) -> bool:
    """Whether `role` may see object `obj` (a key of the world's objects below)."""
    if obj in ("public", "own_episode", "other_episode", "published_segment", "smq_trajectory"):
        return True
    if obj == "nobody":
        return False
    if obj in ("cp_episode", "hidden_segment", "cp_trajectory", "cp_regime"):
        return role in SEES_CONFIDENTIAL
    if obj == "entry_proposal":
        return role == "alice"  # proposals are oversight staff's business, through a session or a write token
    details = role != "read"  # episode records are not published data
    if obj == "own_records":
        return details
    if obj == "other_records":
        return details and ACTS_AS[role] in ("alice", "carol")
    if obj == "cp_records":
        return role in SEES_CONFIDENTIAL
    raise KeyError(obj)


def can_edit(role: str, obj: str) -> bool:
    """Changing an episode's records: oversight (session or write token) or the trust's director."""
    writes = role in SESSION_ROLES or role == "write_bob"
    if not writes:
        return False
    user = ACTS_AS[role]
    if user == "alice":
        return True
    return user == "bob" and obj in ("own_episode", "own_records")


def can_manage(role: str) -> bool:
    return role == "alice"  # the only oversight role with write rights here (tokens of alice are read-only)


@dataclass
class ApiRule:
    """Methods an endpoint allows, the object behind it, and who may write to it."""

    methods: set
    obj: str = "public"
    may_write: object = None  # callable(role) -> bool


def api_rules(world) -> dict:
    """URL name → list of (path, rule) for every API endpoint, with the world's objects filled in."""
    records, run = world["records"], world["run"]
    from indicators.models import Alert, Observation, PooledEffect, TrajectoryFit, ZScore
    from trusts.models import EntryProposal, Organisation, Regime, SegmentAssignment

    proposal = EntryProposal.objects.filter(status="proposed").first() or EntryProposal.objects.create(
        organisation=Organisation.objects.get(ods_code="RB2"),
        regime=Regime.objects.get(code="NOF4"),
        entered="2024-06-01",
        proposed_by=world["alice"],
    )
    published = SegmentAssignment.objects.filter(published=True).first()
    cp_trajectory = TrajectoryFit.objects.get(regime_group="CP")
    smq_trajectory = TrajectoryFit.objects.get(regime_group="SMQ")
    read = {"GET"}
    episodes = {
        "own_episode": world["own_episode"],
        "other_episode": world["other_episode"],
        "cp_episode": world["cp_episode"],
    }
    rules = {
        "api-root": [("/api/v1/", ApiRule(read))],
        "ping": [("/api/v1/ping/", ApiRule(read))],
        "schema": [("/api/v1/schema/", ApiRule(read))],
        "docs": [("/api/v1/docs/", ApiRule(read))],
        "organisation-list": [("/api/v1/organisations/", ApiRule(read))],
        "organisation-detail": [(f"/api/v1/organisations/{code}/", ApiRule(read)) for code in ("RB1", "RZ9", "RW8")],
        "regime-list": [("/api/v1/regimes/", ApiRule(read))],
        # A confidential regime is itself known only to those who may see its episodes (issue 8).
        "regime-detail": [("/api/v1/regimes/CP/", ApiRule(read, "cp_regime")), ("/api/v1/regimes/SMQ/", ApiRule(read))],
        "episode-list": [("/api/v1/episodes/", ApiRule({"GET", "POST"}, may_write=can_manage))],
        "episode-detail": [
            (
                f"/api/v1/episodes/{episode.pk}/",
                ApiRule({"GET", "PUT", "PATCH"}, name, lambda role, _n=name: can_manage(role)),
            )
            for name, episode in episodes.items()
        ],
        "episode-propose-exit": [
            (
                f"/api/v1/episodes/{episode.pk}/propose-exit/",
                ApiRule({"POST"}, name, lambda role, _n=name: can_edit(role, _n)),
            )
            for name, episode in episodes.items()
        ],
        "episode-approve-exit": [
            (f"/api/v1/episodes/{episode.pk}/approve-exit/", ApiRule({"POST"}, name, can_manage))
            for name, episode in episodes.items()
        ],
        "entry-proposal-list": [("/api/v1/entry-proposals/", ApiRule({"GET", "POST"}, may_write=can_manage))],
        "entry-proposal-detail": [(f"/api/v1/entry-proposals/{proposal.pk}/", ApiRule(read, "entry_proposal"))],
        "entry-proposal-approve": [
            (f"/api/v1/entry-proposals/{proposal.pk}/approve/", ApiRule({"POST"}, "entry_proposal", can_manage))
        ],
        "entry-proposal-reject": [
            (f"/api/v1/entry-proposals/{proposal.pk}/reject/", ApiRule({"POST"}, "entry_proposal", can_manage))
        ],
        "segment-list": [("/api/v1/segments/", ApiRule(read))],
        "segment-detail": [
            (f"/api/v1/segments/{published.pk}/", ApiRule(read, "published_segment")),
            (f"/api/v1/segments/{world['hidden_segment'].pk}/", ApiRule(read, "hidden_segment")),
        ],
        "indicator-list": [("/api/v1/indicators/", ApiRule(read))],
        "indicator-detail": [("/api/v1/indicators/ed_4hr/", ApiRule(read))],
        "observation-list": [("/api/v1/observations/", ApiRule(read))],
        "observation-detail": [(f"/api/v1/observations/{Observation.objects.first().pk}/", ApiRule(read))],
        "zscore-list": [("/api/v1/zscores/", ApiRule(read))],
        "zscore-detail": [(f"/api/v1/zscores/{ZScore.objects.first().pk}/", ApiRule(read))],
        "trajectory-list": [("/api/v1/trajectories/", ApiRule(read))],
        "trajectory-detail": [
            (f"/api/v1/trajectories/{cp_trajectory.pk}/", ApiRule(read, "cp_trajectory")),
            (f"/api/v1/trajectories/{smq_trajectory.pk}/", ApiRule(read, "smq_trajectory")),
        ],
        "pooled-effect-list": [("/api/v1/pooled-effects/", ApiRule(read))],
        "pooled-effect-detail": [(f"/api/v1/pooled-effects/{PooledEffect.objects.first().pk}/", ApiRule(read))],
        "spc-list": [("/api/v1/spc/", ApiRule(read))],
        "alert-list": [("/api/v1/alerts/", ApiRule(read))],
        "alert-detail": [(f"/api/v1/alerts/{Alert.objects.first().pk}/", ApiRule(read))],
        "run-list": [("/api/v1/runs/", ApiRule(read))],
        "run-detail": [(f"/api/v1/runs/{run.pk}/", ApiRule(read))],
        "criterion-approve": [
            (
                f"/api/v1/criteria/{records[which]['criterion'].pk}/approve/",
                ApiRule({"POST"}, f"{which}_records", can_manage),
            )
            for which in ("own", "other", "cp")
        ],
    }

    # Issue 15: each user's own subscriptions and notifications, and outlier cases (a pk nobody has: 404).
    def writes(role):
        return role in SESSION_ROLES or role == "write_bob"

    missing = 999999
    rules["subscription-list"] = [("/api/v1/subscriptions/", ApiRule({"GET", "POST"}, may_write=writes))]
    rules["subscription-detail"] = [(f"/api/v1/subscriptions/{missing}/", ApiRule({"GET", "DELETE"}, "nobody"))]
    rules["notification-list"] = [("/api/v1/notifications/", ApiRule(read))]
    rules["notification-detail"] = [(f"/api/v1/notifications/{missing}/", ApiRule(read, "nobody"))]
    rules["notification-read"] = [(f"/api/v1/notifications/{missing}/read/", ApiRule({"POST"}, "nobody"))]
    rules["notification-mark-read"] = [("/api/v1/notifications/mark-read/", ApiRule({"POST"}, may_write=writes))]
    rules["case-list"] = [
        ("/api/v1/cases/", ApiRule({"GET", "POST"}, may_write=lambda role: can_edit(role, "own_records")))
    ]
    for name in ("case-detail", "case-respond", "case-close"):
        suffix = {"case-detail": "", "case-respond": "respond/", "case-close": "close/"}[name]
        methods = read if name == "case-detail" else {"POST"}
        rules[name] = [(f"/api/v1/cases/{missing}/{suffix}", ApiRule(methods, "nobody"))]
    # Issue 15: transitions and communications are read-only records of an episode (a CP one's confidential);
    # the system programmes are ICB episodes (none in this world: a pk nobody has answers 404).
    from actions.models import Communication, Transition

    for which in ("own", "other", "cp"):
        episode = world[f"{which}_episode"]
        records[which].setdefault(
            "transition",
            Transition.objects.get_or_create(episode=episode, defaults={"starts": "2024-06-01", "ends": "2025-06-01"})[
                0
            ],
        )
        records[which].setdefault(
            "communication",
            Communication.objects.get_or_create(
                episode=episode, kind="entry", audience="staff", defaults={"planned": episode.entered}
            )[0],
        )
    for kind in ("transition", "communication"):
        rules[f"{kind}-list"] = [(f"/api/v1/{kind}s/", ApiRule(read))]
        rules[f"{kind}-detail"] = [
            (f"/api/v1/{kind}s/{records[which][kind].pk}/", ApiRule(read, f"{which}_records"))
            for which in ("own", "other", "cp")
        ]
    rules["system-programme-list"] = [("/api/v1/system-programmes/", ApiRule(read))]
    rules["system-programme-detail"] = [(f"/api/v1/system-programmes/{missing}/", ApiRule(read, "nobody"))]
    for kind, methods, list_methods in (
        ("stocktake", {"GET", "PUT", "PATCH"}, {"GET"}),
        ("criterion", {"GET", "PUT", "PATCH"}, {"GET", "POST"}),
        ("funding", {"GET", "PUT", "PATCH"}, {"GET"}),
        ("note", {"GET"}, {"GET", "POST"}),
    ):
        plural = {"stocktake": "stocktakes", "criterion": "criteria", "funding": "funding", "note": "notes"}[kind]
        rules[f"{kind}-list"] = [
            (f"/api/v1/{plural}/", ApiRule(list_methods, may_write=lambda role: can_edit(role, "own_records")))
        ]
        rules[f"{kind}-detail"] = [
            (
                f"/api/v1/{plural}/{records[which][kind].pk}/",
                ApiRule(methods, f"{which}_records", lambda role, _o=f"{which}_records": can_edit(role, _o)),
            )
            for which in ("own", "other", "cp")
        ]
    return rules


def expected_api_status(role: str, method: str, rule: ApiRule, path: str) -> int:
    if role == "anonymous":
        return 401
    if method not in rule.methods:
        return 405
    if not visible_to(role, rule.obj):
        return 404
    if method == "GET":
        return 200
    allowed = rule.may_write(role) if rule.may_write else False
    # Allowed writes send an empty body here, so they stop at validation: nothing changes.
    return 400 if allowed else 403


# --- Pages ---------------------------------------------------------------------------------------


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name


def resolver_routes():
    return list(walk(get_resolver().url_patterns))


def page_routes():
    return [
        (route, name)
        for route, name in resolver_routes()
        if not route.startswith(("admin/", "^admin/", "api/", "static/", "^static"))
    ]


def api_route_names():
    return {name for route, name in resolver_routes() if route.startswith("api/")}


def page_paths(route: str, name: str, world) -> list[tuple[str, str]]:
    """Concrete paths for a page route, with the object each is about ('public' when none)."""
    records = world["records"]
    arguments = re.findall(r"<(?:\w+:)?(\w+)>", route)
    if not arguments:
        return [("/" + route, "public")]
    choices: list[tuple[dict, str]] = []
    if arguments == ["ods_code"]:
        choices = [({"ods_code": "RB1"}, "own"), ({"ods_code": "RZ9"}, "other"), ({"ods_code": "RW8"}, "cp")]
    elif arguments == ["code"]:
        choices = [({"code": "ed_4hr"}, "public")]
    elif arguments == ["pk"] and name.startswith("episode-"):
        choices = [({"pk": world[f"{which}_episode"].pk}, which) for which in ("own", "other", "cp")]
    elif arguments == ["pk"] and name.startswith("criterion-"):
        choices = [({"pk": records[which]["criterion"].pk}, which) for which in ("own", "other", "cp")]
    elif arguments == ["pk"] and name.startswith("funding-"):
        choices = [({"pk": records[which]["funding"].pk}, which) for which in ("own", "other", "cp")]
    elif arguments == ["pk"]:
        choices = [({"pk": world["own_episode"].pk}, "own")]
    elif arguments == ["ods_code", "code"]:  # a trust's chart of one indicator (the SPC rebase form)
        choices = [({"ods_code": "RB1", "code": "ed_4hr"}, "own"), ({"ods_code": "RZ9", "code": "ed_4hr"}, "other")]
    elif arguments == ["page"]:  # issue 15: a saved view's page
        choices = [({"page": "board"}, "public")]
    else:
        pytest.fail(f"page {name} ({route}) takes {arguments}: teach page_paths how to fill them")
    paths = []
    for values, which in choices:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match, _v=values: str(_v[match.group(1)]), route)
        paths.append(("/" + path, which))
    return paths


# The pages of the records and audit modules, with exact expectations for signed-in roles.
RECORD_EDIT_PAGES = {
    "episode-stocktake-edit",
    "episode-criterion-add",
    "episode-note-add",
    "episode-propose-exit",
    "criterion-edit",
    "funding-edit",
}
APPROVE_PAGES = {"episode-approve-exit", "criterion-approve"}


def expected_page_status(role: str, name: str, method: str, which: str) -> int | None:
    """The exact status for the records and audit pages; None where only 'no error' is asserted."""
    user = ACTS_AS[role] if role in SESSION_ROLES else None
    if user is None:
        return 302  # to the sign-in page
    if name in RECORD_EDIT_PAGES | APPROVE_PAGES | {"episode-create"}:
        if method not in ("GET", "POST"):
            return 405
        if which == "cp" and user != "alice":
            return 404
        if name == "episode-create" or name in APPROVE_PAGES:
            allowed = user == "alice"
        else:
            allowed = user == "alice" or (user == "bob" and which == "own")
        if not allowed:
            return 403
        return 200 if method == "GET" else 400  # an empty form is refused with inline errors
    if name == "spc-rebase":  # oversight staff, or the trust's own improvement director
        if method not in ("GET", "POST"):
            return 405
        if not (user == "alice" or (user == "bob" and which == "own")):
            return 403
        return 200 if method == "GET" else 400  # an empty form is refused with inline errors
    if name == "audit":
        if method != "GET":
            return 405
        return 200 if user == "alice" else 403
    if name == "audit-organisation":
        if method != "GET":
            return 405
        if user == "alice" or user == "carol" or (user == "bob" and which == "own"):
            return 200
        return 403
    return None


# --- The walk ------------------------------------------------------------------------------------


def client_for(role: str, world, tokens) -> tuple[Client, dict]:
    client = Client()
    if role in SESSION_ROLES:
        client.force_login(world[role])
        return client, {}
    if role in TOKEN_ROLES:
        return client, bearer(tokens[TOKEN_ROLES[role]])
    return client, {}


def leaks(role: str, body: str, *, name_guarded: bool) -> list[str]:
    if role in SEES_CONFIDENTIAL:
        return []
    found = [marker for marker in (CP_REASON_MARKER, UNPUBLISHED_MARKER) if marker in body]
    if name_guarded and CP_TRUST_NAME in body:
        found.append(CP_TRUST_NAME)
    return found


# Where a trust's name can only come from one of its episodes, so the CP trust's name is itself a leak.
NAME_GUARDED_API = ("episode", "stocktake", "criterion", "funding", "note", "trajectory")
NAME_GUARDED_PAGES = {"board", "audit"}


def request(client, method, path, headers):
    call = getattr(client, method.lower())
    if method == "GET":
        return call(path, **headers)
    return call(path, {}, content_type="application/json", **headers)


def test_every_api_endpoint_has_rules(world):
    rules = api_rules(world)
    missing = api_route_names() - set(rules)
    assert not missing, f"API endpoints without permission rules: {sorted(missing)}"


@pytest.mark.parametrize("role", ROLES)
def test_api_permission_matrix(role, world, tokens):
    client, headers = client_for(role, world, tokens)
    failures = []
    checked = 0
    for name, cases in api_rules(world).items():
        for path, rule in cases:
            for method in METHODS:
                response = request(client, method, path, headers)
                checked += 1
                want = expected_api_status(role, method, rule, path)
                if response.status_code != want:
                    failures.append(f"{role} {method} {path}: {response.status_code}, expected {want}")
                body = response.content.decode(errors="replace")
                found = leaks(role, body, name_guarded=name.split("-")[0] in NAME_GUARDED_API)
                if found:
                    failures.append(f"{role} {method} {path} leaked {found}")
    assert checked > 250
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
def test_page_permission_matrix(role, world, tokens):
    client, headers = client_for(role, world, tokens)
    failures = []
    for route, name in page_routes():
        if name in SKIPPED_PAGES:
            continue
        for path, which in page_paths(route, name, world):
            for method in METHODS:
                response = getattr(client, method.lower())(path, **headers)
                status = response.status_code
                if name in PUBLIC_PAGES or route == "healthz":
                    if status >= 500:
                        failures.append(f"{role} {method} {path}: {status}")
                    continue
                if role not in SESSION_ROLES:
                    if status != 302 or "/accounts/login/" not in response.get("Location", ""):
                        failures.append(f"{role} {method} {path}: {status}, expected a redirect to sign in")
                    continue
                want = expected_page_status(role, name, method, which)
                if want is not None and status != want:
                    failures.append(f"{role} {method} {path}: {status}, expected {want}")
                if want is None and status >= 500:
                    failures.append(f"{role} {method} {path}: {status}")
                body = response.content.decode(errors="replace") if not response.streaming else ""
                found = leaks(role, body, name_guarded=name in NAME_GUARDED_PAGES)
                if found:
                    failures.append(f"{role} {method} {path} leaked {found}")
    assert not failures, "\n".join(failures)
