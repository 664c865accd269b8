"""/api/v1/transitions/, /api/v1/communications/ and /api/v1/system-programmes/ (issue 15): read only, filtered by
ODS code and status, every row through the one visibility rule: a CP trust's (or ICB's) records need confidential
access, and a `read` token (published data only) sees no episode records at all.

alice is oversight staff (confidential access), carol an analyst without it, erin an improvement director (SID).
"""

from datetime import date, timedelta

import pytest
from django.test import Client

from actions.models import Transition
from actions.transitions import check_in_record, communication_plan, communication_sent
from oversight.tokens import token_issue
from tests.api.world import bearer
from trusts.models import RegimeEpisode
from trusts.services import episode_approve_exit, episode_propose_exit, user_create
from trusts.system_programme import system_director_assign, system_trust_link

TODAY = date.today()


@pytest.fixture
def dora(db):
    return user_create(username="dora", role="oversight", password="dora-password-1")


def _exited(organisation, regime, proposer, approver, *, entered, days_ago):
    episode = RegimeEpisode.objects.create(organisation=organisation, regime=regime, entered=entered)
    episode = episode_propose_exit(
        actor=proposer, episode=episode, exit_date=TODAY - timedelta(days=days_ago), expected_version=episode.version
    )
    return episode_approve_exit(actor=approver, episode=episode, expected_version=episode.version, reason="Met")


@pytest.fixture
def records(regimes, make_org, alice, dora):
    """Two trusts in transition: RT1 after NOF4 (public), RC1 after CP (confidential)."""
    public = _exited(
        make_org("RT1", "Public Trust"), regimes["NOF4"], alice, dora, entered=date(2023, 1, 1), days_ago=40
    )
    hidden = _exited(
        make_org("RC1", "Watched Trust"), regimes["CP"], alice, dora, entered=date(2020, 6, 1), days_ago=30
    )
    check_in_record(actor=alice, transition=public.transition, held=TODAY, outcome="concern", note="RTT slipping")
    sent = communication_plan(actor=alice, episode=public, kind="exit", audience="staff", planned=public.exited)
    communication_sent(actor=alice, communication=sent, sent=public.exited)
    communication_plan(actor=alice, episode=public, kind="exit", audience="public", planned=TODAY)
    communication_plan(actor=alice, episode=hidden, kind="exit", audience="staff", planned=hidden.exited)
    return {"public": public, "hidden": hidden}


def _get(user, url, scope=None):
    client = Client()
    if scope is None:
        client.force_login(user)
        return client.get(url)
    _, key = token_issue(user=user, scope=scope)
    return client.get(url, **bearer(key))


def _codes(response):
    assert response.status_code == 200, response.content
    return sorted(row["organisation"] for row in response.json()["results"])


def test_transitions_list_with_schedule_and_check_ins_and_filter_by_ods_code_and_status(records, alice):
    assert _codes(_get(alice, "/api/v1/transitions/")) == ["RC1", "RT1"]
    (row,) = _get(alice, "/api/v1/transitions/?organisation=rt1").json()["results"]
    transition = records["public"].transition
    assert (row["id"], row["regime"], row["status"], row["ends"]) == (
        transition.pk,
        "NOF4",
        "active",
        transition.ends.isoformat(),
    )
    assert [step["starts"] for step in row["schedule"]] == [step["starts"] for step in transition.schedule]
    assert row["check_ins"] == [
        {"held": TODAY.isoformat(), "outcome": "concern", "note": "RTT slipping", "by": "alice"}
    ]
    Transition.objects.filter(pk=records["hidden"].transition.pk).update(status="completed")
    assert _codes(_get(alice, "/api/v1/transitions/?status=completed")) == ["RC1"]
    assert _codes(_get(alice, "/api/v1/transitions/?status=active")) == ["RT1"]
    bad = _get(alice, "/api/v1/transitions/?status=maybe")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_communications_filter_by_ods_code_status_and_audience(records, alice):
    rows = _get(alice, "/api/v1/communications/?organisation=RT1").json()["results"]
    assert sorted((row["audience"], row["status"]) for row in rows) == [("public", "planned"), ("staff", "sent")]
    sent = _get(alice, "/api/v1/communications/?status=sent").json()["results"]
    assert [(row["organisation"], row["sent"]) for row in sent] == [("RT1", records["public"].exited.isoformat())]
    assert _codes(_get(alice, "/api/v1/communications/?status=planned")) == ["RC1", "RT1"]
    assert _codes(_get(alice, "/api/v1/communications/?audience=staff&organisation=rc1")) == ["RC1"]
    bad = _get(alice, "/api/v1/communications/?status=lost")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def test_cp_items_need_confidential_access_and_a_read_token_sees_no_episode_records(records, alice, carol):
    hidden = records["hidden"]
    for url in ("/api/v1/transitions/", "/api/v1/communications/"):
        assert "RC1" in _codes(_get(alice, url, scope="confidential")), url
        assert _codes(_get(carol, url)) == _codes(_get(carol, url, scope="write")), url
        assert "RC1" not in _codes(_get(carol, url)) and "RT1" in _codes(_get(carol, url)), url
        assert _codes(_get(alice, url, scope="read")) == [], url  # not published data
        assert _codes(_get(carol, f"{url}?organisation=RC1")) == []
    assert _get(carol, f"/api/v1/transitions/{hidden.transition.pk}/").status_code == 404
    assert _get(alice, f"/api/v1/transitions/{hidden.transition.pk}/", scope="read").status_code == 404
    assert _get(alice, f"/api/v1/transitions/{hidden.transition.pk}/", scope="confidential").status_code == 200


def test_transitions_list_in_a_fixed_number_of_queries(records, alice, django_assert_max_num_queries):
    client = Client()
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/transitions/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/communications/").status_code == 200


@pytest.fixture
def icb_programmes(regimes, make_org, alice):
    erin = user_create(username="erin", role="director", password="erin-password-1")
    icb = make_org("QWE", "South West London ICB", kind="icb", sector="icb")
    trust = make_org("RM1", "Member One Trust", parent_icb=icb)
    RegimeEpisode.objects.create(organisation=trust, regime=regimes["SMQ"], entered=date(2019, 1, 1))
    public = RegimeEpisode.objects.create(organisation=icb, regime=regimes["NOF4"], entered=date(2024, 4, 1))
    system_director_assign(actor=alice, episode=public, user=erin, date_from=date(2024, 5, 1))
    system_trust_link(actor=alice, episode=public, trust=trust)
    hidden_icb = make_org("QCP", "Watched ICB", kind="icb", sector="icb")
    hidden_trust = make_org("RM9", "Watched Member Trust", parent_icb=hidden_icb)
    hidden = RegimeEpisode.objects.create(organisation=hidden_icb, regime=regimes["CP"], entered=date(2024, 1, 1))
    system_trust_link(actor=alice, episode=hidden, trust=hidden_trust)
    return {"public": public, "hidden": hidden}


def test_system_programmes_show_the_sid_and_linked_trusts_and_hide_a_cp_icb(icb_programmes, alice, carol):
    url = "/api/v1/system-programmes/"
    rows = _get(carol, url, scope="read").json()["results"]
    assert [row["icb"] for row in rows] == ["QWE"]
    (row,) = rows
    assert row["regime"] == "NOF4" and row["is_open"] is True
    assert row["system_improvement_directors"] == [
        {"username": "erin", "name": "erin", "date_from": "2024-05-01", "date_to": None}
    ]
    assert row["linked_trusts"] == [
        {
            "ods_code": "RM1",
            "name": "Member One Trust",
            "parent_icb": "QWE",
            "outside_icb": False,
            "linked_on": TODAY.isoformat(),
            "note": "",
            "current_regimes": ["SMQ"],
        }
    ]
    assert sorted(r["icb"] for r in _get(alice, url, scope="confidential").json()["results"]) == ["QCP", "QWE"]
    assert _get(carol, f"{url}{icb_programmes['hidden'].pk}/").status_code == 404
    assert [r["icb"] for r in _get(alice, f"{url}?trust=rm9").json()["results"]] == ["QCP"]
    assert _get(carol, f"{url}?trust=rm9").json()["results"] == []
    assert [r["icb"] for r in _get(alice, f"{url}?icb=qwe&open=true").json()["results"]] == ["QWE"]
    assert _get(alice, f"{url}?open=false").json()["results"] == []


def test_system_programmes_list_in_a_fixed_number_of_queries(
    icb_programmes, alice, make_org, django_assert_max_num_queries
):
    client = Client()
    client.force_login(alice)
    for code in ("RM5", "RM6", "RM7"):  # more linked trusts cost no more queries
        system_trust_link(
            actor=alice,
            episode=icb_programmes["public"],
            trust=make_org(code, parent_icb=icb_programmes["public"].organisation),
        )
    with django_assert_max_num_queries(9):
        rows = client.get("/api/v1/system-programmes/").json()["results"]
    assert sum(len(row["linked_trusts"]) for row in rows) == 5
