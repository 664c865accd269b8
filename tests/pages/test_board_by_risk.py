"""The board by risk: red above amber above green, no data grey (never red), reasons in words, remembered region."""

import re

import pytest

from indicators.board import LIGHT_RISK_ORDER, board_rows
from indicators.models import SpcSummary

pytestmark = pytest.mark.django_db

LIGHT_CELL = re.compile(r'<td class="light-cell"><span class="nhsuk-tag light light-(\w+)">')


def lights_in_order(response) -> list[str]:
    return LIGHT_CELL.findall(response.content.decode())


def test_its_default_order_puts_every_red_above_every_amber_and_no_data_last(world, alice, login, monkeypatch):
    from indicators import board as selectors

    # Force one trust of each light through the printed rule, whatever the fixture's signals are.
    lights = iter(["green", "red", "amber"])
    monkeypatch.setattr(selectors, "exit_likelihood", lambda *args: next(lights))
    shown = lights_in_order(login(alice).get("/"))
    ranks = [LIGHT_RISK_ORDER[light] for light in shown]
    assert ranks == sorted(ranks), shown
    assert "red" in shown and "amber" in shown
    assert shown.index("red") < shown.index("amber")


def test_a_trust_without_data_is_grey_not_red(world, alice):
    SpcSummary.objects.filter(organisation=world.orgs[4]).delete()
    rows = {row.organisation.pk: row for row in board_rows(alice)}
    nof4 = rows[world.orgs[4].pk]
    assert nof4.light == "grey"
    assert nof4.light_label == "no data"
    assert nof4.why == ["No indicator results for this trust yet."]
    # and the others keep a real light
    assert rows[world.orgs[0].pk].light in {"green", "amber", "red"}


def test_a_trust_with_no_stored_result_at_all_is_never_red_on_the_page(world, alice, login):
    SpcSummary.objects.all().delete()
    shown = lights_in_order(login(alice).get("/"))
    assert shown and set(shown) == {"grey"}


def test_within_a_light_the_longest_past_target_comes_first(world, alice, monkeypatch):
    from indicators import board as selectors

    monkeypatch.setattr(selectors, "exit_likelihood", lambda *args: "amber")
    rows = board_rows(alice)
    past = [row.months_past_target for row in rows if row.light == "amber"]
    assert past == sorted(past, reverse=True)


def test_each_red_or_amber_row_says_why_in_words(world, alice, login, monkeypatch):
    from indicators import board as selectors

    monkeypatch.setattr(selectors, "exit_likelihood", lambda *args: "red")
    row = board_rows(alice)[0]
    assert 2 <= len(row.why) <= 3
    assert "target" in row.why[0] or "horizon" in row.why[0]
    assert "improving against" in row.why[1]
    html = login(alice).get("/").content.decode()
    assert '<ul class="why">' in html


def test_counts_link_to_what_they_count(world, alice, login):
    from django.urls import reverse

    html = login(alice).get("/").content.decode()
    for row in board_rows(alice):
        trust = reverse("trust-detail", args=[row.organisation.ods_code])
        assert f'href="{trust}#indicators-heading"' in html  # concerns -> the indicator table and charts
        alerts = f'href="{trust}?indicator={row.alert_indicators[0]}#alerts"' if row.alerts else f'href="{trust}?'
        assert (alerts in html) == bool(row.alerts)  # alerts -> the trust's alerts, on the first alerting indicator


def test_the_trust_page_has_the_alerts_section_the_board_links_to(world, alice, login):
    from django.urls import reverse

    html = login(alice).get(reverse("trust-detail", args=[world.orgs[0].ods_code])).content.decode()
    assert 'id="alerts"' in html


def test_filters_offer_only_values_that_have_rows(world, carol, login):
    html = login(carol).get("/").content.decode()
    regime_select = re.search(r'<select name="regime".*?</select>', html, re.S).group(0)
    offered = set(re.findall(r'<option value="(\w+)"', regime_select))
    assert offered == {"SMQ", "NOF4"}  # CP is hidden from analysts; no episode of other regimes is open
    region_select = re.search(r'<select name="region".*?</select>', html, re.S).group(0)
    assert set(re.findall(r'<option value="(\w+)"', region_select)) == {"Y56"}  # the CP trust's region is not offered


def test_it_remembers_the_users_region_until_they_choose_any_region(world, alice, login):
    client = login(alice)
    client.get("/?region=Y62")
    remembered = client.get("/")
    assert re.findall(r'<span class="code">([A-Z0-9]+)</span>', remembered.content.decode()) == [world.orgs[1].ods_code]
    assert "remembered" in remembered.content.decode()
    everything = client.get("/?region=")
    assert len(re.findall(r'<span class="code">', everything.content.decode())) == 3
    assert len(re.findall(r'<span class="code">', client.get("/").content.decode())) == 3


def test_the_drill_down_keeps_its_place_from_trust_to_national_view_and_back(world, carol, login):
    client = login(carol)
    code = world.orgs[0].ods_code
    trust = client.get(f"/trusts/{code}/?indicator=ed_4hr").content.decode()
    assert f'href="/indicators/ed_4hr/?trust={code}"' in trust
    national = client.get(f"/indicators/ed_4hr/?trust={code}")
    html = national.content.decode()
    # The trust is marked in the table and the funnel, and every trust link opens on this indicator.
    row = f'<tr class="selected"><th scope="row"><a href="/trusts/{code}/?indicator=ed_4hr" aria-current="true">'
    assert row in html
    assert f"Back to {world.orgs[0].name}" in html
    assert 'name="trust" value="' + code + '"' in html  # a change of period keeps the highlight
    from tests.pages.world import figure_in, trace_names

    assert f"{code} (the trust you came from)" in trace_names(figure_in(national, "funnel-figure"))
