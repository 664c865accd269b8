"""The busiest lists run a kept statement (oversight.api.statements) and answer exactly what the ORM answers.

Each list is read three ways: from the list cache, uncached through a kept statement, and uncached
with every query built afresh; the bodies must be byte for byte the same, page after page.
alice holds a `read` token (published data only) and a `confidential` one (unpublished segments too).
"""

from datetime import date

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from oversight.api import statements
from oversight.api.fastlist import ValuesListMixin
from tests.api.world import UNPUBLISHED_MARKER, bearer

LISTS = [
    "/api/v1/segments/?as_of=2024-06-01",
    "/api/v1/segments/?as_of=2025-06-01",
    "/api/v1/segments/?as_of=2024-06-01&page_size=1",
    "/api/v1/segments/?as_of=2024-06-01&page_size=1&ordering=-organisation__ods_code",
    "/api/v1/segments/?region=Y56&published=true",
    "/api/v1/segments/",
    "/api/v1/observations/",
    "/api/v1/observations/?page_size=1",
    "/api/v1/observations/?indicator=ed_4hr&page_size=2",
    "/api/v1/observations/?indicator=no_such_indicator",
    "/api/v1/observations/?organisation=rb1&period_from=2024-01-01",
    "/api/v1/zscores/?page_size=1",
    "/api/v1/zscores/?indicator=ed_4hr&page_size=2",
    "/api/v1/zscores/?organisation=RZ9",
]


@pytest.fixture
def more_rows(world, make_org):
    """Five more trusts with a segment, an observation and a served z-score each, to page through."""
    from indicators.models import Observation, ZScore
    from trusts.models import SegmentAssignment

    for number in range(5):
        organisation = make_org(f"RC{number}")
        SegmentAssignment.objects.create(organisation=organisation, segment=3, effective_from=date(2023, 4, 1))
        Observation.objects.create(
            organisation=organisation, indicator=world["indicator"], period=date(2024, 2, 1), value=0.2 + number
        )
        ZScore.objects.create(
            run=world["run"], organisation=organisation, indicator=world["indicator"], period=date(2024, 2, 1), z=number
        )


def every_page(client, url: str, key: str) -> list[bytes]:
    """The bodies of a list's pages, following `next` to the end, then the `previous` of the last page."""
    bodies = []
    while url:
        response = client.get(url, **bearer(key))
        assert response.status_code == 200, response.content
        bodies.append(response.content)
        url = response.json()["next"]
    previous = response.json()["previous"]
    if previous:
        bodies.append(client.get(previous, **bearer(key)).content)
    return bodies


def read_three_ways(client, url: str, key: str) -> dict[str, list[bytes]]:
    statements.clear()
    ways = {}
    with override_settings(API_LIST_CACHE_SECONDS=600):
        ways["cached"] = every_page(client, url, key)
    with override_settings(API_LIST_CACHE_SECONDS=0):
        ways["kept statement"] = every_page(client, url, key)
        ways["kept statement, again"] = every_page(client, url, key)
        ValuesListMixin.keep_statements = False
        try:
            ways["built afresh"] = every_page(client, url, key)
        finally:
            ValuesListMixin.keep_statements = True
    return ways


@pytest.mark.parametrize("scope", ["read", "confidential"])
@pytest.mark.parametrize("url", LISTS)
def test_every_list_answers_the_same_bytes_cached_through_a_kept_statement_and_built_afresh(
    client, tokens, more_rows, url, scope
):
    ways = read_three_ways(client, url, tokens[scope])
    expected = ways.pop("built afresh")
    assert expected and all(body.startswith(b"{") for body in expected)
    for way, bodies in ways.items():
        assert bodies == expected, way


def test_the_bench_lists_answer_the_same_bytes_every_way(client, tokens, more_rows):
    for url in ("/api/v1/segments/?as_of=2024-06-01", "/api/v1/zscores/?indicator=ed_4hr&page_size=100"):
        ways = read_three_ways(client, url, tokens["read"])
        assert len(set(map(tuple, ways.values()))) == 1


@override_settings(API_LIST_CACHE_SECONDS=0)
@pytest.mark.parametrize(
    "url", ["/api/v1/segments/?as_of=2024-06-01&page_size=2", "/api/v1/zscores/?indicator=ed_4hr&page_size=2"]
)
def test_a_further_page_of_a_list_read_before_runs_the_token_query_and_the_page_query_only(
    client, tokens, more_rows, url
):
    statements.clear()
    first = client.get(url, **bearer(tokens["read"])).json()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(first["next"], **bearer(tokens["read"])).status_code == 200
    assert len(captured) == 2, [query["sql"] for query in captured.captured_queries]


@override_settings(API_LIST_CACHE_SECONDS=0)
def test_a_read_token_never_runs_a_statement_kept_for_a_confidential_one(client, tokens):
    statements.clear()
    url = "/api/v1/segments/?as_of=2025-06-01"
    assert UNPUBLISHED_MARKER in client.get(url, **bearer(tokens["confidential"])).content.decode()
    read = client.get(url, **bearer(tokens["read"]))
    assert read.status_code == 200
    assert UNPUBLISHED_MARKER not in read.content.decode()
    assert UNPUBLISHED_MARKER in client.get(url, **bearer(tokens["confidential"])).content.decode()


@override_settings(API_LIST_CACHE_SECONDS=0)
def test_a_renamed_organisation_and_a_newly_served_run_show_up_in_the_next_uncached_page(client, tokens, world):
    from indicators.models import ComputationRun, ZScore
    from indicators.recompute import results_serve_run
    from trusts.models import Organisation

    statements.clear()
    segments = "/api/v1/segments/?as_of=2024-06-01&organisation=RB1"
    zscores = "/api/v1/zscores/?indicator=ed_4hr"
    assert client.get(segments, **bearer(tokens["read"])).json()["results"][0]["organisation_name"] != "Renamed"
    assert {row["z"] for row in client.get(zscores, **bearer(tokens["read"])).json()["results"]} == {1.0}
    Organisation.objects.filter(ods_code="RB1").update(name="Renamed")
    Organisation.objects.get(ods_code="RB1").save()  # the save moves the data version on
    run = ComputationRun.objects.create(method_version="test", status="succeeded")
    ZScore.all_runs.bulk_create(
        ZScore(run=run, organisation=z.organisation, indicator=z.indicator, period=z.period, value=0.1, z=2.5)
        for z in ZScore.all_runs.filter(run=world["run"])
    )
    results_serve_run(run)
    assert client.get(segments, **bearer(tokens["read"])).json()["results"][0]["organisation_name"] == "Renamed"
    assert {row["z"] for row in client.get(zscores, **bearer(tokens["read"])).json()["results"]} == {2.5}


@override_settings(API_LIST_CACHE_SECONDS=0)
def test_a_refused_parameter_is_still_refused_once_its_list_has_a_kept_statement(client, tokens, world):
    statements.clear()
    assert client.get("/api/v1/segments/?as_of=2024-06-01", **bearer(tokens["read"])).status_code == 200
    assert client.get("/api/v1/segments/?as_of=not-a-date", **bearer(tokens["read"])).status_code == 400
    assert client.get("/api/v1/segments/?as_of=2024-06-01&page=9", **bearer(tokens["read"])).status_code == 404
    assert client.get("/api/v1/zscores/?indicator=ed_4hr", **bearer(tokens["read"])).status_code == 200
    assert client.get("/api/v1/zscores/?period_from=2024-13-01", **bearer(tokens["read"])).status_code == 400
    assert client.get("/api/v1/zscores/?indicator=ed_4hr&cursor=bad", **bearer(tokens["read"])).status_code == 404
    assert client.get("/api/v1/zscores/?indicator=ed_4hr").status_code == 401  # and a token is still needed


def test_a_statement_is_kept_only_when_its_position_is_found_once(world):
    from indicators.models import Observation

    values = Observation.objects.order_by("id").values_list("id", "value")
    kept = statements.compile_statement(values.filter(id__gt=statements.POSITION), position=True)
    assert kept is not None and kept.params[kept.position_at] == statements.POSITION
    twice = values.filter(id__gt=statements.POSITION, organisation_id__gt=statements.POSITION)
    assert statements.compile_statement(twice, position=True) is None
    assert statements.compile_statement(values.filter(id__in=[]), position=False).rows(0, 10) == []


@override_settings(API_LIST_CACHE_SECONDS=0)
def test_an_uncached_list_reads_the_data_version_once_in_the_throttles_round_trip(client, tokens, world, monkeypatch):
    from django.core.cache import cache

    from oversight import dataversion

    reads = []
    inside_get_many = []  # a backend's get_many may call its own get per key: one read all the same
    get, get_many = cache.get, cache.get_many

    def counting_get(key, *args, **kwargs):
        if not inside_get_many:
            reads.append(("get", key))
        return get(key, *args, **kwargs)

    def counting_get_many(keys, *args, **kwargs):
        reads.append(("get_many", tuple(keys)))
        inside_get_many.append(True)
        try:
            return get_many(keys, *args, **kwargs)
        finally:
            inside_get_many.pop()

    client.get("/api/v1/zscores/?indicator=ed_4hr", **bearer(tokens["read"]))
    monkeypatch.setattr(cache, "get", counting_get)
    monkeypatch.setattr(cache, "get_many", counting_get_many)
    assert client.get("/api/v1/zscores/?indicator=ed_4hr", **bearer(tokens["read"])).status_code == 200
    with_version = [read for read in reads if dataversion.KEY in (read[1] if read[0] == "get_many" else (read[1],))]
    assert len(with_version) == 1 and with_version[0][0] == "get_many"
