"""What the recompute stores for the pages (indicators.page_results), so no page computes a statistic."""

import math
from datetime import date

import pytest

from indicators.models import AnalysisResult, Indicator, NationalValue, Observation, ZScore
from indicators.page_results import CUSUM_SHOWN_PERIODS, early_warning_series
from indicators.recompute import results_recompute
from tests.indicators.builders import month, organisations, panel, proportion_indicator, step_change

pytestmark = pytest.mark.django_db

Z95 = 1.959964
PERIOD = date(2024, 4, 1)


def published_upper(expected: float, tau2: float) -> float:
    return math.exp(Z95 * math.sqrt(1 / expected + tau2))


def test_a_ratio_period_scored_from_published_limits_stores_the_median_tau2_they_imply():
    shmi = Indicator.objects.create(code="shmi", name="SHMI", kind="ratio", cadence="quarterly")
    orgs = organisations(5, prefix="S")
    taus = (0.004, 0.001, 0.005, 0.002, 0.003)  # median 0.003
    Observation.objects.bulk_create(
        Observation(
            organisation=org,
            indicator=shmi,
            period=PERIOD,
            numerator=1000 + 40 * i,
            denominator=1000,
            value=(1000 + 40 * i) / 1000,
            upper=published_upper(1000, tau2),
        )
        for i, (org, tau2) in enumerate(zip(orgs, taus, strict=True))
    )
    results_recompute(triggered_by="test")
    national = NationalValue.objects.get(indicator=shmi, period=PERIOD)
    assert national.tau2 is None  # every trust scored from its published limits: no τ² of the period's own
    assert national.tau2_implied == pytest.approx(0.003, abs=1e-9)


def test_rebuilt_limits_imply_nothing_and_a_proportion_stores_no_implied_tau2():
    shmi = Indicator.objects.create(code="shmi", name="SHMI", kind="ratio", cadence="quarterly")
    orgs = organisations(4, prefix="S")
    # Two published limits (τ² 0.001 and 0.003: median 0.002); two rows with counts only, rebuilt.
    uppers = (published_upper(900, 0.001), published_upper(1100, 0.003), None, None)
    Observation.objects.bulk_create(
        Observation(
            organisation=org, indicator=shmi, period=PERIOD, numerator=e * 1.05, denominator=e, value=1.05, upper=u
        )
        for org, e, u in zip(orgs, (900, 1100, 1000, 1200), uppers, strict=True)
    )
    ed = proportion_indicator("ed_4hr")
    panel(ed, orgs, month(2024, 1), 3, seed=3)
    results_recompute(triggered_by="test")
    assert ZScore.objects.filter(indicator=shmi, limits_rebuilt=True).count() == 2
    assert NationalValue.objects.get(indicator=shmi, period=PERIOD).tau2_implied == pytest.approx(0.002, abs=1e-9)
    assert set(NationalValue.objects.filter(indicator=ed).values_list("tau2_implied", flat=True)) == {None}


def _by_hand(values, k, h):
    """The upper CUSUM written out: S = max(0, S + z − k), a missing z carries S, reset to 0 after S > h."""
    s, statistic, signals = 0.0, [], []
    for index, z in enumerate(values):
        if z is not None:
            s = max(0.0, s + z - k)
        statistic.append(s)
        if z is not None and s > h:
            signals.append(index)
            s = 0.0
    return statistic, signals


@pytest.fixture
def slipping():
    """ed_4hr and rtt_18wk over 48 months of 15 trusts; trust 0 worsens on both from month 18."""
    orgs = organisations(15)
    ed = proportion_indicator("ed_4hr")
    rtt = proportion_indicator("rtt_18wk")
    panel(ed, orgs, month(2020, 1), 48, seed=1, effects=step_change(0.9, at=18))
    panel(rtt, orgs, month(2020, 1), 48, seed=2, effects=step_change(0.9, at=18))
    return ed, rtt


def test_the_early_warning_document_stores_each_slipping_trusts_cusum_series(slipping):
    run = results_recompute(triggered_by="test")
    document = AnalysisResult.objects.get(key="early_warning").payload
    assert document["slipping"], "trust 0 worsens on both indicators"
    assert set(document["cusum"]) == {str(item["organisation_id"]) for item in document["slipping"]}
    for item in document["slipping"]:
        lines = document["cusum"][str(item["organisation_id"])]
        assert [line["indicator_id"] for line in lines] == item["indicator_ids"]
        for line in lines:
            history = list(
                ZScore.all_runs.filter(
                    run=run, organisation_id=item["organisation_id"], indicator_id=line["indicator_id"]
                )
                .order_by("period")
                .values_list("period", "z_adjusted")
            )
            statistic, signals = _by_hand([z for _, z in history], document["k"], document["h"])
            periods = [period.isoformat() for period, _ in history]
            assert len(history) == 48 and len(line["periods"]) == CUSUM_SHOWN_PERIODS  # the latest three years
            assert line["periods"] == periods[-CUSUM_SHOWN_PERIODS:]
            assert line["statistic"] == pytest.approx(statistic[-CUSUM_SHOWN_PERIODS:])
            assert line["signals"] == [periods[i] for i in signals if i >= len(periods) - CUSUM_SHOWN_PERIODS]
    assert any(line["signals"] for lines in document["cusum"].values() for line in lines)


def test_the_cusum_series_are_read_in_three_queries_with_served_rows_for_indicators_the_run_did_not_recompute(
    slipping, django_assert_num_queries
):
    ed, rtt = slipping
    results_recompute(triggered_by="test")
    # A second run recomputes ed_4hr only: rtt_18wk's z-scores are the first run's, served.
    partial = results_recompute(indicator_codes=["ed_4hr"], triggered_by="test")
    document = AnalysisResult.objects.get(key="early_warning").payload
    assert {i for item in document["slipping"] for i in item["indicator_ids"]} == {ed.pk, rtt.pk}
    # The pointers, which indicators the run wrote, then every row of each indicator's source run in one.
    with django_assert_num_queries(3):
        series = early_warning_series(partial, document)
    assert series == document["cusum"]
    assert all(len(line["periods"]) == CUSUM_SHOWN_PERIODS for lines in series.values() for line in lines)
    assert {line["indicator_id"] for lines in series.values() for line in lines} == {ed.pk, rtt.pk}


def test_cusum_series_from_the_frames_a_run_computed_equal_those_read_back_and_need_no_query(
    slipping, django_assert_num_queries
):
    import numpy as np
    import pandas as pd

    ed, rtt = slipping
    run = results_recompute(triggered_by="test")
    document = AnalysisResult.objects.get(key="early_warning").payload
    computed = {}
    for indicator in (ed, rtt):
        rows = list(
            ZScore.all_runs.filter(run=run, indicator=indicator).values_list("organisation_id", "period", "z_adjusted")
        )
        frame = pd.DataFrame(rows, columns=["organisation_id", "period", "z_adj"])
        frame["period"] = pd.to_datetime(frame["period"])
        computed[indicator.pk] = frame.astype({"z_adj": float}).sample(frac=1, random_state=2)  # any row order
    with django_assert_num_queries(0):
        assert early_warning_series(run, document, computed=computed) == document["cusum"]
    with django_assert_num_queries(3):  # rtt_18wk read back (pointers, this run's indicators, rows), ed_4hr from memory
        assert early_warning_series(run, document, computed={ed.pk: computed[ed.pk]}) == document["cusum"]
    # An infinite z is stored as missing: from memory it counts as missing too.
    infinite, missing = computed[ed.pk].copy(), computed[ed.pk].copy()
    infinite.iloc[:5, 2], missing.iloc[:5, 2] = np.inf, np.nan
    assert early_warning_series(run, document, computed={**computed, ed.pk: infinite}) == early_warning_series(
        run, document, computed={**computed, ed.pk: missing}
    )
