"""The segments endpoint: every organisation's published segment on a date, in a constant number of queries."""

from datetime import date

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.api.world import UNPUBLISHED_MARKER, bearer


def test_it_lists_the_published_segment_of_each_organisation_on_a_date(client, tokens):
    response = client.get("/api/v1/segments/?as_of=2024-06-01", **bearer(tokens["read"]))
    assert response.status_code == 200
    rows = response.json()["results"]
    assert sorted(row["organisation"] for row in rows) == ["RB1", "RB2", "RW8", "RZ9"]
    assert {row["segment"] for row in rows} == {2}
    assert all(row["synthetic"] is False for row in rows)


def test_it_filters_by_region_and_segment(client, tokens, make_org):
    from trusts.models import SegmentAssignment

    north = make_org("RN1", region="Y63")
    SegmentAssignment.objects.create(organisation=north, segment=3, effective_from=date(2023, 1, 1))
    response = client.get("/api/v1/segments/?as_of=2024-06-01&region=Y63&segment=3", **bearer(tokens["read"]))
    assert [row["organisation"] for row in response.json()["results"]] == ["RN1"]


def test_a_read_token_never_sees_an_unpublished_segment_even_of_oversight_staff(client, tokens):
    response = client.get("/api/v1/segments/?as_of=2025-06-01", **bearer(tokens["read"]))
    assert UNPUBLISHED_MARKER not in response.content.decode()


def test_a_confidential_token_sees_unpublished_segments(client, tokens):
    response = client.get("/api/v1/segments/?as_of=2025-06-01&organisation=RZ9", **bearer(tokens["confidential"]))
    assert UNPUBLISHED_MARKER in response.content.decode()


@override_settings(API_LIST_CACHE_SECONDS=0)  # the query that builds the answer, not the cache
def test_the_query_count_does_not_grow_with_the_rows(client, tokens, make_org):
    from trusts.models import SegmentAssignment

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/segments/?as_of=2024-06-01", **bearer(tokens["read"])).status_code == 200
        return len(captured)

    queries()  # the first use of a token also records it as used
    before = queries()
    for number in range(30):
        SegmentAssignment.objects.create(
            organisation=make_org(f"RQ{number:02d}"), segment=1 + number % 4, effective_from=date(2023, 1, 1)
        )
    assert queries() == before
    # the token with its user, then one query for the page and its total: nothing per row
    assert before == 2


def test_it_exports_csv(client, tokens):
    response = client.get("/api/v1/segments/?as_of=2024-06-01&format=csv", **bearer(tokens["read"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("id,organisation,organisation_name,region,segment")
    assert len(lines) == 5


@pytest.mark.parametrize(
    "endpoint", ["episodes", "observations", "zscores", "trajectories", "criteria", "funding", "notes", "organisations"]
)
@override_settings(API_LIST_CACHE_SECONDS=0)  # the queries that build the answer, not the cache
def test_list_endpoints_do_not_query_per_row(client, tokens, world, endpoint):
    from datetime import date as day

    from indicators.models import Observation, ZScore
    from tests.api.world import episode_records
    from trusts.models import RegimeEpisode

    key = tokens["confidential"]

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/{endpoint}/", **bearer(key)).status_code == 200
        return len(captured)

    queries()
    before = queries()
    for number in range(5):
        organisation = world["cp_trust"].__class__.objects.create(ods_code=f"RM{number}", name=f"More {number}")
        episode = RegimeEpisode.objects.create(
            organisation=organisation, regime=world["own_episode"].regime, entered=day(2019, 2, 1)
        )
        episode_records(episode, f"RM{number}")
        Observation.objects.create(
            organisation=organisation, indicator=world["indicator"], period=day(2024, 1, 1), value=0.2
        )
        ZScore.objects.create(
            run=world["run"], organisation=organisation, indicator=world["indicator"], period=day(2024, 1, 1)
        )
    queries()  # the edits moved the data version on: small reads memoised per version are read again once
    assert queries() == before


def test_segments_page_like_every_list(client, tokens, make_org):
    from trusts.models import SegmentAssignment

    for number in range(5):
        SegmentAssignment.objects.create(
            organisation=make_org(f"RP{number}"), segment=3, effective_from=date(2023, 1, 1)
        )
    first = client.get("/api/v1/segments/?as_of=2024-06-01&page_size=4", **bearer(tokens["read"])).json()
    assert first["count"] == 9 and len(first["results"]) == 4 and first["previous"] is None
    second = client.get(first["next"], **bearer(tokens["read"])).json()
    third = client.get(second["next"], **bearer(tokens["read"])).json()
    assert len(third["results"]) == 1 and third["next"] is None and "page=2" in third["previous"]
    codes = [row["organisation"] for page in (first, second, third) for row in page["results"]]
    assert codes == sorted(codes) and len(set(codes)) == 9
    assert client.get("/api/v1/segments/?page=99", **bearer(tokens["read"])).status_code == 404
    assert client.get("/api/v1/segments/?page=0", **bearer(tokens["read"])).status_code == 404


def test_the_fast_lists_name_the_same_fields_as_their_serializers(client, tokens, world):
    """The list reads tuples; a single record goes through the serializer: both must look alike."""
    for endpoint in ("segments", "observations", "zscores"):
        listed = client.get(f"/api/v1/{endpoint}/", **bearer(tokens["read"])).json()["results"][0]
        single = client.get(f"/api/v1/{endpoint}/{listed['id']}/", **bearer(tokens["read"])).json()
        assert listed == single, endpoint
