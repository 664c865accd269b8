"""REST clients get the real 2025/26 segments exactly as NHS England's file gives them."""

import csv
from pathlib import Path

import pytest

from tests.api.world import bearer, issue_token

pytestmark = pytest.mark.django_db

REAL = Path(__file__).resolve().parents[2] / "data" / "real"
NOF_SEGMENTS = REAL / "nof-2025-26" / "trust_segments_2026-03.csv"
CATEGORY = {"Acute trust": "acute", "Mental health and community trust": "non_acute", "Ambulance trust": "ambulance"}
DOMAINS = ["access", "effectiveness_experience", "finance_productivity", "patient_safety", "people_workforce"]


def _number(text: str, kind=int):
    return None if text == "" else kind(float(text))


def _flag(text: str):
    return None if text == "" else text == "1.0"


@pytest.fixture
def published(db):
    from ingest.importers import import_file
    from trusts.services import user_create

    import_file("organisations", REAL / "ods_trusts_etr_2025.csv")
    import_file("nof_segments", NOF_SEGMENTS)
    dave = user_create(username="dave", role="analyst", password="dave-password-1")
    return issue_token(dave, "read")


def _all(client, token, query):
    rows, url = [], f"/api/v1/segments/?{query}&page_size=100"
    while url:
        response = client.get(url, **bearer(token))
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
        url = response.json()["next"]
    return rows


def test_every_row_of_the_file_round_trips_through_the_api(client, published):
    served = {row["organisation"]: row for row in _all(client, published, "as_of=2026-03-31&framework=nof-2025-26")}
    with open(NOF_SEGMENTS, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(served) == len(rows) == 150
    for row in rows:
        got = served[row["org_code"]]
        expected = {
            "segment": _number(row["overall_adjusted_segment"]),
            "framework": "nof-2025-26",
            "category": CATEGORY[row["Trust_type"]],
            "rank": _number(row["league_rank"]),
            "average_score": float(row["league_avg_score"]),
            "in_deficit": _flag(row["lt_in_deficit"]),
            "finance_in_deficit": _flag(row["fin_in_deficit"]),
            "pre_adjustment_segment": _number(row["lt_segment"]),
            "effective_from": "2026-03-01",
            "published": True,
            "synthetic": False,
            **{f"domain_{d}": _number(row[f"domain_segment_{d}"]) for d in DOMAINS},
        }
        assert {key: got[key] for key in expected} == expected, row["org_code"]


def test_it_filters_by_framework_category_segment_and_region(client, published):
    acute_4 = _all(client, published, "as_of=2026-03-01&framework=nof-2025-26&category=acute&segment=4")
    assert len(acute_4) == 36
    assert {row["category"] for row in acute_4} == {"acute"} and {row["segment"] for row in acute_4} == {4}
    london = _all(client, published, "as_of=2026-03-01&category=non_acute&region=Y56")
    assert london and {row["region"] for row in london} == {"Y56"}
    assert _all(client, published, "as_of=2026-02-28&framework=nof-2025-26") == []
    assert _all(client, published, "framework=nof-2021") == []


def test_an_unknown_category_is_a_400_naming_the_filter(client, published):
    response = client.get("/api/v1/segments/?category=hospice", **bearer(published))
    assert response.status_code == 400
    assert "category" in response.json()["errors"]


def test_as_of_serves_only_segments_of_the_framework_edition_in_force_that_day(client, published):
    from datetime import date

    from trusts.models import FrameworkVersion, Organisation, SegmentAssignment

    # A synthetic 2021/22 segment left open-ended, as the demo history leaves its last row.
    SegmentAssignment.objects.create(
        organisation=Organisation.objects.get(ods_code="R0A"),
        framework=FrameworkVersion.objects.get(code="nof-2021"),
        segment=2,
        effective_from=date(2023, 1, 1),
        synthetic=True,
    )
    march = _all(client, published, "as_of=2026-03-01")
    assert len(march) == 150 and {row["framework"] for row in march} == {"nof-2025-26"}
    [old] = _all(client, published, "as_of=2024-06-01&organisation=R0A")
    assert (old["framework"], old["segment"]) == ("nof-2021", 2)
