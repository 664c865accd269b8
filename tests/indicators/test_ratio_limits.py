"""A ratio row without published limits has them rebuilt (methods §2); a bad row is reported, never fatal."""

import math
from datetime import date

import pytest

from indicators.constants import RunStatus
from indicators.models import ComputationRun, Indicator, Observation, ZScore
from indicators.recompute import results_recompute
from tests.indicators.builders import organisations

pytestmark = pytest.mark.django_db

# methods.md §2, the rebuild test: trusts 1 and 7 are truncated; φ = 4.19599691, τ² = 0.003015067.
OBSERVED = (1150, 980, 2100, 760, 1320, 1890, 640, 1005, 1500, 870)
EXPECTED = (1000, 1010, 1900, 800, 1250, 1950, 700, 990, 1420, 905)
PERIOD = date(2024, 4, 1)


def published_upper(expected: float) -> float:
    """A published-looking 95% overdispersed upper limit for the other trusts (any value > 1 serves)."""
    return math.exp(1.959964 * math.sqrt(1 / expected + 0.003))


@pytest.fixture
def shmi(db):
    indicator = Indicator.objects.create(
        code="shmi", name="SHMI", kind="ratio", cadence="quarterly", polarity="lower_is_better"
    )
    orgs = organisations(11, prefix="S")
    rows = []
    for index, (org, o, e) in enumerate(zip(orgs, OBSERVED, EXPECTED, strict=False)):
        # Trust 1 (index 0) has no published limits; the others have them.
        upper = None if index == 0 else published_upper(e)
        rows.append(
            Observation(
                organisation=org,
                indicator=indicator,
                period=PERIOD,
                numerator=o,
                denominator=e,
                value=o / e,
                upper=upper,
            )
        )
    # The eleventh trust's row can be scored neither way: a value, but no limit and no counts.
    rows.append(Observation(organisation=orgs[10], indicator=indicator, period=PERIOD, value=1.2))
    Observation.objects.bulk_create(rows)
    return indicator, orgs


def test_a_run_with_one_shmi_row_lacking_limits_succeeds_with_the_worked_example_limits(shmi):
    indicator, orgs = shmi
    run = results_recompute(triggered_by="test")
    assert run.status == RunStatus.SUCCEEDED
    rebuilt = ZScore.objects.get(indicator=indicator, organisation=orgs[0])
    assert rebuilt.limits_rebuilt
    assert rebuilt.z == pytest.approx(4.4196607, abs=1e-6)
    assert rebuilt.z_adjusted == pytest.approx(2.2056801, abs=1e-6)
    assert rebuilt.upper == pytest.approx(1.1322335, abs=1e-6)
    # The others keep their published limits: z_adj = 1.959964·ln(SHMI)/ln(u), not rebuilt.
    second = ZScore.objects.get(indicator=indicator, organisation=orgs[1])
    assert not second.limits_rebuilt
    u = published_upper(EXPECTED[1])
    assert second.upper == pytest.approx(u)
    assert second.z_adjusted == pytest.approx(1.959964 * math.log(OBSERVED[1] / EXPECTED[1]) / math.log(u))


def test_one_bad_row_is_left_out_and_reported_on_the_run_with_its_reason(shmi):
    indicator, orgs = shmi
    run = results_recompute(triggered_by="test")
    assert ZScore.objects.filter(indicator=indicator).count() == 10
    assert not ZScore.objects.filter(organisation=orgs[10]).exists()
    assert run.counts["problems"] == 1
    (problem,) = ComputationRun.objects.get(pk=run.pk).problems
    assert problem["indicator"] == "shmi" and problem["org_code"] == "S10" and problem["period"] == "2024-04-01"
    assert "no published upper limit" in problem["reason"]


def test_the_run_serves_its_problems_in_the_api_and_on_the_imports_page(shmi, alice, client):
    run = results_recompute(triggered_by="test")
    client.force_login(alice)
    body = client.get(f"/api/v1/runs/{run.pk}/").json()
    assert body["problems"][0]["org_code"] == "S10"
    html = client.get("/imports/").content.decode()
    assert "Rows the latest computation left out" in html and "S10" in html
