"""Errors are JSON with a message and field errors; tokens are throttled per token; lists page and export."""

import pytest

from oversight.api.throttling import TokenRateThrottle
from tests.api.world import bearer


def test_a_validation_error_names_the_field(client, tokens, world):
    response = client.post(
        "/api/v1/notes/",
        {"episode": world["own_episode"].pk},
        content_type="application/json",
        **bearer(tokens["write_bob"]),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Invalid input")
    assert body["errors"] == {"text": ["This field is required."]}


def test_a_missing_record_is_a_json_404(client, tokens):
    response = client.get("/api/v1/organisations/NOPE/", **bearer(tokens["read"]))
    assert response.status_code == 404
    body = response.json()
    assert body["errors"] == {}
    assert body["detail"]


def test_a_bad_filter_value_is_a_400_with_field_errors(client, tokens):
    response = client.get("/api/v1/segments/?as_of=not-a-date", **bearer(tokens["read"]))
    assert response.status_code == 400
    assert "as_of" in response.json()["errors"]


@pytest.fixture
def three_a_minute(monkeypatch):
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "3/min", "user": "3/min"})


def test_it_throttles_each_token_separately(client, tokens, three_a_minute):
    for _ in range(3):
        assert client.get("/api/v1/ping/", **bearer(tokens["read"])).status_code == 200
    refused = client.get("/api/v1/ping/", **bearer(tokens["read"]))
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"].lower()
    assert client.get("/api/v1/ping/", **bearer(tokens["confidential"])).status_code == 200


def test_the_page_size_is_capped_at_1000(client, tokens, make_org):
    from trusts.models import Organisation

    Organisation.objects.bulk_create(
        [Organisation(ods_code=f"X{number:04d}", name=f"Trust {number}") for number in range(1005)]
    )
    response = client.get("/api/v1/organisations/?page_size=5000", **bearer(tokens["read"]))
    body = response.json()
    assert len(body["results"]) == 1000
    assert body["count"] == 1005 + 4
    assert body["next"]


def test_csv_flattens_the_page_and_links_the_next(client, tokens, make_org):
    response = client.get("/api/v1/organisations/?page_size=2&format=csv", **bearer(tokens["read"]))
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert lines[0].split(",")[:3] == ["id", "ods_code", "name"]
    assert len(lines) == 3
    assert 'rel="next"' in response["Link"]
    assert response["X-Total-Count"] == "4"


def test_ordering_is_applied(client, tokens):
    response = client.get("/api/v1/organisations/?ordering=-ods_code", **bearer(tokens["read"]))
    codes = [row["ods_code"] for row in response.json()["results"]]
    assert codes == sorted(codes, reverse=True)


def test_observations_zscores_episodes_and_segments_say_whether_they_are_synthetic(client, tokens):
    for endpoint in ("observations", "zscores", "episodes", "segments"):
        rows = client.get(f"/api/v1/{endpoint}/", **bearer(tokens["read"])).json()["results"]
        assert rows, endpoint
        assert all("synthetic" in row for row in rows), endpoint
    observations = client.get("/api/v1/observations/", **bearer(tokens["read"])).json()["results"]
    assert all(row["synthetic"] is True for row in observations)  # the world's batch is synthetic
    zscores = client.get("/api/v1/zscores/", **bearer(tokens["read"])).json()["results"]
    assert all(row["synthetic"] is True for row in zscores)


def test_a_nul_byte_in_a_code_is_an_unknown_code_not_a_server_error(client, tokens):
    response = client.post(
        "/api/v1/episodes/",
        {"organisation": "RB\x001", "regime": "\x00", "entered": "2024-01-01"},
        content_type="application/json",
        **bearer(tokens["write_alice"]),
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"organisation", "regime"}
    assert client.get("/api/v1/organisations/RB%001/", **bearer(tokens["read"])).status_code == 404


def test_numbers_too_large_for_the_database_are_refused_not_failed(client, tokens):
    huge = 2**70
    for url in (
        f"/api/v1/stocktakes/?episode={huge}",
        f"/api/v1/segments/?segment={huge}",
        f"/api/v1/funding/?year={huge}",
    ):
        response = client.get(url, **bearer(tokens["confidential"]))
        assert response.status_code == 400, url
    assert client.get(f"/api/v1/segments/?page={huge}", **bearer(tokens["read"])).status_code == 404
    assert client.get(f"/api/v1/stocktakes/{huge}/", **bearer(tokens["confidential"])).status_code == 404
