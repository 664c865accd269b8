"""The record forms under /records/: who may use them, inline validation, approval and four eyes."""

from datetime import date

import pytest
from django.urls import reverse

from trusts.models import ExitCriterion, RegimeEpisode


@pytest.fixture
def as_bob(client, world):
    client.force_login(world["bob"])
    return client


@pytest.fixture
def as_alice(client, world):
    client.force_login(world["alice"])
    return client


def trust_page(code):
    return reverse("trust-detail", args=[code])


def test_bob_edits_the_stocktake_of_his_trust_and_lands_on_the_trust_page(as_bob, world):
    stocktake = world["records"]["own"]["stocktake"]
    url = reverse("episode-stocktake-edit", args=[world["own_episode"].pk])
    page = as_bob.get(url)
    assert page.status_code == 200
    assert b'name="version" value="1"' in page.content
    response = as_bob.post(
        url,
        {
            "version": 1,
            "root_causes": "Board instability",
            "leadership_direction": "partial",
            "leadership_alignment": "absent",
            "leadership_commitment": "unknown",
            "reason": "After the diagnostic visit",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == trust_page("RB1")
    stocktake.refresh_from_db()
    assert (stocktake.root_causes, stocktake.leadership_direction, stocktake.version) == (
        "Board instability",
        "partial",
        2,
    )


def test_bob_cannot_open_or_post_the_forms_of_another_trust(as_bob, world):
    other = world["records"]["other"]
    episode = world["other_episode"]
    urls = [
        reverse("episode-stocktake-edit", args=[episode.pk]),
        reverse("episode-criterion-add", args=[episode.pk]),
        reverse("episode-note-add", args=[episode.pk]),
        reverse("episode-propose-exit", args=[episode.pk]),
        reverse("criterion-edit", args=[other["criterion"].pk]),
        reverse("funding-edit", args=[other["funding"].pk]),
    ]
    for url in urls:
        assert as_bob.get(url).status_code == 403, url
        assert as_bob.post(url, {"version": 1, "text": "x", "spent": "1"}).status_code == 403, url
    other["funding"].refresh_from_db()
    assert other["funding"].spent == 1000


def test_a_cp_episode_bob_may_not_see_is_not_found(as_bob, world):
    assert as_bob.get(reverse("episode-note-add", args=[world["cp_episode"].pk])).status_code == 404
    cp_criterion = world["records"]["cp"]["criterion"]
    assert as_bob.get(reverse("criterion-edit", args=[cp_criterion.pk])).status_code == 404


def test_bob_is_kept_out_of_the_admin(as_bob, world):
    criterion = world["records"]["other"]["criterion"]
    response = as_bob.get(f"/admin/trusts/exitcriterion/{criterion.pk}/change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    response = as_bob.post(f"/admin/trusts/exitcriterion/{criterion.pk}/change/", {"evidence": "x"})
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert criterion.evidence == ""


def test_an_analyst_cannot_use_the_forms(client, world):
    client.force_login(world["carol"])
    assert client.get(reverse("episode-note-add", args=[world["own_episode"].pk])).status_code == 403
    assert client.get(reverse("episode-create")).status_code == 403


def test_invalid_input_is_shown_beside_the_field(as_bob, world):
    url = reverse("funding-edit", args=[world["records"]["own"]["funding"].pk])
    response = as_bob.post(url, {"version": 1, "spent": "-5"})
    assert response.status_code == 400
    assert b"Ensure this value is greater than or equal to 0" in response.content
    assert response.context["form"].errors["spent"]


def test_a_stale_form_is_refused_and_the_first_edit_is_kept(client, world):
    """Two people open the same stocktake at version 1; the second save is refused, naming the first."""
    from django.test import Client

    url = reverse("episode-stocktake-edit", args=[world["own_episode"].pk])
    bob, alice = Client(), Client()
    bob.force_login(world["bob"])
    alice.force_login(world["alice"])
    assert b'name="version" value="1"' in bob.get(url).content
    assert b'name="version" value="1"' in alice.get(url).content
    base = {"leadership_direction": "unknown", "leadership_alignment": "unknown", "leadership_commitment": "unknown"}
    assert bob.post(url, {**base, "version": 1, "root_causes": "bob's account"}).status_code == 302
    refused = alice.post(url, {**base, "version": 1, "root_causes": "alice's account"})
    assert refused.status_code == 409
    text = refused.content.decode()
    assert "This record was changed by bob at" in text
    assert "Nothing was overwritten." in text
    stocktake = world["records"]["own"]["stocktake"]
    stocktake.refresh_from_db()
    assert (stocktake.root_causes, stocktake.version) == ("bob's account", 2)


def test_a_criterion_changed_after_approval_needs_a_reason_and_shows_the_difference(client, world):
    from django.test import Client

    criterion = world["records"]["own"]["criterion"]
    bob, alice = Client(), Client()
    bob.force_login(world["bob"])
    alice.force_login(world["alice"])
    # bob proposes the criterion, so alice (someone else) may approve it
    criterion.history.all().update(history_user=world["bob"])
    approved = alice.post(reverse("criterion-approve", args=[criterion.pk]), {"version": 1})
    assert approved.status_code == 302
    criterion.refresh_from_db()
    assert criterion.status == "approved" and criterion.approved_snapshot

    url = reverse("criterion-edit", args=[criterion.pk])
    change = {
        "version": criterion.version,
        "theme": "governance",
        "description": "Board governance reviewed externally",
        "status": "approved",
        "evidence": "",
    }
    without_reason = bob.post(url, change)
    assert without_reason.status_code == 400
    assert "say why its terms are changing" in without_reason.content.decode()
    assert bob.post(url, {**change, "reason": "The review must be external"}).status_code == 302
    criterion.refresh_from_db()
    assert criterion.changes_since_approval() == {
        "description": ("Board governance at RB1 reviewed", "Board governance reviewed externally")
    }
    page = bob.get(url).content.decode()
    assert "Changed after approval" in page
    assert "Board governance at RB1 reviewed" in page and "Board governance reviewed externally" in page


def test_status_and_evidence_change_without_a_reason_after_approval(as_bob, world):
    criterion = world["records"]["own"]["criterion"]
    criterion.approved_snapshot = criterion.approval_view()
    criterion.status = "approved"
    criterion.save()
    response = as_bob.post(
        reverse("criterion-edit", args=[criterion.pk]),
        {
            "version": criterion.version,
            "theme": criterion.theme,
            "description": criterion.description,
            "status": "met",
            "evidence": "Board effectiveness review",
        },
    )
    assert response.status_code == 302


def test_a_director_cannot_set_approved_status_himself(as_bob, world):
    criterion = world["records"]["own"]["criterion"]
    response = as_bob.post(
        reverse("criterion-edit", args=[criterion.pk]),
        {"version": 1, "theme": criterion.theme, "description": criterion.description, "status": "approved"},
    )
    assert response.status_code == 400
    assert ExitCriterion.objects.get(pk=criterion.pk).status == "proposed"


def test_proposing_the_criterion_and_approving_it_is_four_eyes(as_alice, world):
    episode = world["own_episode"]
    as_alice.post(
        reverse("episode-criterion-add", args=[episode.pk]),
        {"theme": "finance", "description": "Deficit plan agreed"},
    )
    criterion = ExitCriterion.objects.get(description="Deficit plan agreed")
    response = as_alice.post(reverse("criterion-approve", args=[criterion.pk]), {"version": 1})
    assert response.status_code == 403
    criterion.refresh_from_db()
    assert criterion.status == "proposed"


def test_exit_closes_only_when_someone_else_approves_it_with_a_reason(client, world):
    from django.test import Client

    episode = world["own_episode"]
    bob, alice = Client(), Client()
    bob.force_login(world["bob"])
    alice.force_login(world["alice"])
    proposed = bob.post(reverse("episode-propose-exit", args=[episode.pk]), {"version": 1, "exit_date": "2021-02-01"})
    assert proposed.status_code == 302
    episode.refresh_from_db()
    assert episode.exited is None and episode.proposed_exit == date(2021, 2, 1)
    assert bob.get(reverse("episode-approve-exit", args=[episode.pk])).status_code == 403
    url = reverse("episode-approve-exit", args=[episode.pk])
    no_reason = alice.post(url, {"version": 2})
    assert no_reason.status_code == 400
    assert "This field is required" in no_reason.content.decode()
    assert alice.post(url, {"version": 2, "reason": "All criteria met"}).status_code == 302
    episode.refresh_from_db()
    assert episode.exited == date(2021, 2, 1) and episode.proposed_exit is None


def test_oversight_proposes_an_entry_and_a_second_oversight_user_approves_it(as_alice, world):
    # Changed by issue 8: opening an episode is a proposal that a different oversight user approves.
    from django.test import Client

    from trusts.models import EntryProposal
    from trusts.services import user_create

    response = as_alice.post(
        reverse("episode-create"),
        {
            "organisation": "rb2",
            "regime": _regime("NOF4"),
            "entered": "2024-05-01",
            "route": "direct",
            "reason": "Segment 4",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("entry-proposal-list")
    assert not RegimeEpisode.objects.filter(organisation__ods_code="RB2").exists()
    proposal = EntryProposal.objects.get(organisation__ods_code="RB2")
    decide = reverse("entry-proposal-decide", args=[proposal.pk])
    assert as_alice.post(decide, {"version": 1, "decision": "approve"}).status_code == 403
    dora = Client()
    dora.force_login(user_create(username="dora", role="oversight"))
    approved = dora.post(decide, {"version": 1, "decision": "approve", "reason": "Agreed at panel"})
    assert approved.status_code == 302
    assert approved["Location"] == trust_page("RB2")
    episode = RegimeEpisode.objects.get(organisation__ods_code="RB2")
    assert episode.regime.code == "NOF4"
    assert episode.stocktake.version == 1


def _regime(code):
    from trusts.models import Regime

    return Regime.objects.get(code=code).pk


def test_the_forms_need_csrf(world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["bob"])
    url = reverse("episode-note-add", args=[world["own_episode"].pk])
    assert browser.post(url, {"text": "no token"}).status_code == 403
