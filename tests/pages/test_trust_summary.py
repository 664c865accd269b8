"""The trust page a director reads in two minutes: summary first, funding by year, closed episodes folded."""

import re

import pytest

from indicators.board import board_rows

pytestmark = pytest.mark.django_db


def trust_page(client, org) -> str:
    return client.get(f"/trusts/{org.ods_code}/").content.decode()


@pytest.mark.parametrize("persona", ["alice", "carol"])
def test_the_summary_comes_first_and_gives_the_boards_light_and_reasons(world, persona, request, login):
    user = request.getfixturevalue(persona)
    html = trust_page(login(user), world.orgs[0])
    board = next(row for row in board_rows(user) if row.organisation.pk == world.orgs[0].pk)
    summary = html.index('id="summary-heading"')
    assert summary < html.index('id="indicators-heading"') < html.index('id="episodes-heading"')
    light = re.search(r'class="summary-light"><span class="nhsuk-tag light light-(\w+)">', html).group(1)
    assert light == board.light
    assert f"{board.months_in} months in" in html
    for reason in board.why:
        assert reason in html


def test_the_summary_counts_criteria_met_and_links_open_alerts(world, alice, login):
    html = trust_page(login(alice), world.orgs[0])
    # The SMQ episode holds two criteria, an approved and a proposed one: none met yet.
    assert "Exit criteria met</dt><dd>0 of 2" in html


def test_funding_shows_year_totals_with_the_lines_folded(world, alice, login):
    html = trust_page(login(alice), world.orgs[0])
    years = re.search(r'<table class="data funding-years">.*?</table>', html, re.S).group(0)
    assert "2016/17" in years and "250,000" in years and "2017/18" in years and "350,000" in years  # the total
    assert re.search(r'<details class="funding-lines"><summary>Funding lines by category \(2\)</summary>', html)


def test_closed_episodes_are_collapsed(world, alice, login):
    html = trust_page(login(alice), world.orgs[2])
    assert '<details class="closed-episode"><summary>Closed: SMQ' in html


def test_every_trusts_summary_counts_its_signals_and_alerts_as_the_board_does(world, alice, login):
    """The summary's light and reasons come from the same counts as the board's row, for every trust.

    SPC icons are stored as `special_cause_improvement` / `special_cause_concern`; annual and ordinal
    indicators cast no vote on either page.
    """
    client = login(alice)
    rows = board_rows(alice)
    assert any(row.spc_improvement + row.spc_concern for row in rows), "the world must hold SPC special causes"
    fields = ("spc_improvement", "spc_concern", "its_improving", "its_worsening", "alerts", "alert_indicators")
    for row in rows:
        response = client.get(f"/trusts/{row.organisation.ods_code}/")
        page_row = next(r for r in response.context["summary"]["rows"] if r.episode.pk == row.episode.pk)
        assert {f: getattr(page_row.signals, f) for f in fields} == {f: getattr(row.signals, f) for f in fields}
        assert page_row.light == row.light and page_row.why == row.why, row.organisation.ods_code
        assert response.context["summary"]["alerts"] == row.alerts
