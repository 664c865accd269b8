"""Cached list answers: fresh after every change of the data, never shared across visibility classes.

alice holds a `read` token (published data only) and a `confidential` one (unpublished segments too).
"""

from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from oversight import dataversion, permissions
from tests.api.world import UNPUBLISHED_MARKER, bearer

SEGMENTS = "/api/v1/segments/?as_of=2025-06-01"


def get(client, url, key, **headers):
    return client.get(url, **bearer(key), **headers)


def queries_of(client, url, key) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert get(client, url, key).status_code == 200
    return len(captured)


def reads_table(client, url, key, table: str) -> bool:
    """Whether answering the request read `table` (a cached answer reads only the token and the rights)."""
    with CaptureQueriesContext(connection) as captured:
        assert get(client, url, key).status_code == 200
    return any(table in query["sql"] for query in captured.captured_queries)


def test_a_repeated_list_is_answered_from_the_cache(client, tokens):
    first = get(client, SEGMENTS, tokens["read"])
    assert reads_table(client, SEGMENTS, tokens["read"], "segmentassignment") is False
    # The token (with its user) only: the answer came from the cache, not from the segments table.
    assert queries_of(client, SEGMENTS, tokens["read"]) == 1
    assert get(client, SEGMENTS, tokens["read"]).content == first.content


def test_a_read_token_never_gets_the_unpublished_rows_of_a_cache_filled_by_a_confidential_one(client, tokens):
    confidential = get(client, SEGMENTS, tokens["confidential"])
    assert UNPUBLISHED_MARKER in confidential.content.decode()
    assert not reads_table(client, SEGMENTS, tokens["confidential"], "segmentassignment")  # the cache has it
    read = get(client, SEGMENTS, tokens["read"])
    assert read.status_code == 200
    assert UNPUBLISHED_MARKER not in read.content.decode()
    assert read["ETag"] != confidential["ETag"]


def test_a_confidential_token_still_gets_the_unpublished_rows_after_a_read_token_filled_the_cache(client, tokens):
    assert UNPUBLISHED_MARKER not in get(client, SEGMENTS, tokens["read"]).content.decode()
    assert UNPUBLISHED_MARKER in get(client, SEGMENTS, tokens["confidential"]).content.decode()


def test_an_edit_of_a_segment_shows_up_in_the_next_response(client, tokens, world):
    from trusts.models import SegmentAssignment

    url = "/api/v1/segments/?as_of=2024-06-01&organisation=RB1"
    assert [row["segment"] for row in get(client, url, tokens["read"]).json()["results"]] == [2]
    assignment = SegmentAssignment.objects.get(organisation__ods_code="RB1", segment=2)
    assignment.segment = 3
    assignment.save()
    assert [row["segment"] for row in get(client, url, tokens["read"]).json()["results"]] == [3]


def test_a_renamed_organisation_shows_up_in_the_next_segments_response(client, tokens, world):
    from trusts.models import Organisation

    url = "/api/v1/segments/?as_of=2024-06-01&organisation=RB1"
    get(client, url, tokens["read"])
    organisation = Organisation.objects.get(ods_code="RB1")
    organisation.name = "Renamed Trust"
    organisation.save()
    assert get(client, url, tokens["read"]).json()["results"][0]["organisation_name"] == "Renamed Trust"


def test_serving_a_new_run_written_in_bulk_shows_up_in_the_next_zscores_response(client, tokens, world):
    from indicators.models import ComputationRun, ZScore
    from indicators.recompute import results_serve_run

    url = "/api/v1/zscores/?indicator=ed_4hr"
    assert {row["z"] for row in get(client, url, tokens["read"]).json()["results"]} == {1.0}
    run = ComputationRun.objects.create(method_version="test", status="succeeded")
    old = ZScore.all_runs.filter(run=world["run"])
    # bulk_create sends no signal: the service that serves the run moves the version on.
    ZScore.all_runs.bulk_create(
        ZScore(run=run, organisation=z.organisation, indicator=z.indicator, period=z.period, value=0.1, z=2.5)
        for z in old
    )
    assert not reads_table(client, url, tokens["read"], "zscore")  # still the cached answer: nothing served yet
    results_serve_run(run)
    assert {row["z"] for row in get(client, url, tokens["read"]).json()["results"]} == {2.5}


def test_an_unchanged_list_answers_304_to_its_etag_and_200_after_an_edit(client, tokens, world):
    from indicators.models import Observation

    url = "/api/v1/observations/?indicator=ed_4hr"
    first = get(client, url, tokens["read"])
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = get(client, url, tokens["read"], HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    observation = Observation.objects.filter(indicator=world["indicator"]).first()
    observation.value = 0.75
    observation.save()
    changed = get(client, url, tokens["read"], HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert 0.75 in {row["value"] for row in changed.json()["results"]}


def test_csv_is_not_answered_from_the_json_cache(client, tokens):
    get(client, SEGMENTS, tokens["read"])
    response = get(client, SEGMENTS + "&format=csv", tokens["read"])
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().startswith("id,organisation")


def test_a_refused_caller_gets_no_cached_answer(client, tokens):
    get(client, SEGMENTS, tokens["read"])
    assert client.get(SEGMENTS).status_code == 401
    assert client.get(SEGMENTS, HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401


def test_visibility_keys_tell_apart_what_callers_see(tokens, world):
    from trusts.models import RegimeEpisode, SegmentAssignment

    alice, bob = world["alice"], world["bob"]
    alice.api_token_scope = "read"
    assert permissions.visibility_key(alice, SegmentAssignment) == "published"
    alice.api_token_scope = "confidential"
    assert permissions.visibility_key(alice, SegmentAssignment) == "all"
    # bob, an improvement director, also sees his own trusts' unpublished segments: a class of his own.
    own = permissions.assigned_organisation_ids(bob)
    assert own
    assert permissions.visibility_key(bob, SegmentAssignment) == "published" + "".join(f",{pk}" for pk in sorted(own))
    with pytest.raises(Exception, match="no visibility key"):
        permissions.visibility_key(alice, RegimeEpisode)  # per-row redaction: its answers are never shared


def test_a_transaction_registers_one_bump_for_its_commit_however_many_rows_it_saves(world):
    from trusts.models import Organisation

    start = dataversion.current()
    with transaction.atomic():
        for number in range(3):
            Organisation.objects.create(ods_code=f"RX{number}", name=f"Extra {number}")
        pending = [func for _, func, _ in connection.run_on_commit if func is dataversion._bump_now]
    assert len(pending) == 1
    assert dataversion.current() == start + 3  # and one bump now per save, for reads in the transaction


def test_a_lost_version_starts_again_above_any_cached_one(world):
    from django.core.cache import cache

    before = dataversion.current()
    cache.delete(dataversion.KEY)
    assert dataversion.current() > before


@pytest.mark.parametrize("day", [date(2024, 6, 1)])
def test_different_query_strings_are_different_answers(client, tokens, day):
    everyone = get(client, f"/api/v1/segments/?as_of={day}", tokens["read"]).json()["results"]
    one = get(client, f"/api/v1/segments/?as_of={day}&organisation=RB2", tokens["read"]).json()["results"]
    assert len(everyone) == 4 and [row["organisation"] for row in one] == ["RB2"]


@pytest.mark.parametrize("seconds", [0, 600])
def test_an_indicator_added_after_a_list_was_read_filters_in_the_next_response(client, tokens, world, seconds):
    from django.test import override_settings

    from indicators.models import Indicator, Observation

    with override_settings(API_LIST_CACHE_SECONDS=seconds):
        url = "/api/v1/observations/?indicator=new_ind"
        assert get(client, url, tokens["read"]).json()["results"] == []  # the codes are memoised now
        indicator = Indicator.objects.create(code="new_ind", name="New", kind="proportion", cadence="monthly")
        Observation.objects.create(
            organisation=world["cp_trust"], indicator=indicator, period=date(2024, 1, 1), value=0.3
        )
        assert [row["value"] for row in get(client, url, tokens["read"]).json()["results"]] == [0.3]


def test_the_long_tables_keep_django_fast_delete(db):
    """A delete receiver on them would make every bulk delete load its rows (200 000 at national scale)."""
    from django.db.models.deletion import Collector

    from indicators.models import Observation, ZScore

    assert Collector("default").can_fast_delete(Observation.objects.all())
    assert Collector("default").can_fast_delete(ZScore.all_runs.all())
