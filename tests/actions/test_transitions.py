"""Transition after exit (issue 15): an approved exit opens a tapering schedule and a probation phase; check-ins
and communications are recorded with their history; a re-entry ends the transition; a CP trust's transition
is confidential; the board and early warning watch trusts in transition."""

from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from actions.models import Communication, Transition, TransitionStatus
from actions.transitions import (
    PROBATION_MONTHS,
    check_in_record,
    communication_plan,
    communication_sent,
    transition_complete,
)
from indicators.stats.periods import add_months
from trusts.models import RegimeEpisode
from trusts.services import episode_approve_exit, episode_propose_exit, user_create

TODAY = date.today()


@pytest.fixture
def dora(db):
    return user_create(username="dora", role="oversight", password="dora-password-1")


def _exit(episode, proposer, approver, day):
    episode = episode_propose_exit(actor=proposer, episode=episode, exit_date=day, expected_version=episode.version)
    return episode_approve_exit(
        actor=approver, episode=episode, expected_version=episode.version, reason="Criteria met"
    )


@pytest.fixture
def exited(regimes, make_org, alice, dora):
    trust = make_org("RT1", "Transition Trust")
    episode = RegimeEpisode.objects.create(organisation=trust, regime=regimes["NOF4"], entered=date(2023, 1, 1))
    exit_day = TODAY - timedelta(days=40)
    return _exit(episode, alice, dora, exit_day)


def test_an_approved_exit_opens_a_transition_with_the_tapering_schedule(exited):
    transition = Transition.objects.get(episode=exited)
    assert transition.status == TransitionStatus.ACTIVE
    assert transition.starts == exited.exited
    assert transition.ends == add_months(exited.exited, PROBATION_MONTHS)
    steps = transition.schedule
    assert [step["starts"] for step in steps] == [add_months(exited.exited, m).isoformat() for m in (0, 3, 6)]
    assert steps[-1]["ends"] == transition.ends.isoformat()
    assert all(a["ends"] == b["starts"] for a, b in zip(steps, steps[1:], strict=False))  # no gap, no overlap
    history = transition.history.first()
    assert history.history_type == "+" and "exit on" in history.history_change_reason


def test_a_historical_exit_opens_none(regimes, make_org, alice, dora):
    episode = RegimeEpisode.objects.create(
        organisation=make_org("RT2"), regime=regimes["SMQ"], entered=date(2014, 1, 1)
    )
    _exit(episode, alice, dora, date(2016, 1, 1))
    assert not Transition.objects.exists()


def test_check_ins_are_recorded_in_order_with_who_and_why_and_bad_input_is_refused(exited, alice, carol):
    transition = exited.transition
    check_in_record(actor=alice, transition=transition, held=TODAY, outcome="concern", note="RTT slipping")
    check_in_record(actor=alice, transition=transition, held=TODAY - timedelta(days=20), outcome="on_track")
    transition.refresh_from_db()
    assert [c["outcome"] for c in transition.check_ins] == ["on_track", "concern"]
    assert transition.check_ins[1]["by"] == "alice" and transition.check_ins[1]["note"] == "RTT slipping"
    latest = transition.history.first()
    earlier = TODAY - timedelta(days=20)
    assert latest.history_user == alice and latest.history_change_reason.startswith(f"Check-in on {earlier}")
    with pytest.raises(ValidationError) as refused:
        check_in_record(actor=alice, transition=transition, held=exited.exited - timedelta(days=1), outcome="x")
    assert set(refused.value.message_dict) == {"held", "outcome"}
    with pytest.raises(PermissionDenied):
        check_in_record(actor=carol, transition=transition, held=TODAY, outcome="on_track")


def test_a_new_entry_during_the_transition_marks_it_re_entered(exited, regimes):
    again = RegimeEpisode.objects.create(organisation=exited.organisation, regime=regimes["PIP"], entered=TODAY)
    transition = Transition.objects.get(episode=exited)
    assert transition.status == TransitionStatus.RE_ENTERED and transition.re_entry == again


def test_completing_needs_oversight_and_a_reason(exited, alice, bob):
    transition = exited.transition
    with pytest.raises(PermissionDenied):
        transition_complete(actor=bob, transition=transition, reason="done")
    with pytest.raises(ValidationError):
        transition_complete(actor=alice, transition=transition, reason=" ")
    transition_complete(actor=alice, transition=transition, reason="Probation over, no concerns")
    assert Transition.objects.get(pk=transition.pk).status == TransitionStatus.COMPLETED


def test_communications_are_planned_and_recorded_as_sent(exited, alice):
    planned = communication_plan(
        actor=alice, episode=exited, kind="exit", audience="staff", planned=exited.exited, note="All-staff briefing"
    )
    assert str(planned).startswith("Exit communication to Staff, planned")
    communication_sent(actor=alice, communication=planned, sent=exited.exited)
    saved = Communication.objects.get(pk=planned.pk)
    assert saved.sent == exited.exited
    assert [h.history_change_reason for h in saved.history.order_by("history_date")] == [
        "Exit communication planned",
        f"Communication sent on {exited.exited}",
    ]
    with pytest.raises(ValidationError) as refused:
        communication_plan(actor=alice, episode=exited, kind="exit", audience="press", planned=exited.exited)
    assert "audience" in refused.value.message_dict
    with pytest.raises(ValidationError):
        communication_sent(actor=alice, communication=planned, sent=TODAY + timedelta(days=2))


def test_a_cp_trusts_transition_is_seen_only_with_confidential_access(regimes, make_org, alice, dora, carol):
    trust = make_org("RC1", "Confidential Trust")
    episode = RegimeEpisode.objects.create(organisation=trust, regime=regimes["CP"], entered=date(2020, 6, 1))
    _exit(episode, alice, dora, TODAY - timedelta(days=10))
    assert Transition.objects.filter(episode=episode).exists()
    for user, shown in ((alice, True), (carol, False)):
        client = Client()
        client.force_login(user)
        for url in ("/", "/early-warning/"):
            page = client.get(url).content.decode()
            assert ("Confidential Trust" in page and "In transition after exit" in page) is shown, (user, url)


def test_the_trust_page_shows_the_transition_and_records_a_check_in(client, exited, alice):
    client.force_login(alice)
    page = client.get(f"/trusts/{exited.organisation.ods_code}/").content.decode()
    assert "Transition after exit" in page and "Tapered national support" in page
    response = client.post(
        f"/transitions/{exited.transition.pk}/check-in/", {"held": TODAY.isoformat(), "outcome": "escalate"}
    )
    assert response.status_code == 302
    assert Transition.objects.get(pk=exited.transition.pk).check_ins[0]["outcome"] == "escalate"
    bad = client.post(f"/transitions/{exited.transition.pk}/check-in/", {"held": "yesterday", "outcome": "on_track"})
    assert bad.status_code == 302  # back to the page with the message, nothing stored
    # The message names the field by its label, once ("Held on", not "held: Held on: …").
    assert [str(m) for m in get_messages(bad.wsgi_request)][-1] == "Held on: give the date as YYYY-MM-DD."
    assert len(Transition.objects.get(pk=exited.transition.pk).check_ins) == 1
    assert client.post("/transitions/999999/check-in/", {"held": TODAY.isoformat()}).status_code == 404
