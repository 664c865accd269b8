"""The header search and the organisations list."""

import pytest

pytestmark = pytest.mark.django_db


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    assert client.get("/search/?q=T00").status_code == 302
    assert client.get("/trusts/").status_code == 302


def test_an_exact_ods_code_opens_the_trust_page(world, carol, login):
    response = login(carol).get("/search/?q=t00")
    assert response.status_code == 302
    assert response["Location"] == f"/trusts/{world.orgs[0].ods_code}/"


def test_a_name_lists_the_matching_organisations(world, carol, login):
    html = login(carol).get("/search/?q=Trust T0").content.decode()
    assert f"{len(world.orgs)} organisations match" in html
    assert world.orgs[5].name in html


def test_the_header_has_a_search_box_on_every_page(world, carol, login):
    html = login(carol).get("/trusts/").content.decode()
    assert 'role="search"' in html and 'name="q"' in html


def test_the_list_filters_by_region_and_current_regime(world, alice, carol, login):
    html = login(alice).get("/trusts/?region=Y62").content.decode()
    assert world.orgs[1].name in html and world.orgs[0].name not in html
    html = login(alice).get("/trusts/?regime=SMQ").content.decode()
    assert world.orgs[0].name in html and world.orgs[2].name not in html  # orgs[2] has exited
    # The CP watch list is no filter for an analyst, and a CP trust shows no regime to them.
    html = login(carol).get("/trusts/?q=" + world.orgs[1].ods_code).content.decode()
    assert 'value="CP"' not in html
    assert "regime-cp" not in html


def test_the_list_is_paginated_fifty_a_page(db, make_org, carol, login):
    for index in range(55):
        make_org(f"P{index:02d}", f"Paged Trust {index:02d}")
    client = login(carol)
    first = client.get("/trusts/?q=Paged").content.decode()
    assert "Page 1 of 2 (55 in all)" in first
    assert first.count("Paged Trust") == 50
    second = client.get("/trusts/?q=Paged&page=2").content.decode()
    assert second.count("Paged Trust") == 5
