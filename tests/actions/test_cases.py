"""Outlier cases (issue 15): opened from a real signal, answered, closed with a reason, each step audited."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from actions import services
from actions.models import CaseSignal, CaseStatus, OutlierCase
from indicators.models import Alert, ZScore
from indicators.recompute import results_recompute
from oversight.audit import AuditFilters, audit_page
from tests.indicators.builders import month, organisations, panel, proportion_indicator


@pytest.fixture
def signalled(db, bob_trusts):
    trust = bob_trusts[0]
    indicator = proportion_indicator("ed_4hr")
    panel(
        indicator, [trust, *organisations(11)], month(2018, 1), 24, seed=3, effects={0: lambda t: 0.8 if t >= 16 else 0}
    )
    results_recompute(triggered_by="test")
    return trust, indicator


def test_case_signal_limits_by_hand():
    # lower is better (+1): a high z_adj is bad; higher is better (-1): a low one is.
    assert services.case_signal_for(2.01, 1) == CaseSignal.ALERT
    assert services.case_signal_for(3.01, 1) == CaseSignal.ALARM
    assert services.case_signal_for(-3.5, 1) is None
    assert services.case_signal_for(-2.5, -1) == CaseSignal.ALERT
    assert services.case_signal_for(2.0, 1) is None  # beyond ±2, not at it
    assert services.case_signal_for(5.0, 0) is None  # no bad direction


def test_open_respond_close_with_every_step_audited(signalled, alice, bob, carol):
    trust, indicator = signalled
    alert = Alert.objects.filter(organisation=trust, indicator=indicator).order_by("period").first()
    assert alert is not None
    with pytest.raises(PermissionDenied):
        services.case_open(actor=carol, organisation=trust, indicator=indicator, period=alert.period, signal="cusum")
    case = services.case_open(
        actor=bob, organisation=trust, indicator=indicator, period=alert.period, signal="cusum", assigned_to=bob
    )
    assert case.value == alert.statistic and case.status == CaseStatus.OPEN
    with pytest.raises(ValidationError):  # one open case per signal
        services.case_open(actor=alice, organisation=trust, indicator=indicator, period=alert.period, signal="cusum")
    with pytest.raises(ValidationError):  # no signal there
        services.case_open(
            actor=alice, organisation=trust, indicator=indicator, period=date(2018, 1, 1), signal="cusum"
        )
    case = services.case_record_response(actor=bob, case=case, response="Winter surge; escalation beds opened.")
    assert case.status == CaseStatus.AWAITING
    with pytest.raises(PermissionDenied):  # closing is for oversight staff
        services.case_close(actor=bob, case=case, reason="Fine")
    with pytest.raises(ValidationError):
        services.case_close(actor=alice, case=case, reason="  ")
    case = services.case_close(actor=alice, case=case, reason="Response accepted; monitor for three months.")
    assert case.status == CaseStatus.CLOSED and case.days_to_close == 0
    history = list(case.history.order_by("history_date").values_list("status", "history_user__username"))
    assert history == [("open", "bob"), ("responded", "bob"), ("closed", "alice")]
    entries = audit_page(AuditFilters(kinds=["case"]), offset=0, limit=10)
    assert [entry.change for entry in entries] == ["changed", "changed", "created"]
    assert [entry.user for entry in entries] == ["alice", "bob", "bob"]
    assert entries[0].reason == "Closed: Response accepted; monitor for three months."
    assert ("status", "responded", "closed") in entries[0].changes
    # A closed case lets a new one be opened for the same signal.
    services.case_open(actor=alice, organisation=trust, indicator=indicator, period=alert.period, signal="cusum")
    assert OutlierCase.objects.filter(status=CaseStatus.OPEN).count() == 1


def test_z_alert_needs_z_beyond_the_limit_in_the_bad_direction(signalled, alice):
    trust, indicator = signalled
    worst = ZScore.objects.filter(organisation=trust, indicator=indicator).order_by("-z_adjusted").first()
    calm = ZScore.objects.filter(organisation=trust, indicator=indicator).order_by("z_adjusted").first()
    assert worst.z_adjusted > 2 and calm.z_adjusted < 2
    case = services.case_open(
        actor=alice, organisation=trust, indicator=indicator, period=worst.period, signal="z_alert"
    )
    assert case.value == pytest.approx(worst.z_adjusted)
    with pytest.raises(ValidationError):
        services.case_open(actor=alice, organisation=trust, indicator=indicator, period=calm.period, signal="z_alert")


def test_pages_and_api_walk_a_case(signalled, alice, bob, carol):
    trust, indicator = signalled
    alert = Alert.objects.filter(organisation=trust, indicator=indicator).order_by("period").first()
    bob_client, alice_client, carol_client = Client(), Client(), Client()
    bob_client.force_login(bob)
    alice_client.force_login(alice)
    carol_client.force_login(carol)
    page = bob_client.get("/early-warning/")
    assert page.status_code == 200 and "Open a case" in page.content.decode()
    response = bob_client.post(
        "/api/v1/cases/",
        {"organisation": trust.pk, "indicator": indicator.pk, "period": alert.period.isoformat(), "signal": "cusum"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert f"Case {pk} (open)" in bob_client.get("/early-warning/").content.decode()
    assert (
        carol_client.post(f"/api/v1/cases/{pk}/respond/", {"text": "x"}, content_type="application/json").status_code
        == 403
    )
    bad = bob_client.post(f"/api/v1/cases/{pk}/respond/", {"text": ""}, content_type="application/json")
    assert bad.status_code == 400 and "text" in bad.json()["errors"]
    assert bob_client.post(f"/cases/{pk}/", {"step": "respond", "text": "Looked into it."}).status_code == 302
    board = alice_client.get("/").content.decode()
    assert "Open outlier cases" in board and f"/cases/{pk}/" in board
    assert f"/cases/{pk}/" in alice_client.get(f"/trusts/{trust.ods_code}/").content.decode()
    closed = alice_client.post(f"/api/v1/cases/{pk}/close/", {"text": "Explained."}, content_type="application/json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["days_to_close"] == 0
    detail = alice_client.get(f"/cases/{pk}/").content.decode()
    assert "Closed: Explained." in detail and "Trust&#x27;s response recorded" in detail
