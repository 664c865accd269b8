"""Exit criteria linked to an indicator are read against the trust's own data on every recompute."""

from datetime import date

import pytest

from indicators.stats.exit_readiness import criterion_readiness
from tests.api.world import bearer, issue_token

MONTHS = [date(2024, m, 1) for m in range(10, 13)] + [date(2025, m, 1) for m in range(1, 4)]


def _readiness(values, months=3, comparator="le", threshold=0.40, step=1):
    return criterion_readiness(
        list(zip(MONTHS, values)),
        comparator=comparator,
        threshold=threshold,
        months_sustained=months,
        step_months=step,
    )


def test_met_for_the_last_three_months_reads_met_since_the_first_of_them():
    readiness = _readiness([0.45, 0.44, 0.43, 0.38, 0.37, 0.36])
    assert (readiness.status, readiness.met_since, readiness.months_met) == ("met", date(2025, 1, 1), 3)


def test_met_only_last_month_reads_met_not_sustained():
    readiness = _readiness([0.38, 0.37, 0.36, 0.38, 0.45, 0.39])
    assert (readiness.status, readiness.met_since, readiness.months_met) == ("met_not_sustained", date(2025, 3, 1), 1)


def test_not_met_in_the_latest_month_reads_not_met_whatever_came_before():
    assert _readiness([0.30, 0.30, 0.30, 0.30, 0.30, 0.41]).status == "not_met"
    assert _readiness([0.40] * 6, comparator="lt").status == "not_met"  # strictly below
    assert _readiness([0.40] * 6, comparator="le").status == "met"  # equal meets "at most"


def test_no_values_read_no_data():
    assert _readiness([None] * 6).status == "no_data"
    assert criterion_readiness([], comparator="ge", threshold=1, months_sustained=3).status == "no_data"


def test_a_missing_month_ends_the_run():
    values = [(date(2024, 12, 1), 0.3), (date(2025, 2, 1), 0.3), (date(2025, 3, 1), 0.3)]
    readiness = criterion_readiness(values, comparator="le", threshold=0.4, months_sustained=3)
    assert (readiness.status, readiness.months_met, readiness.met_since) == ("met_not_sustained", 2, date(2025, 2, 1))


def test_quarterly_periods_count_three_months_each():
    values = [(date(2024, 7, 1), 0.9), (date(2024, 10, 1), 0.3), (date(2025, 1, 1), 0.3)]
    readiness = criterion_readiness(values, comparator="le", threshold=0.4, months_sustained=6, step_months=3)
    assert (readiness.status, readiness.months_met) == ("met", 6)


@pytest.fixture
def rtt_world(db, regimes):
    from indicators.models import Indicator, Observation
    from trusts.models import ExitCriterion, Organisation, RegimeEpisode

    rtt = Indicator.objects.create(
        code="rtt_18wk", name="RTT over 18 weeks", kind="proportion", cadence="monthly", polarity="lower_is_better"
    )
    criteria = {}
    series = {
        "RS1": [0.45, 0.44, 0.43, 0.38, 0.37, 0.36],  # met the last 3 months
        "RS2": [0.38, 0.37, 0.36, 0.38, 0.45, 0.39],  # met only last month
        "RS3": [],  # no data
    }
    for code, values in series.items():
        org = Organisation.objects.create(ods_code=code, name=f"Trust {code}", kind="acute", region="Y56")
        episode = RegimeEpisode.objects.create(organisation=org, regime=regimes["NOF4"], entered=date(2023, 1, 1))
        Observation.objects.bulk_create(
            [Observation(organisation=org, indicator=rtt, period=m, value=v) for m, v in zip(MONTHS, values)]
        )
        criteria[code] = ExitCriterion.objects.create(
            episode=episode,
            theme="operations",
            description="RTT: at most 40% waiting over 18 weeks for 3 months",
            indicator=rtt,
            comparator="le",
            threshold=0.40,
            months_sustained=3,
            status="in_progress",
        )
    ExitCriterion.objects.create(
        episode=criteria["RS1"].episode, theme="culture", description="Not linked to data", status="approved"
    )
    return criteria


def test_every_recompute_evaluates_the_linked_criteria_without_touching_their_version(rtt_world):
    from indicators.recompute import results_recompute
    from trusts.models import ExitCriterion

    run = results_recompute(triggered_by="test")

    assert run.counts["criteria_evaluated"] == 3
    got = {
        c.episode.organisation.ods_code: (c.data_status, c.met_since, c.version)
        for c in ExitCriterion.objects.filter(indicator__isnull=False)
    }
    assert got == {
        "RS1": ("met", date(2025, 1, 1), 1),
        "RS2": ("met_not_sustained", date(2025, 3, 1), 1),
        "RS3": ("no_data", None, 1),
    }
    assert ExitCriterion.objects.get(indicator__isnull=True).data_status == ""


def test_the_criteria_api_serves_the_data_status_and_flags_a_disagreement(client, rtt_world, alice):
    from indicators.criteria import criteria_evaluate
    from trusts.models import ExitCriterion

    ExitCriterion.objects.filter(pk=rtt_world["RS2"].pk).update(status="met")  # the ID says met; data: not sustained
    criteria_evaluate()
    response = client.get(
        "/api/v1/criteria/?data_status=met_not_sustained", **bearer(issue_token(alice, "confidential"))
    )
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["organisation"], row["status"], row["data_status"], row["met_since"]) == (
        "RS2",
        "met",
        "met_not_sustained",
        "2025-03-01",
    )
    assert row["data_disagrees"] is True
    rs1 = client.get(f"/api/v1/criteria/{rtt_world['RS1'].pk}/", **bearer(issue_token(alice, "confidential"))).json()
    # In progress while the data reads met: flagged too, for the person to decide.
    assert (rs1["data_status"], rs1["data_disagrees"]) == ("met", True)


def test_the_trust_page_shows_the_data_status_beside_the_status(client, rtt_world, alice):
    from indicators.criteria import criteria_evaluate

    criteria_evaluate()
    client.force_login(alice)
    text = client.get("/trusts/RS1/").content.decode()
    assert "Data: Met (sustained) since Jan 2025" in text
    assert "The data disagrees with the status" in text
