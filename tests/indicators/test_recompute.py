"""The recompute service: stored z-scores match the methods, runs are atomic, locked and repeatable."""

import io
from datetime import date

import numpy as np
import pytest

from indicators.constants import RunStatus
from indicators.exports import export_effects, export_zscores
from indicators.models import NationalValue, Observation, PooledEffect, TrajectoryFit, ZScore
from indicators.recompute import results_recompute
from tests.indicators.builders import episode, failed_recompute, month, organisations, panel, proportion_indicator

pytestmark = pytest.mark.django_db

WORKED_N = (8000, 12000, 6000, 10000, 9000)
WORKED_R = (1100, 1500, 1050, 1150, 1500)
WORKED_Z_ADJ = (-0.1054832, -0.6512676, 1.3811257, -1.1051195, 1.0731586)


@pytest.fixture
def worked_example(db):
    indicator = proportion_indicator()
    orgs = organisations(5, prefix="W")
    Observation.objects.bulk_create(
        Observation(organisation=org, indicator=indicator, period=month(2017, 4), numerator=r, denominator=n)
        for org, n, r in zip(orgs, WORKED_N, WORKED_R, strict=True)
    )
    return indicator, orgs


def test_it_stores_the_worked_example_z_scores_of_methods_section_1(worked_example):
    indicator, orgs = worked_example
    run = results_recompute(triggered_by="test")
    assert run.status == RunStatus.SUCCEEDED
    stored = dict(ZScore.objects.filter(indicator=indicator).values_list("organisation__ods_code", "z_adjusted"))
    assert [stored[org.ods_code] for org in orgs] == pytest.approx(WORKED_Z_ADJ, abs=1e-6)
    national = NationalValue.objects.get(indicator=indicator)
    assert national.national == pytest.approx(0.14)
    assert national.phi == pytest.approx(28.7000953, rel=1e-7)
    assert national.tau2 == pytest.approx(0.00098086273, rel=1e-6)
    assert national.n_trusts == 5


def test_it_exports_z_scores_in_the_documented_columns(worked_example):
    indicator, _ = worked_example
    results_recompute(triggered_by="test")
    out = io.StringIO()
    assert export_zscores(indicator, out) == 5
    lines = out.getvalue().splitlines()
    assert lines[0] == "org_code,period,numerator,denominator,national_value,z,z_adj,tau2"
    first = lines[1].split(",")
    assert first[0] == "W00" and first[1] == "2017-04"
    assert float(first[6]) == pytest.approx(WORKED_Z_ADJ[0], abs=1e-6)
    assert float(first[7]) == pytest.approx(0.00098086273, rel=1e-6)


def test_a_failed_run_leaves_the_previous_results_in_place(worked_example, monkeypatch):
    indicator, _ = worked_example
    good = results_recompute(triggered_by="test")
    before = list(ZScore.objects.order_by("pk").values_list("organisation_id", "z_adjusted", "run_id"))
    failed = failed_recompute(monkeypatch)
    assert failed.status == RunStatus.FAILED and "disk full" in failed.error
    after = list(ZScore.objects.order_by("pk").values_list("organisation_id", "z_adjusted", "run_id"))
    assert after == before
    assert {row[2] for row in after} == {good.pk}


def test_a_second_run_replaces_results_and_gives_the_same_numbers(worked_example):
    first = results_recompute(triggered_by="test")
    values_first = sorted(ZScore.objects.values_list("organisation_id", "z", "z_adjusted"))
    second = results_recompute(triggered_by="test")
    values_second = sorted(ZScore.objects.values_list("organisation_id", "z", "z_adjusted"))
    assert values_first == values_second
    assert set(ZScore.objects.values_list("run_id", flat=True)) == {second.pk}
    assert second.pk != first.pk


def test_it_refuses_an_unknown_indicator_code_and_names_the_known_ones(worked_example):
    with pytest.raises(ValueError, match="known: ed_4hr"):
        results_recompute(indicator_codes=["nope"])


@pytest.fixture
def regime_panel(db):
    """40 trusts over 60 months; 8 enter SMQ at month 24 and improve by -0.4 on the logit at entry."""
    indicator = proportion_indicator()
    orgs = organisations(40)
    entry = month(2016, 1)
    treated = {i: (lambda t: -0.4 if t >= 24 else 0.0) for i in range(8)}
    panel(indicator, orgs, month(2014, 1), 60, seed=3, effects=treated)
    for i in range(8):
        episode(orgs[i], "SMQ", entry, exited=date(2018, 6, 30) if i < 4 else None)
    return indicator, orgs


def test_it_fits_a_trajectory_per_spell_and_pools_the_level_change(regime_panel):
    indicator, _ = regime_panel
    results_recompute(triggered_by="test")
    fits = TrajectoryFit.objects.filter(indicator=indicator)
    assert fits.count() == 8
    assert set(fits.values_list("regime_group", flat=True)) == {"SMQ"}
    assert set(fits.values_list("method", flat=True)) == {"prais_winsten"}
    level = PooledEffect.objects.get(indicator=indicator, regime_group="SMQ", quantity="level_change")
    assert level.n == 8
    # A drop of 0.4 on the logit of a 15% proportion in trusts of ~8000 is several SDs of z_adj.
    assert level.ci_high < 0
    # The pooled estimate is the DerSimonian–Laird mean of the stored per-trust fits.
    from statsmodels.stats.meta_analysis import combine_effects

    estimates = np.array([fit.coefficients["level_change"]["estimate"] for fit in fits])
    ses = np.array([fit.coefficients["level_change"]["se"] for fit in fits])
    reference = combine_effects(estimates, ses**2, method_re="chi2")
    assert level.estimate == pytest.approx(reference.mean_effect_re, rel=1e-6)
    assert level.fixed_estimate == pytest.approx(reference.mean_effect_fe, rel=1e-6)


def test_it_exports_the_table_23_rows(regime_panel):
    indicator, _ = regime_panel
    results_recompute(triggered_by="test")
    out = io.StringIO()
    assert export_effects(indicator, out, regime_group="SMQ") == 4
    header, *rows = out.getvalue().splitlines()
    assert header == "quantity,n,estimate,se,ci_low,ci_high,tau2,i2,fixed_estimate,cadence"
    assert [row.split(",")[0] for row in rows] == [
        "pre_slope",
        "level_change",
        "slope_change_during",
        "slope_change_after",
    ]


def test_two_processes_give_the_same_results_as_one(regime_panel, settings):
    indicator, orgs = regime_panel
    panel(proportion_indicator("second"), orgs, month(2014, 1), 60, seed=5)  # something to share out

    def snapshot():
        return (
            sorted(ZScore.objects.values_list("organisation_id", "indicator_id", "period", "z", "z_adjusted")),
            sorted(PooledEffect.objects.values_list("regime_group", "quantity", "n", "estimate", "se")),
            list(
                TrajectoryFit.objects.order_by("indicator_id", "organisation_id", "spell_entered").values_list(
                    "coefficients"
                )
            ),
        )

    settings.RECOMPUTE_PROCESSES = 1
    results_recompute(triggered_by="one process")
    one = snapshot()
    settings.RECOMPUTE_PROCESSES = 2
    run = results_recompute(triggered_by="two processes")
    assert run.status == RunStatus.SUCCEEDED
    assert snapshot() == one
