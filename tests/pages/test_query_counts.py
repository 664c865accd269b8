"""The board and the trust page read each table once: their query counts do not grow with trusts or periods."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.recompute import results_recompute
from tests.pages.world import build_world

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["alice", "carol"])
def test_query_counts_are_the_same_for_5_trusts_by_24_months_and_20_by_60(persona, request, login):
    client = login(request.getfixturevalue(persona))
    small = build_world(5, 24, prefix="A", start=date(2015, 1, 1))
    results_recompute(triggered_by="test")
    small_board = queries(client, "/")
    small_trust = queries(client, f"/trusts/{small.orgs[0].ods_code}/")
    small_filtered = queries(client, "/?region=Y56&sort=-months")

    big = build_world(20, 60, prefix="B", start=date(2013, 1, 1), indicators=small.indicators)
    results_recompute(triggered_by="test")
    assert queries(client, "/") == small_board
    assert queries(client, f"/trusts/{big.orgs[0].ods_code}/") == small_trust
    assert queries(client, "/?region=Y56&sort=-months") == small_filtered
    # And they stay small in absolute terms. Issue 15 adds reads of its own tables, one query each whatever
    # the number of trusts: the header's unread count, the open cases, and the board's saved view or the
    # trust page's chart annotations. Issue 14's board offers only filter values that have rows (one
    # query for the regions, kinds and regimes of the visible rows) and remembers the region (the session);
    # its trust page summary reads the recent alerts, and issue 10's chart rebases are one more read.
    # Issue 15's transitions: the board's watch list reads the open transitions (and, when there are any,
    # the data's end and their alerts); the trust page reads its transitions, its communications and the
    # episodes a communication can be planned for.
    assert small_board <= 16 + 4 + 2 and small_trust <= 24 + 5 + 4  # an analyst reads a grant more than staff


def test_as_at_pages_read_each_table_once_too(alice, login):
    """The board and trust page as at a date (issue 15) read the as-at run: no more queries for more trusts."""
    client = login(alice)
    day = "2016-06-30"
    small = build_world(5, 24, prefix="A", start=date(2015, 1, 1))
    results_recompute(triggered_by="test")
    results_recompute(triggered_by="test", as_at=date.fromisoformat(day))
    small_board = queries(client, f"/?as_at={day}")
    small_trust = queries(client, f"/trusts/{small.orgs[0].ods_code}/?as_at={day}")

    big = build_world(20, 60, prefix="B", start=date(2013, 1, 1), indicators=small.indicators)
    results_recompute(triggered_by="test")
    results_recompute(triggered_by="test", as_at=date.fromisoformat(day))
    assert queries(client, f"/?as_at={day}") == small_board
    assert queries(client, f"/trusts/{big.orgs[0].ods_code}/?as_at={day}") == small_trust
    # Today's bounds plus the as-at run's look-up (the kept as-at runs, then the run: two queries); the board
    # as at a date leaves out today's open cases and transitions watch list.
    assert small_board <= 16 + 4 + 2 and small_trust <= 24 + 5 + 4 + 2
