"""The trust page: header, timeline, indicator summary, one indicator's charts, and the episode records."""

import pytest

from tests.pages.world import figure_in, trace_names

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client, world):
    response = client.get(f"/trusts/{world.orgs[0].ods_code}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_answers_404_for_an_unknown_code(alice, login, world):
    assert login(alice).get("/trusts/NOPE1/").status_code == 404


def test_it_shows_the_header_with_regime_segment_and_director(world, alice, login):
    response = login(alice).get(f"/trusts/{world.orgs[0].ods_code}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert world.orgs[0].name in html
    assert "Dana Director" in html
    assert "Special Measures for Quality (SMQ)" in html
    assert "(unpublished)" in html  # alice has confidential access, so sees the unpublished segment


def test_it_draws_the_z_score_chart_with_limits_fit_and_counterfactual(world, alice, login):
    response = login(alice).get(f"/trusts/{world.orgs[0].ods_code}/?indicator=ed_4hr")
    figure = figure_in(response, "zscore-figure")
    names = trace_names(figure)
    assert names[:4] == ["Adjusted z-score", "National (z = 0)", "95% limits (±1.96)", "99.8% limits (±3.09)"]
    # Issue 10: the spell is named in the legend, and the counterfactual stops at the spell's end.
    assert "ITS fit (SMQ from Jul 2016)" in names
    assert "Counterfactual: pre-entry trend (SMQ from Jul 2016)" in names
    counterfactual = figure["data"][names.index("Counterfactual: pre-entry trend (SMQ from Jul 2016)")]
    assert counterfactual["x"][0] == "2016-06-01"  # from the last pre-entry month
    assert len(figure["data"][0]["x"]) == 36
    assert any(shape["type"] == "rect" for shape in figure["layout"]["shapes"])  # the SMQ spell shaded
    value = figure_in(response, "value-figure")
    assert trace_names(value) == [world.orgs[0].ods_code, "National value"]
    spc = figure_in(response, "spc-figure")
    assert trace_names(spc)[:3] == ["Value", "Mean", "Process limits"]
    html = response.content.decode()
    assert "Latest adjusted z-score" in html and "level change at entry" in html
    assert "Level change at entry" in html  # the ITS coefficient table


def test_it_shows_one_indicator_at_a_time_with_a_summary_of_all(world, alice, login):
    response = login(alice).get(f"/trusts/{world.orgs[0].ods_code}/?indicator=rtt_18wk")
    html = response.content.decode()
    assert "A&amp;E over 4 hours" in html and "RTT over 18 weeks" in html  # both in the summary table
    assert html.count('data-figure="zscore-figure"') == 1
    assert '<h2 id="charts-heading">RTT over 18 weeks <span class="synthetic-tag">synthetic</span>' in html


def test_it_shows_exit_criteria_with_changes_after_approval(world, alice, login):
    html = login(alice).get(f"/trusts/{world.orgs[0].ods_code}/").content.decode()
    assert "Board assurance framework in use" in html
    assert "Changed after approval" in html
    assert "<del>15%</del> → <ins>20%</ins>" in html  # issue 16: a threshold in its indicator's unit
    assert "Board turnover and weak ward-to-board assurance." in html  # stocktake
    assert "Monthly review held; ED flow improving." in html  # note
    assert "250,000" in html or "250000" in html  # funding


def test_it_hides_episode_records_from_a_director_of_another_trust(world, bob, login):
    html = login(bob).get(f"/trusts/{world.orgs[0].ods_code}/").content.decode()
    assert "Board assurance framework in use" not in html
    assert "Monthly review held" not in html
    assert "visible to oversight staff, analysts and the trust's own improvement director" in html


def test_it_shows_records_but_no_edit_links_to_analysts(world, carol, login):
    html = login(carol).get(f"/trusts/{world.orgs[0].ods_code}/").content.decode()
    assert "Board assurance framework in use" in html
    assert 'class="edit-links"' not in html


def test_it_hides_a_confidential_episode_from_analysts(world, carol, alice, login):
    code = world.orgs[1].ods_code
    assert "Challenged provider" not in login(carol).get(f"/trusts/{code}/").content.decode()
    assert "Challenged provider" in login(alice).get(f"/trusts/{code}/").content.decode()


def test_it_hides_the_confidential_spell_fit_from_analysts(world, carol, alice, login):
    code = world.orgs[1].ods_code
    carol_names = trace_names(figure_in(login(carol).get(f"/trusts/{code}/"), "zscore-figure"))
    alice_names = trace_names(figure_in(login(alice).get(f"/trusts/{code}/"), "zscore-figure"))
    assert any(name.startswith("ITS fit") for name in alice_names)
    assert not any(name.startswith("ITS fit") for name in carol_names)


def test_it_names_the_indicator_a_criterion_was_moved_to_after_approval(world, alice, login):
    world.criterion.indicator = world.indicators[1]
    world.criterion.save()
    html = login(alice).get(f"/trusts/{world.orgs[0].ods_code}/").content.decode()
    assert "indicator: <del>A&amp;E over 4 hours</del> → <ins>RTT over 18 weeks</ins>" in html
