"""Four eyes on every path: entry, exit and criterion approval, tried by one user through the pages, the
API and the admin, are refused or become a proposal; a second oversight user's approval applies them.

alice — oversight staff, the one who tries to decide alone.
dora  — a second oversight user, who approves.
bob   — the improvement director of RB1 and RB2.
"""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.world import bearer, issue_token
from trusts.models import EntryProposal, ExitCriterion, RegimeEpisode

PATHS = ["pages", "api", "admin"]


@pytest.fixture
def dora(db):
    from trusts.services import user_create

    return user_create(username="dora", role="oversight", password="dora-password-1")


@pytest.fixture
def people(world, dora):
    alice = Client()
    alice.force_login(world["alice"])
    second = Client()
    second.force_login(dora)
    return {
        "alice": alice,
        "dora": second,
        "alice_key": issue_token(world["alice"], "write"),
        "dora_key": issue_token(dora, "write"),
    }


def api(client, method, url, data, key):
    return getattr(client, method)(url, data, content_type="application/json", **bearer(key))


def dora_approves(people, url: str, version: int, reason: str):
    """The second oversight user's approval through the API, with her write token."""
    return api(people["dora"], "post", url, {"version": version, "change_reason": reason}, people["dora_key"])


def admin_refuses(client, url, data) -> None:
    """The admin shows the record but refuses to add or change it: the change goes through the services."""
    assert client.post(url, data).status_code == 403


# --- Entry -----------------------------------------------------------------------------------------

ENTRY = {"organisation": "RB2", "regime": "NOF4", "entered": "2024-05-01", "route": "direct", "reason": "Segment 4"}


def _nof4_pk():
    from trusts.models import Regime

    return Regime.objects.get(code="NOF4").pk


@pytest.mark.parametrize("path", PATHS)
def test_an_entry_by_one_user_is_only_a_proposal_until_a_second_oversight_user_approves_it(path, world, people):
    alice = people["alice"]
    if path == "pages":
        response = alice.post(reverse("episode-create"), {**ENTRY, "regime": _nof4_pk()})
        assert response.status_code == 302
        proposal = EntryProposal.objects.get(organisation__ods_code="RB2")
        decide = reverse("entry-proposal-decide", args=[proposal.pk])
        assert alice.post(decide, {"version": 1, "decision": "approve", "reason": "mine"}).status_code == 403
    elif path == "api":
        response = api(alice, "post", "/api/v1/episodes/", ENTRY, people["alice_key"])
        assert response.status_code == 201, response.json()
        assert response.json()["status"] == "proposed"
        proposal = EntryProposal.objects.get(pk=response.json()["id"])
        refused = api(
            alice, "post", f"/api/v1/entry-proposals/{proposal.pk}/approve/", {"version": 1}, people["alice_key"]
        )
        assert refused.status_code == 403
        assert "Four eyes" in refused.json()["detail"]
    else:
        assert alice.get("/admin/trusts/regimeepisode/add/").status_code == 403
        admin_refuses(
            alice,
            "/admin/trusts/regimeepisode/add/",
            {"organisation": world["own_episode"].organisation_id, "regime": _nof4_pk(), "entered": "2024-05-01"},
        )
        api(alice, "post", "/api/v1/episodes/", ENTRY, people["alice_key"])
        proposal = EntryProposal.objects.get(organisation__ods_code="RB2")
        admin_refuses(alice, f"/admin/trusts/entryproposal/{proposal.pk}/change/", {"status": "approved"})
    # Alone, alice has put nothing on the board.
    assert not RegimeEpisode.objects.filter(organisation__ods_code="RB2").exists()
    proposal.refresh_from_db()
    assert proposal.status == "proposed"

    if path == "pages":
        decide = reverse("entry-proposal-decide", args=[proposal.pk])
        approved = people["dora"].post(decide, {"version": 1, "decision": "approve", "reason": "Agreed at panel"})
        assert approved.status_code == 302
    else:
        approved = dora_approves(people, f"/api/v1/entry-proposals/{proposal.pk}/approve/", 1, "Agreed at panel")
        assert approved.status_code == 201, approved.json()
    episode = RegimeEpisode.objects.get(organisation__ods_code="RB2")
    assert (episode.regime.code, episode.entered, episode.exited) == ("NOF4", date(2024, 5, 1), None)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.proposed_by.username, proposal.decided_by.username) == (
        "approved",
        "alice",
        "dora",
    )
    assert proposal.episode == episode
    created = episode.history.earliest("history_date")
    assert created.history_user.username == "dora"
    assert "proposed by alice" in created.history_change_reason


# --- Exit ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_an_exit_by_one_user_is_refused_or_proposed_until_a_second_oversight_user_approves_it(path, world, people):
    alice, episode = people["alice"], world["own_episode"]
    url = f"/api/v1/episodes/{episode.pk}/"
    if path == "pages":
        proposed = alice.post(
            reverse("episode-propose-exit", args=[episode.pk]), {"version": 1, "exit_date": "2021-02-01"}
        )
        assert proposed.status_code == 302
        approve = reverse("episode-approve-exit", args=[episode.pk])
        assert alice.post(approve, {"version": 2, "reason": "Criteria met"}).status_code == 403
    elif path == "api":
        for method in ("patch", "put"):
            refused = api(
                alice, method, url, {"version": 1, "exited": "2021-02-01", "change_reason": "x"}, people["alice_key"]
            )
            assert refused.status_code == 409, refused.json()
            assert "exit needs approval by a second oversight user" in refused.json()["detail"]
            assert f"/api/v1/episodes/{episode.pk}/propose-exit/" in refused.json()["detail"]
        api(alice, "post", f"{url}propose-exit/", {"exit_date": "2021-02-01", "version": 1}, people["alice_key"])
        own = api(alice, "post", f"{url}approve-exit/", {"version": 2, "change_reason": "done"}, people["alice_key"])
        assert own.status_code == 403
        # Refused as approver, she cannot close it as an editor either.
        again = api(alice, "patch", url, {"version": 2, "exited": "2021-02-01"}, people["alice_key"])
        assert again.status_code == 409
    else:
        admin_refuses(
            alice,
            f"/admin/trusts/regimeepisode/{episode.pk}/change/",
            {
                "organisation": episode.organisation_id,
                "regime": episode.regime_id,
                "entered": "2019-01-01",
                "exited": "2021-02-01",
                "route": "direct",
            },
        )
        api(alice, "post", f"{url}propose-exit/", {"exit_date": "2021-02-01", "version": 1}, people["alice_key"])
    episode.refresh_from_db()
    assert episode.exited is None
    assert episode.proposed_exit == date(2021, 2, 1)

    if path == "pages":
        approve = reverse("episode-approve-exit", args=[episode.pk])
        assert people["dora"].post(approve, {"version": 2, "reason": "Criteria met"}).status_code == 302
    else:
        approved = dora_approves(people, f"{url}approve-exit/", 2, "Criteria met")
        assert approved.status_code == 200, approved.json()
    episode.refresh_from_db()
    assert episode.exited == date(2021, 2, 1)
    closed = episode.history.latest("history_date")
    assert (closed.history_user.username, closed.history_change_reason) == ("dora", "Criteria met")


def test_the_entry_date_and_regime_cannot_be_edited_either(world, people):
    episode = world["own_episode"]
    url = f"/api/v1/episodes/{episode.pk}/"
    for change in ({"entered": "2019-02-01"}, {"regime": "NOF4"}):
        refused = api(people["alice"], "patch", url, {"version": 1, **change}, people["alice_key"])
        assert refused.status_code == 409, refused.json()
        assert "entry decision" in refused.json()["detail"]
    episode.refresh_from_db()
    assert (episode.entered, episode.regime.code, episode.version) == (date(2019, 1, 1), "SMQ", 1)


def test_an_edit_may_resend_the_decisions_unchanged_and_change_the_episodes_reason(world, people):
    # Was a 500: episode_update() got multiple values for keyword argument 'reason'.
    episode = world["own_episode"]
    url = f"/api/v1/episodes/{episode.pk}/"
    body = {"version": 1, "reason": "CQC inadequate", "entered": "2019-01-01", "regime": "SMQ", "exited": None}
    response = api(people["alice"], "patch", url, {**body, "change_reason": "typo"}, people["alice_key"])
    assert response.status_code == 200, response.json()
    put = api(
        people["alice"], "put", url, {**body, "version": 2, "reason": "CQC rated inadequate"}, people["alice_key"]
    )
    assert put.status_code == 200, put.json()
    episode.refresh_from_db()
    assert (episode.reason, episode.version) == ("CQC rated inadequate", 3)


# --- Criterion approval -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PATHS)
def test_a_criterion_is_approved_only_by_someone_other_than_its_proposer(path, world, people):
    alice, episode = people["alice"], world["own_episode"]
    api(
        alice,
        "post",
        "/api/v1/criteria/",
        {"episode": episode.pk, "theme": "finance", "description": "Deficit plan agreed"},
        people["alice_key"],
    )
    criterion = ExitCriterion.objects.get(description="Deficit plan agreed")
    if path == "pages":
        assert alice.post(reverse("criterion-approve", args=[criterion.pk]), {"version": 1}).status_code == 403
        judged = alice.post(
            reverse("criterion-edit", args=[criterion.pk]),
            {"version": 1, "theme": "finance", "description": "Deficit plan agreed", "status": "met"},
        )
        assert judged.status_code == 400
    elif path == "api":
        own = api(alice, "post", f"/api/v1/criteria/{criterion.pk}/approve/", {"version": 1}, people["alice_key"])
        assert own.status_code == 403
        for status in ("met", "not_met", "approved"):
            judged = api(
                alice,
                "patch",
                f"/api/v1/criteria/{criterion.pk}/",
                {"version": 1, "status": status},
                people["alice_key"],
            )
            assert judged.status_code == 400, (status, judged.json())
            assert "status" in judged.json()["errors"]
    else:
        admin_refuses(
            alice,
            f"/admin/trusts/exitcriterion/{criterion.pk}/change/",
            {
                "episode": episode.pk,
                "theme": "finance",
                "description": "Deficit plan agreed",
                "status": "approved",
                "approved_by": world["alice"].pk,
            },
        )
    criterion.refresh_from_db()
    assert (criterion.status, criterion.approved_by, criterion.version) == ("proposed", None, 1)

    if path == "pages":
        assert people["dora"].post(reverse("criterion-approve", args=[criterion.pk]), {"version": 1}).status_code == 302
    else:
        approved = api(
            people["dora"], "post", f"/api/v1/criteria/{criterion.pk}/approve/", {"version": 1}, people["dora_key"]
        )
        assert approved.status_code == 200, approved.json()
        assert approved.json()["approved_by"] == "dora"
    criterion.refresh_from_db()
    assert (criterion.status, criterion.approved_by.username) == ("approved", "dora")
    met = api(alice, "patch", f"/api/v1/criteria/{criterion.pk}/", {"version": 2, "status": "met"}, people["alice_key"])
    assert met.status_code == 200, met.json()
