"""Audit pages in words: field labels and display values, the stored value one click away."""

from datetime import date

from django.test import Client

from trusts.services import (
    criterion_update,
    episode_approve_exit,
    episode_propose_exit,
    episode_update,
    user_create,
)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_cells(html: str) -> str:
    return html.split("<tbody>", 1)[1]


def test_a_role_change_reads_as_group_names_not_ids(world):
    user_create(username="carol", role="oversight")  # carol was an analyst
    html = change_cells(signed_in(world["alice"]).get("/audit/?model=user").content.decode())
    # The service clears the old group, then adds the new one: two history rows, each in words.
    assert "<strong>Groups</strong>: analyst → none" in html
    assert "<strong>Groups</strong>: none → oversight" in html
    assert "<strong>Staff status</strong>: no → yes" in html
    assert "User: carol" in html  # the record by name, its id small beside it
    assert "<details" in html and "stored value" in html  # the raw ids one click away


def test_an_exit_criterion_threshold_reads_in_its_indicator_unit_with_labels(world):
    criterion = world["records"]["own"]["criterion"]
    criterion_update(
        actor=world["alice"],
        criterion=criterion,
        expected_version=criterion.version,
        indicator=world["indicator"],
        comparator="le",
        threshold=0.049,
    )
    html = change_cells(signed_in(world["alice"]).get("/audit/?model=criterion").content.decode())
    assert "<strong>Threshold</strong>: – → 4.9%" in html
    assert "<strong>Comparator</strong>: – → ≤" in html
    assert "<strong>Indicator</strong>: – → ED 4-hour breaches" in html
    assert "0.049" in html  # the stored value, behind the click


def test_dates_and_choices_read_as_a_person_writes_them(world):
    # The exit goes through four eyes (bob proposes, alice approves); the route is an ordinary edit.
    episode = world["own_episode"]
    episode = episode_propose_exit(
        actor=world["bob"], episode=episode, exit_date=date(2024, 3, 31), expected_version=episode.version
    )
    episode = episode_approve_exit(
        actor=world["alice"], episode=episode, expected_version=episode.version, reason="Exit criteria met"
    )
    episode_update(
        actor=world["alice"],
        episode=episode,
        expected_version=episode.version,
        route="re_entry",
        reason="Exit criteria met",
    )
    html = change_cells(signed_in(world["alice"]).get("/audit/?model=episode").content.decode())
    assert "<strong>Exited</strong>: – → 31 Mar 2024" in html
    assert "<strong>Route</strong>: Entered directly → Re-entry" in html
