"""Subscriptions and notifications (issue 15): what a run and a decision produce, who is told, by email too."""

import time
from datetime import date
from pathlib import Path

import pytest
from django.core import mail

from actions import services
from actions.models import Event, EventKind, Notification
from actions.tasks import notify_after_run
from indicators.models import Alert
from indicators.recompute import results_recompute
from tests.indicators.builders import month, organisations, panel, proportion_indicator
from tests.processes import needs_a_broker
from trusts.models import Regime, RegimeEpisode

ALL = [kind.value for kind in EventKind]


def _world(alice, bob, carol, bob_trusts):
    """A public trust in SMQ that slips (an alert), and bob's trust on the confidential watch list."""
    others = organisations(10)
    public_trust, cp_trust = others[0], bob_trusts[0]
    indicator = proportion_indicator("ed_4hr")
    # Lower is better: a jump of the logit in the last 8 months is a slipping trust.
    panel(
        indicator,
        [public_trust, cp_trust, *others[1:], bob_trusts[1]],
        month(2018, 1),
        24,
        seed=3,
        effects={0: lambda t: 0.8 if t >= 16 else 0.0},
    )
    confidential = Regime.objects.filter(confidential=True).first()
    public = Regime.objects.filter(confidential=False, exit_target_months__isnull=False).first()
    cp_episode = RegimeEpisode.objects.create(organisation=cp_trust, regime=confidential, entered=date(2019, 1, 1))
    smq_episode = RegimeEpisode.objects.create(organisation=public_trust, regime=public, entered=date(2018, 6, 1))
    for user in (alice, bob, carol):
        user.email = f"{user.username}@example.nhs.uk"
        user.save()
    # carol (analyst, no confidential access) follows the CP trust for everything, and the public trust's alerts.
    services.subscription_create(user=carol, target="trust", organisation=cp_trust, events=ALL, delivery="immediate")
    services.subscription_create(
        user=carol, target="trust", organisation=public_trust, events=["alert", "decision"], delivery="immediate"
    )
    # alice (oversight) follows the CP trust; bob (its ID) follows "my trusts".
    services.subscription_create(user=alice, target="trust", organisation=cp_trust, events=ALL, delivery="immediate")
    services.subscription_create(user=bob, target="my_trusts", events=["decision"], delivery="digest")
    return public_trust, cp_trust, cp_episode, smq_episode


def _told(user, **filters):
    return set(Notification.objects.filter(user=user, **filters).values_list("event__key", flat=True))


def _propose_exits(alice, cp_episode, smq_episode):
    from trusts.services import episode_propose_exit

    for episode in (cp_episode, smq_episode):
        episode.refresh_from_db()
        episode_propose_exit(actor=alice, episode=episode, exit_date=date(2020, 1, 1), expected_version=episode.version)


def _assert_exactly_what_rights_allow(alice, bob, carol, public_trust, cp_trust, cp_episode, smq_episode):
    cp_decisions = {f"exit-proposed:{cp_episode.pk}:2020-01-01"}
    smq_decisions = {f"exit-proposed:{smq_episode.pk}:2020-01-01"}
    public_alerts = {
        f"alert:{a.organisation_id}:{a.indicator_id}:{a.period.isoformat()}:{a.kind}"
        # The data end in Dec 2019: a run announces the signals of its last three months (Oct-Dec).
        for a in Alert.objects.filter(organisation=public_trust, period__gte=date(2019, 10, 1))
    }
    assert public_alerts, "the slipping trust signals"
    assert Event.objects.filter(key__in=cp_decisions, confidential=True).count() == 1
    # The CP trust's indicator-data events are public (as /api/v1/alerts/), the regime's events are not.
    cp_public = set(Event.objects.filter(organisation=cp_trust, confidential=False).values_list("key", flat=True))
    assert not Event.objects.filter(organisation=cp_trust, kind=EventKind.ALERT).exists()
    assert _told(carol, event__organisation=cp_trust) == cp_public
    assert not _told(carol, event__confidential=True)
    assert _told(carol, event__organisation=public_trust) == public_alerts | smq_decisions
    # Everything about the CP trust since alice subscribed (its entry came before, where a worker ran it at once).
    since = Event.objects.filter(organisation=cp_trust).exclude(key__startswith="entry:")
    assert _told(alice) == set(since.values_list("key", flat=True))
    assert cp_decisions <= _told(alice)
    assert _told(bob) == cp_decisions  # his own trust's CP episode: its ID sees it; not the other trust's
    return cp_decisions


def _emails(folder: Path) -> list[str]:
    """Each message the file backend wrote. It names a file by the second and the backend's id(), and
    send_mail makes a backend per message: two sent in one second by a reused id share a file."""
    separator = "\n" + "-" * 79 + "\n"
    return [
        message
        for path in sorted(folder.glob("*.log"))
        for message in path.read_text().split(separator)
        if message.strip()
    ]


def test_a_run_and_a_decision_notify_exactly_whom_rights_allow(
    django_capture_on_commit_callbacks, alice, bob, carol, bob_trusts
):
    public_trust, cp_trust, cp_episode, smq_episode = _world(alice, bob, carol, bob_trusts)
    with django_capture_on_commit_callbacks(execute=True):
        run = results_recompute(triggered_by="test")
        _propose_exits(alice, cp_episode, smq_episode)
    _assert_exactly_what_rights_allow(alice, bob, carol, public_trust, cp_trust, cp_episode, smq_episode)
    # Immediate emails: carol's never names the CP trust; bob's digest waits for the daily task.
    assert mail.outbox and all(cp_trust.name not in m.body for m in mail.outbox if m.to == [carol.email])
    assert not [m for m in mail.outbox if m.to == [bob.email]]
    before = Notification.objects.count()
    sent = len(mail.outbox)
    assert notify_after_run.apply(args=[run.pk]).get() == {"events": 0, "notifications": 0, "emails": 0}
    assert Notification.objects.count() == before and len(mail.outbox) == sent  # safe to run twice
    assert services.send_digests() == 1
    assert services.send_digests() == 0
    assert cp_trust.name in mail.outbox[-1].body and mail.outbox[-1].to == [bob.email]


def test_a_failed_run_tells_oversight_staff_only(django_capture_on_commit_callbacks, alice, carol, monkeypatch):
    from indicators.recompute import run as recompute_run

    services.subscription_create(user=alice, target="all", events=["failure"])
    services.subscription_create(user=carol, target="all", events=ALL)
    monkeypatch.setattr(recompute_run, "_recompute_in_transaction", lambda *a, **kw: 1 / 0)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ZeroDivisionError):
        results_recompute(triggered_by="doomed")
    assert [n.event.kind for n in Notification.objects.filter(user=alice)] == ["failure"]
    assert not Notification.objects.filter(user=carol).exists()


@needs_a_broker
def test_a_real_celery_worker_notifies_and_emails(child_env, alice, bob, carol, bob_trusts, tmp_path, celery_worker):
    public_trust, cp_trust, cp_episode, smq_episode = _world(alice, bob, carol, bob_trusts)
    env = dict(
        child_env, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(tmp_path)
    )
    with celery_worker(env, "notify"):
        run = results_recompute(triggered_by="celery-test")  # queues notify_after_run on commit
        _propose_exits(alice, cp_episode, smq_episode)  # each queues notify_after_decision on commit
        # One worker takes tasks in order: once this second run of the same task is done, all before it are.
        again = notify_after_run.apply_async(args=[run.pk]).get(timeout=120)
        deadline = time.monotonic() + 30
        while not _emails(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.2)
    assert again == {"events": 0, "notifications": 0, "emails": 0}  # safe to run twice
    _assert_exactly_what_rights_allow(alice, bob, carol, public_trust, cp_trust, cp_episode, smq_episode)
    emails = _emails(tmp_path)
    to_carol = [text for text in emails if f"To: {carol.email}" in text]
    to_alice = [text for text in emails if f"To: {alice.email}" in text]
    assert to_carol and to_alice
    assert all(cp_trust.name not in text for text in to_carol)
    assert any(cp_trust.name in text for text in to_alice)
    assert not [text for text in emails if f"To: {bob.email}" in text]  # digest: not yet


def test_a_nightly_run_that_served_nothing_new_records_no_events_and_a_recomputing_one_does(
    alice, bob, carol, bob_trusts
):
    _world(alice, bob, carol, bob_trusts)
    forced = results_recompute(triggered_by="test")
    assert services.events_from_run(forced.pk), "the slipping trust's alert is an event"
    Event.objects.all().delete()
    nightly = results_recompute(triggered_by="test", incremental=True)
    assert (nightly.counts["recomputed"], nightly.counts["programme_unchanged"]) == (0, True)
    assert services.events_from_run(nightly.pk) == []
    # A forced run serves its own rows: the same alerts are recorded again (once: keys are unique).
    again = results_recompute(triggered_by="test")
    assert services.events_from_run(again.pk)


def test_every_spc_concern_a_run_serves_is_recorded_as_an_event(alice, bob, carol, bob_trusts):
    from indicators.models import SpcSummary

    _world(alice, bob, carol, bob_trusts)
    run = results_recompute(triggered_by="test")
    concerns = set(
        SpcSummary.objects.filter(variation_icon="special_cause_concern").values_list("organisation_id", "indicator_id")
    )
    assert concerns, "the slipping trust's chart shows a concern"
    services.events_from_run(run.pk)
    recorded = set(Event.objects.filter(kind=EventKind.SPC).values_list("organisation_id", "indicator_id"))
    assert recorded == concerns
