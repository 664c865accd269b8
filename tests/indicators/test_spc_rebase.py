"""A person rebases a trust's SPC chart at a period, with a reason: stored, audited, shown, and the
next recompute draws the chart's mean and limits from that period on (methods §5)."""

from datetime import date

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client

from indicators.models import Observation, SpcRebase, SpcSummary
from indicators.spc_rebases import spc_rebase_add
from indicators.stats.periods import shift_months
from tests.indicators.builders import month, shifted_dtoc

pytestmark = pytest.mark.django_db


@pytest.fixture
def shifted(alice):
    # S00's process changes at month 30 (a new pathway): its level is higher from then on.
    indicator, orgs = shifted_dtoc(5)
    return indicator, orgs[0]


def _xmr_by_hand(values: list[float]) -> tuple[float, float, float]:
    """mean ± 2.66·mean(MR), moving ranges ≥ 3.267·mean(MR) screened out first (methods §5)."""
    x = np.asarray(values, dtype=float)
    mr = np.abs(np.diff(x))
    kept = mr[mr < 3.267 * mr.mean()]
    centre, spread = x.mean(), kept.mean()
    return centre, centre - 2.66 * spread, centre + 2.66 * spread


def test_a_rebased_chart_draws_its_limits_from_the_rebase_period_on(shifted, alice):
    indicator, trust = shifted
    before = SpcSummary.objects.get(organisation=trust, indicator=indicator)
    assert before.rebased_from is None and len(before.points) > 10

    rebase_from = shift_months(month(2021, 1), 30)
    spc_rebase_add(actor=alice, organisation=trust, indicator=indicator, rebased_from=rebase_from, reason="New pathway")
    call_command("recompute", verbosity=0)  # (tests run tasks eagerly; this makes the order explicit)

    chart = SpcSummary.objects.get(organisation=trust, indicator=indicator)
    assert chart.rebased_from == rebase_from
    assert [point["period"] for point in chart.points][0] == rebase_from.isoformat()
    rows = Observation.objects.filter(organisation=trust, indicator=indicator, period__gte=rebase_from)
    values = [row.numerator / row.denominator for row in rows.order_by("period")]
    assert len(chart.points) == len(values) == 10
    centre, lower, upper = _xmr_by_hand(values)
    assert chart.mean == pytest.approx(centre, rel=1e-9)
    assert chart.lower == pytest.approx(lower, rel=1e-9)
    assert chart.upper == pytest.approx(upper, rel=1e-9)
    # The other trusts' charts are untouched by S00's rebase.
    assert all(summary.rebased_from is None for summary in SpcSummary.objects.exclude(organisation=trust))


def test_a_rebase_is_audited_with_who_and_why(shifted, alice):
    indicator, trust = shifted
    rebase = spc_rebase_add(
        actor=alice, organisation=trust, indicator=indicator, rebased_from=date(2023, 7, 15), reason="Merger"
    )
    assert rebase.rebased_from == date(2023, 7, 1)  # the month's first day
    record = rebase.history.get()
    assert record.history_user == alice and record.history_type == "+"
    html = _signed_in(alice).get("/audit/?model=rebase").content.decode()
    assert "Merger" in html and "S00" in html


def test_a_rebase_needs_a_reason_and_a_period_with_data(shifted, alice):
    indicator, trust = shifted
    with pytest.raises(ValidationError) as no_reason:
        spc_rebase_add(actor=alice, organisation=trust, indicator=indicator, rebased_from=date(2023, 7, 1), reason=" ")
    assert "reason" in no_reason.value.message_dict
    with pytest.raises(ValidationError) as too_late:
        spc_rebase_add(actor=alice, organisation=trust, indicator=indicator, rebased_from=date(2030, 1, 1), reason="x")
    assert "rebased_from" in too_late.value.message_dict
    assert not SpcRebase.objects.exists()


def test_only_oversight_staff_or_the_trusts_director_may_rebase(shifted, carol):
    indicator, trust = shifted
    with pytest.raises(PermissionDenied):
        spc_rebase_add(actor=carol, organisation=trust, indicator=indicator, rebased_from=date(2023, 7, 1), reason="x")
    response = _signed_in(carol).post(
        f"/records/spc-rebase/{trust.ods_code}/dtoc/", {"rebased_from": "2023-07-01", "reason": "x"}
    )
    assert response.status_code == 403
    assert not SpcRebase.objects.exists()


def test_the_form_saves_and_the_trust_page_shows_the_rebase_and_its_reason(shifted, alice):
    indicator, trust = shifted
    client = _signed_in(alice)
    page = client.get(f"/trusts/{trust.ods_code}/?indicator=dtoc").content.decode()
    assert f"/records/spc-rebase/{trust.ods_code}/dtoc/" in page  # the editor is offered the form
    refused = client.post(f"/records/spc-rebase/{trust.ods_code}/dtoc/", {"rebased_from": "2023-07-01", "reason": ""})
    assert refused.status_code == 400
    saved = client.post(
        f"/records/spc-rebase/{trust.ods_code}/dtoc/", {"rebased_from": "2023-07-01", "reason": "New pathway"}
    )
    assert saved.status_code == 302
    page = client.get(f"/trusts/{trust.ods_code}/?indicator=dtoc").content.decode()
    assert "Chart rebased from Jul 2023" in page and "New pathway" in page
    assert "(takes effect at the next recompute)" in page
    call_command("recompute", verbosity=0)  # the queued one (on commit, which a test transaction never reaches)
    page = client.get(f"/trusts/{trust.ods_code}/?indicator=dtoc").content.decode()
    assert "since the chart was rebased in July 2023" in page  # the chart's own summary says so
    assert "(takes effect at the next recompute)" not in page
    assert client.get("/records/spc-rebase/NOPE/dtoc/").status_code == 404


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
