"""Where a record gives no route, the pages show the inference as an inference."""

from datetime import date

import pytest

from indicators.recompute import results_recompute
from tests.indicators.builders import episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def unrecorded(make_org):
    trust = make_org("RQ1", "Unrecorded Route NHS Trust")
    recorded = make_org("RQ2", "Recorded Route NHS Trust")
    episode(trust, "CP", date(2016, 1, 1), date(2016, 6, 30))
    episode(trust, "SMQ", date(2016, 7, 15), date(2018, 1, 31), route="")
    episode(recorded, "CP", date(2016, 1, 1), date(2016, 3, 31))
    episode(recorded, "SMQ", date(2016, 9, 1), None, route="escalated_from_cp")
    results_recompute(triggered_by="test")
    return trust


def test_the_analytics_page_counts_recorded_and_inferred_escalations_apart(unrecorded, alice, login):
    html = login(alice).get("/analytics/").content.decode()
    assert "Of 2 CP episodes, 2 escalated to SMQ (1 inferred from the dates" in html
    assert "(1 inferred from dates: no route recorded)" in html  # the poor performer category


def test_the_trust_page_says_the_route_is_not_recorded_and_what_was_inferred(unrecorded, alice, login):
    html = login(alice).get("/trusts/RQ1/").content.decode()
    assert "Route not recorded (inferred from the dates: escalated from CP)" in html
    assert "(route not recorded)" in html  # the timeline as a list


def test_an_analyst_reads_an_unrecorded_route_as_not_disclosed_and_never_its_inference(unrecorded, carol, login):
    html = login(carol).get("/trusts/RQ1/").content.decode()
    assert "inferred from the dates" not in html
    assert "escalated from CP" not in html.replace("Escalated from CP", "")
    assert "Not disclosed" in html
