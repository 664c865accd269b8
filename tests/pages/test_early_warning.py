"""Early warning: slipping trusts outside any regime, each with its CUSUM chart, and the alerts table."""

import pytest

from indicators.models import Alert
from tests.pages.world import figure_in, trace_names

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client, world):
    assert client.get("/early-warning/").status_code == 302


def test_it_lists_the_slipping_trust_with_its_cusum_chart(world, carol, login):
    response = login(carol).get("/early-warning/")
    assert response.status_code == 200
    html = response.content.decode()
    code = world.slipping.ods_code
    assert f"({code}):" in html
    figure = figure_in(response, f"cusum-{code}")
    names = trace_names(figure)
    assert "ed_4hr" in names and "rtt_18wk" in names
    assert any(name.startswith("h = ") for name in names)
    # The recomputed CUSUM crosses h where the stored alerts say it did.
    stored = {
        a.period.isoformat()
        for a in Alert.objects.filter(organisation=world.slipping, indicator__code="ed_4hr", kind="cusum")
    }
    signalled = next(trace for trace in figure["data"] if trace["name"] == "ed_4hr: signal")
    assert set(signalled["x"]) == stored


def test_it_states_the_expected_false_alarm_rate(world, carol, login):
    html = login(carol).get("/early-warning/").content.decode()
    assert "Expected false alarms" in html
    assert f"with {len(world.orgs) * 2} monthly charts" in html


def test_it_lists_alerts_newest_first_fifty_a_page(world, carol, login):
    client = login(carol)
    html = client.get("/early-warning/").content.decode()
    total = Alert.objects.count()
    assert f"Every signal (level CUSUM or self-baseline EWMA), newest first ({total} in all)" in html
    # One row per alert on the first page; each CUSUM row shows h, each EWMA row its limit (issue 10 added EWMA).
    shown = html.count("<td>cusum</td>") + html.count("<td>ewma</td>")
    assert shown == min(total, 50)
    assert html.count('<td class="num">4.389</td>') == html.count("<td>cusum</td>")
