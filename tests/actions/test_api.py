"""/api/v1/subscriptions/ and /api/v1/notifications/: your own only; bad input is a 400 naming the field."""

from django.test import Client

from actions import services
from actions.models import Event, Notification, Subscription


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_subscriptions_are_each_users_own(alice, carol, other_trust):
    alice_client, carol_client = _client(alice), _client(carol)
    created = alice_client.post(
        "/api/v1/subscriptions/",
        {"target": "trust", "organisation": other_trust.pk, "events": ["alert", "light"], "delivery": "digest"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert [row["id"] for row in alice_client.get("/api/v1/subscriptions/").json()["results"]] == [pk]
    assert carol_client.get("/api/v1/subscriptions/").json()["results"] == []
    assert carol_client.get(f"/api/v1/subscriptions/{pk}/").status_code == 404
    assert carol_client.delete(f"/api/v1/subscriptions/{pk}/").status_code == 404
    missing = alice_client.post(
        "/api/v1/subscriptions/", {"target": "region", "events": ["alert"]}, content_type="application/json"
    )
    assert missing.status_code == 400 and "region" in missing.json()["errors"]
    unknown = alice_client.post(
        "/api/v1/subscriptions/", {"target": "all", "events": ["gossip"]}, content_type="application/json"
    )
    assert unknown.status_code == 400 and "events" in unknown.json()["errors"]
    assert alice_client.delete(f"/api/v1/subscriptions/{pk}/").status_code == 204
    assert not Subscription.objects.exists()
    # Subscribing and unsubscribing are both in the history, with who did it.
    assert list(
        Subscription.history.order_by("history_date").values_list("history_type", "history_user__username")
    ) == [
        ("+", "alice"),
        ("-", "alice"),
    ]


def test_notifications_are_own_and_mark_read(alice, carol, other_trust):
    services.subscription_create(user=carol, target="trust", organisation=other_trust, events=["alert"])
    services.subscription_create(user=alice, target="all", events=["alert"])
    event = Event.objects.create(key="alert:test", kind="alert", title="A signal", organisation=other_trust)
    assert len(services.fan_out([event.pk])) == 2
    assert services.fan_out([event.pk]) == []  # once per user and event
    carol_client = _client(carol)
    listed = carol_client.get("/api/v1/notifications/").json()["results"]
    assert [row["event"]["title"] for row in listed] == ["A signal"] and listed[0]["read"] is False
    assert "1" in carol_client.get("/notifications/").content.decode()  # the unread count in the header
    alice_id = Notification.objects.get(user=alice).pk
    assert carol_client.post(f"/api/v1/notifications/{alice_id}/read/").status_code == 404
    assert carol_client.post(f"/api/v1/notifications/{listed[0]['id']}/read/").json()["read"] is True
    assert services.unread_count(carol) == 0 and services.unread_count(alice) == 1
    bad = _client(alice).post("/api/v1/notifications/mark-read/", {}, content_type="application/json")
    assert bad.status_code == 400 and "ids" in bad.json()["errors"]
    huge = {"ids": [2**70]}  # beyond any key: refused by the field, never an overflow in the database (500)
    too_big = _client(alice).post("/api/v1/notifications/mark-read/", huge, content_type="application/json")
    assert too_big.status_code == 400 and "ids" in too_big.json()["errors"]
    done = _client(alice).post("/api/v1/notifications/mark-read/", {"ids": [alice_id]}, content_type="application/json")
    assert done.json() == {"marked": 1}


def test_a_confidential_event_reaches_no_one_without_access(alice, carol, other_trust, regimes):
    services.subscription_create(user=carol, target="all", events=["decision"])
    services.subscription_create(user=alice, target="all", events=["decision"])
    confidential = next(regime for regime in regimes.values() if regime.confidential)
    event = Event.objects.create(
        key="entry:test",
        kind="decision",
        title="Entered the watch list",
        organisation=other_trust,
        confidential=confidential.confidential,
    )
    services.fan_out([event.pk])
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["alice"]
    assert "watch list" not in _client(carol).get("/notifications/").content.decode()


def test_what_changed_in_the_last_run_is_one_click(alice, carol, other_trust, regimes):
    from indicators.models import ComputationRun

    run = ComputationRun.objects.create(method_version="t", status="succeeded")
    ComputationRun.objects.filter(pk=run.pk).update(finished=run.started)
    confidential = next(regime for regime in regimes.values() if regime.confidential)
    Event.objects.create(key="k1", kind="alert", title="Public signal", organisation=other_trust, run=run)
    Event.objects.create(
        key="k2",
        kind="light",
        title="Watch-list light",
        organisation=other_trust,
        run=run,
        confidential=confidential.confidential,
    )
    alice_page = _client(alice).get("/changes/").content.decode()
    carol_page = _client(carol).get("/changes/").content.decode()
    assert "Public signal" in alice_page and "Watch-list light" in alice_page
    assert "Public signal" in carol_page and "Watch-list light" not in carol_page
