"""Regime analytics: Table 23 of pooled effects, forest plots, time in regime, categories, staff survey."""

import pytest

from tests.pages.world import figure_in, trace_names

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client, world):
    assert client.get("/analytics/").status_code == 302


def test_it_shows_pooled_effects_in_the_layout_of_table_23(world, alice, login):
    response = login(alice).get("/analytics/?regime=SMQ")
    html = response.content.decode()
    assert "Pooled effects by indicator, SMQ" in html
    for quantity in ("Pre-intervention slope", "Change due to intervention", "Change in slope during"):
        assert quantity in html
    assert "n = " in html


def test_it_draws_a_forest_plot_per_quantity_with_the_pooled_diamond(world, alice, login):
    response = login(alice).get("/analytics/?regime=SMQ%2BCP&indicator=ed_4hr")
    forest = figure_in(response, "forest-level_change")
    names = trace_names(forest)
    assert names[0] == "Trust estimate (95% CI)"
    assert len(forest["data"][0]["x"]) == 3  # the SMQ, CP and exited SMQ trusts
    assert any(name.startswith("Pooled (random effects, n = 3)") for name in names)
    for quantity in ("pre_slope", "slope_change_during"):
        figure_in(response, f"forest-{quantity}")


def test_it_draws_time_in_regime_curves_and_the_cp_competing_risks(world, alice, login):
    response = login(alice).get("/analytics/")
    survival = trace_names(figure_in(response, "survival-figure"))
    assert {"SMQ", "CP"} <= set(survival)
    # Issue 10: time in regime counts to the data's cut-off (December 2017 here), so the NOF4
    # episode entered in 2021 is not yet at risk.
    assert "NOF4" not in set(survival)
    assert trace_names(figure_in(response, "competing-figure")) == ["Exited CP", "Escalated to SMQ"]
    html = response.content.decode()
    assert "Length of time in each regime (Table 22)" in html
    assert "Poor performer (CP then SMQ)" in html


def test_it_hides_cp_results_from_users_without_confidential_access(world, carol, login):
    response = login(carol).get("/analytics/?regime=CP")
    html = response.content.decode()
    assert "Pooled effects by indicator, SMQ (layout" in html
    assert "?regime=CP" not in html and "regime=SMQ%2BCP" not in html
    assert "CP" not in trace_names(figure_in(response, "survival-figure"))
    assert 'id="competing-figure"' not in html
    assert "Shorter-term challenged provider" not in html and "Poor performer (CP then SMQ)" not in html
    # The exited SMQ and the open SMQ trust are shown; the CP trust's spell is not.
    forest = figure_in(response, "forest-level_change")
    assert world.orgs[1].ods_code not in " ".join(forest["data"][0]["text"])
