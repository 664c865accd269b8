"""The indicator pages: the catalogue, and per indicator a funnel plot, outliers, the national trend and spread."""

import pytest

from indicators.charts import proportion_limits
from indicators.models import NationalValue
from tests.pages.world import figure_in, trace_names

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client, world):
    assert client.get("/indicators/").status_code == 302
    assert client.get("/indicators/ed_4hr/").status_code == 302


def test_it_lists_indicators_and_labels_synthetic_ones(world, carol, login):
    html = login(carol).get("/indicators/").content.decode()
    assert "A&amp;E over 4 hours" in html
    assert 'RTT over 18 weeks</a> <span class="synthetic-tag">synthetic</span>' in html


def test_it_draws_a_funnel_for_the_latest_period_by_default(world, carol, login):
    response = login(carol).get("/indicators/ed_4hr/")
    assert response.status_code == 200
    funnel = figure_in(response, "funnel-figure")
    names = trace_names(funnel)
    # Issue 10: better and worse are told apart (blue better, orange/red worse; red never better).
    assert names[:4] == [
        "Within 95% limits",
        "Better: beyond 95% limits",
        "Worse: beyond 95% limits",
        "Worse: beyond 99.8% limits",
    ]
    colours = {trace["name"]: trace["marker"]["color"] for trace in funnel["data"][:4]}
    assert colours["Better: beyond 95% limits"] == "#005eb8"
    assert "#d5281b" not in {colours["Within 95% limits"], colours["Better: beyond 95% limits"]}
    for expected in (
        "National value",
        "95% limits (overdispersed)",
        "95% limits (no overdispersion)",
        "99.8% limits (overdispersed)",
        "99.8% limits (no overdispersion)",
    ):
        assert expected in names
    points = sum(len(trace["x"]) for trace in funnel["data"][:3])
    assert points == len(world.orgs)
    urls = [data[0] for trace in funnel["data"][:3] for data in trace["customdata"]]
    assert f"/trusts/{world.orgs[0].ods_code}/?indicator=ed_4hr" in urls  # a click opens the trust page on it
    assert "Dec 2017" in funnel["layout"]["title"]["text"]


def test_its_funnel_limits_back_transform_the_square_root_scale():
    low, high = proportion_limits(0.14, 0.001, __import__("numpy").array([10000.0]), 1.959964)
    spread = 1.959964 * (1 / 40000 + 0.001) ** 0.5
    assert high[0] == pytest.approx((0.14**0.5 + spread) ** 2)
    assert low[0] == pytest.approx((0.14**0.5 - spread) ** 2)
    # Above one half the smaller tail is used and mapped back.
    low_flipped, high_flipped = proportion_limits(0.86, 0.001, __import__("numpy").array([10000.0]), 1.959964)
    assert low_flipped[0] == pytest.approx(1 - high[0]) and high_flipped[0] == pytest.approx(1 - low[0])


def test_a_ratio_funnel_uses_the_overdispersion_its_published_limits_imply():
    import math

    from indicators.charts import ratio_limits
    from indicators.stats.funnel import implied_tau2

    tau2 = 0.003
    rows = [
        {"x": expected, "upper": math.exp(1.959964 * math.sqrt(1 / expected + tau2))} for expected in (800, 1500, 2400)
    ]
    assert implied_tau2([row["upper"] for row in rows], [row["x"] for row in rows]) == pytest.approx(tau2)
    low, high = ratio_limits(tau2, __import__("numpy").array([1500.0]), 1.959964)
    assert high[0] == pytest.approx(rows[1]["upper"]) and low[0] == pytest.approx(1 / rows[1]["upper"])


def test_it_draws_a_chosen_period(world, carol, login):
    response = login(carol).get("/indicators/ed_4hr/?period=2016-03")
    assert "Mar 2016" in figure_in(response, "funnel-figure")["layout"]["title"]["text"]


def test_it_falls_back_to_the_latest_period_for_an_unknown_one(world, carol, login):
    response = login(carol).get("/indicators/ed_4hr/?period=1999-01")
    assert response.status_code == 200
    assert "Dec 2017" in figure_in(response, "funnel-figure")["layout"]["title"]["text"]
    assert "showing the latest period instead" in response.content.decode()


def test_it_lists_outliers_beyond_each_limit(world, carol, login):
    html = login(carol).get("/indicators/ed_4hr/").content.decode()
    assert "Beyond the 99.8% limits (adjusted z-score beyond ±3.09)" in html
    assert "Beyond the 95% limits only" in html


def test_it_draws_the_national_trend_and_the_spread_of_z(world, carol, login):
    response = login(carol).get("/indicators/ed_4hr/")
    trend = figure_in(response, "trend-figure")
    assert len(trend["data"][0]["x"]) == NationalValue.objects.filter(indicator__code="ed_4hr").count() == 36
    spread = trace_names(figure_in(response, "spread-figure"))
    assert "Median adjusted z-score" in spread and "25th–75th percentile" in spread and "5th–95th percentile" in spread
    assert "The middle half lies" in response.content.decode() or "middle half lies" in response.content.decode()


def test_it_answers_404_for_an_unknown_indicator(world, carol, login):
    assert login(carol).get("/indicators/nope/").status_code == 404
