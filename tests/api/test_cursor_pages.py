"""Observations and z-scores are paged by cursor (issue 11): `{next, previous, results}`, no count, id order."""

from datetime import date

import pytest

from tests.api.world import bearer


def every_page(client, url, key):
    """The pages of a cursor list, following `next` to the end."""
    pages = []
    while url:
        response = client.get(url, **bearer(key))
        assert response.status_code == 200, response.content
        pages.append(response.json())
        url = pages[-1]["next"]
    return pages


@pytest.fixture
def more_rows(world, make_org):
    """Five more trusts with an observation and a served z-score each: eight rows in each list."""
    from indicators.models import Observation, ZScore

    for number in range(5):
        organisation = make_org(f"RC{number}")
        Observation.objects.create(
            organisation=organisation, indicator=world["indicator"], period=date(2024, 2, 1), value=0.2
        )
        ZScore.objects.create(
            run=world["run"], organisation=organisation, indicator=world["indicator"], period=date(2024, 2, 1)
        )


@pytest.mark.parametrize("endpoint", ["observations", "zscores"])
def test_a_client_pages_through_every_row_once_in_id_order(client, tokens, more_rows, endpoint):
    pages = every_page(client, f"/api/v1/{endpoint}/?page_size=3", tokens["read"])
    assert [len(page["results"]) for page in pages] == [3, 3, 2]
    assert all(set(page) == {"next", "previous", "results"} for page in pages)  # no count: nothing is counted
    assert pages[0]["previous"] is None and pages[1]["previous"]
    ids = [row["id"] for page in pages for row in page["results"]]
    assert ids == sorted(ids) and len(set(ids)) == 8
    back = client.get(pages[2]["previous"], **bearer(tokens["read"])).json()
    assert [row["id"] for row in back["results"]] == ids[3:6]


@pytest.mark.parametrize("endpoint", ["observations", "zscores"])
def test_filters_hold_on_every_page(client, tokens, more_rows, endpoint):
    pages = every_page(client, f"/api/v1/{endpoint}/?page_size=2&period_from=2024-02-01", tokens["read"])
    rows = [row for page in pages for row in page["results"]]
    assert len(rows) == 5 and {row["period"] for row in rows} == {"2024-02-01"}
    one = every_page(client, f"/api/v1/{endpoint}/?organisation=rc3", tokens["read"])
    assert [row["organisation"] for page in one for row in page["results"]] == ["RC3"]


@pytest.mark.parametrize("endpoint", ["observations", "zscores"])
def test_a_bad_cursor_is_an_unknown_page_not_a_server_error(client, tokens, world, endpoint):
    from base64 import b64encode

    for position in ("abc", str(2**70), "-1"):
        cursor = b64encode(f"p={position}".encode()).decode()
        response = client.get(f"/api/v1/{endpoint}/?cursor={cursor}", **bearer(tokens["read"]))
        assert response.status_code == 404, position
    garbled = client.get(f"/api/v1/{endpoint}/?cursor=%%%", **bearer(tokens["read"]))
    assert garbled.status_code in (200, 404)  # DRF reads undecodable base64 as no cursor: the first page


def test_the_cursor_page_size_is_capped_at_1000(client, tokens, world):
    from indicators.models import Observation
    from trusts.models import Organisation

    organisations = Organisation.objects.bulk_create(
        [Organisation(ods_code=f"X{number:04d}", name=f"Trust {number}") for number in range(1001)]
    )
    Observation.objects.bulk_create(
        [
            Observation(organisation=organisation, indicator=world["indicator"], period=date(2024, 3, 1))
            for organisation in organisations
        ]
    )
    body = client.get("/api/v1/observations/?page_size=5000", **bearer(tokens["read"])).json()
    assert len(body["results"]) == 1000 and body["next"]


def test_only_the_served_runs_z_scores_are_listed(client, tokens, world):
    from indicators.models import ComputationRun, ZScore

    served = set(ZScore.objects.values_list("pk", flat=True))
    newer = ComputationRun.objects.create(method_version="test", status="running")
    ZScore.all_runs.create(
        run=newer, organisation=world["cp_trust"], indicator=world["indicator"], period=date(2024, 1, 1), z=9.0
    )
    listed = {row["id"] for page in every_page(client, "/api/v1/zscores/", tokens["read"]) for row in page["results"]}
    assert listed == served and served
    unserved = ZScore.all_runs.get(run=newer)
    assert client.get(f"/api/v1/zscores/{unserved.pk}/", **bearer(tokens["read"])).status_code == 404


def test_the_schema_documents_the_cursor_and_no_count(client, tokens):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, component in (
        ("/api/v1/observations/", "PaginatedObservationList"),
        ("/api/v1/zscores/", "PaginatedZScoreList"),
    ):
        parameters = {parameter["name"] for parameter in schema["paths"][path]["get"]["parameters"]}
        assert {"cursor", "page_size", "indicator", "organisation"} <= parameters
        assert "page" not in parameters and "ordering" not in parameters
        properties = schema["components"]["schemas"][component]["properties"]
        assert set(properties) == {"next", "previous", "results"}
