"""The national board: open episodes with time in regime, signals, the exit traffic light, filters, exports."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from indicators.board import exit_likelihood

pytestmark = pytest.mark.django_db


def board_codes(response) -> list[str]:
    """ODS codes of the board's rows, in the order shown."""
    return re.findall(r'<span class="code">([A-Z0-9]+)</span>', response.content.decode())


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_lists_every_open_episode_for_oversight_staff(world, alice, login):
    response = login(alice).get("/")
    assert response.status_code == 200
    codes = board_codes(response)
    assert sorted(codes) == sorted([world.orgs[0].ods_code, world.orgs[1].ods_code, world.orgs[4].ods_code])
    html = response.content.decode()
    assert "Dana Director" in html
    assert "none; 24 horizon" in html and "no fixed target (24-month planning horizon)" in html  # NOF4
    assert "How the likelihood of exit is set" in html
    assert "Data as of" in html


def test_it_hides_the_confidential_watch_list_from_analysts(world, carol, login):
    codes = board_codes(login(carol).get("/"))
    assert world.orgs[1].ods_code not in codes
    assert world.orgs[0].ods_code in codes


def test_it_ignores_a_regime_filter_the_user_may_not_use(world, carol, login):
    codes = board_codes(login(carol).get("/?regime=CP"))
    assert world.orgs[1].ods_code not in codes


def test_it_marks_synthetic_episodes(world, alice, login):
    html = login(alice).get("/").content.decode()
    row = re.search(rf"{world.orgs[0].ods_code}</span>\s*(.*?)</th>", html, re.S).group(1)
    assert 'class="synthetic-tag"' in row


def test_it_filters_by_regime_and_region(world, alice, login):
    client = login(alice)
    assert board_codes(client.get("/?regime=SMQ")) == [world.orgs[0].ods_code]
    # orgs[0] and orgs[4] are in London (Y56), orgs[1] in the North West.
    assert sorted(board_codes(client.get("/?region=Y62"))) == [world.orgs[1].ods_code]


def test_it_sorts_by_any_column_both_ways(world, alice, login):
    client = login(alice)
    ascending = board_codes(client.get("/?sort=months"))
    descending = board_codes(client.get("/?sort=-months"))
    # The NOF4 episode entered last, so it has the fewest months; the other two entered together.
    assert ascending[0] == world.orgs[4].ods_code
    assert descending[-1] == world.orgs[4].ods_code
    by_name = board_codes(client.get("/?sort=-trust"))
    assert by_name == sorted(by_name, reverse=True)


def test_its_csv_export_holds_exactly_the_rows_shown(world, alice, login):
    client = login(alice)
    shown = board_codes(client.get("/?region=Y56&sort=trust"))
    response = client.get("/?region=Y56&sort=trust&export=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["ODS code"] for row in rows] == shown
    smq = next(row for row in rows if row["ODS code"] == world.orgs[0].ods_code)
    assert smq["Regime"] == "SMQ" and smq["Synthetic"] == "synthetic" and smq["Improvement director"] == "Dana Director"
    assert smq["Likelihood of exit"] in {"green", "amber", "red"}


def test_its_xlsx_export_holds_exactly_the_rows_shown(world, carol, login):
    client = login(carol)
    shown = board_codes(client.get("/?sort=-entered"))
    response = client.get("/?sort=-entered&export=xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    header, rows = values[0], values[1:]
    code_column = header.index("ODS code")
    assert [row[code_column] for row in rows] == shown
    assert world.orgs[1].ods_code not in shown  # the CP trust stays hidden in the export too


@pytest.mark.parametrize(
    ("months_in", "horizon", "improving", "concerns", "light"),
    [
        (10, 24, 3, 1, "green"),
        (10, 24, 1, 1, "amber"),
        (30, 24, 3, 1, "amber"),
        (30, 24, 1, 2, "red"),
        (24, 24, 0, 0, "amber"),
    ],
)
def test_the_traffic_light_follows_the_printed_rule(months_in, horizon, improving, concerns, light):
    assert exit_likelihood(months_in, horizon, improving, concerns) == light


def test_every_column_heading_sorts_without_losing_rows(world, alice, login):
    from indicators.board import BOARD_SORTS

    client = login(alice)
    everyone = sorted(board_codes(client.get("/")))
    for key in BOARD_SORTS:
        for sort in (key, f"-{key}"):
            response = client.get(f"/?sort={sort}")
            assert sorted(board_codes(response)) == everyone, sort
