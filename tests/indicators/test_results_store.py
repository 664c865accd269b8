"""Versioned result sets (issue 11): runs write under their own id, readers follow one pointer per indicator."""

import io

import pytest
from django.core.management import call_command

from indicators.constants import RunStatus
from indicators.exports import export_zscores
from indicators.models import (
    Alert,
    AnalysisResult,
    ComputationRun,
    CurrentResult,
    NationalValue,
    SpcSummary,
    ZScore,
)
from indicators.recompute import results_prune, results_recompute
from tests.indicators.builders import failed_recompute, month, organisations, panel, proportion_indicator
from tests.processes import needs_a_broker

pytestmark = pytest.mark.django_db


@pytest.fixture
def worsening(db):
    """Two indicators over 36 months of 15 trusts; trust 0 worsens sharply on ed_4hr from month 18 (alerts)."""
    orgs = organisations(15)
    ed = proportion_indicator("ed_4hr")
    rtt = proportion_indicator("rtt_18wk")
    panel(ed, orgs, month(2020, 1), 36, seed=1, effects={0: lambda t: 0.9 if t >= 18 else 0.0})
    panel(rtt, orgs, month(2020, 1), 36, seed=2)
    return {"orgs": orgs, "ed": ed, "rtt": rtt}


def _served(model=ZScore):
    return sorted(model.objects.order_by().values_list("indicator_id", "run_id").distinct())


def test_each_indicator_points_at_the_run_that_wrote_it_and_readers_see_only_that_run(worsening):
    first = results_recompute(triggered_by="test")
    second = results_recompute(triggered_by="test")
    pointers = {row.indicator_id: (row.run_id, row.previous_run_id) for row in CurrentResult.objects.all()}
    assert pointers == {
        worsening["ed"].pk: (second.pk, first.pk),
        worsening["rtt"].pk: (second.pk, first.pk),
        None: (second.pk, first.pk),
    }
    # The previous run's rows are kept (for "what changed"), yet no reader sees them.
    assert set(ZScore.all_runs.values_list("run_id", flat=True)) == {first.pk, second.pk}
    assert ZScore.objects.count() == 2 * 15 * 36
    assert _served() == [(worsening["ed"].pk, second.pk), (worsening["rtt"].pk, second.pk)]
    assert set(AnalysisResult.objects.values_list("run_id", flat=True)) == {second.pk}
    assert set(worsening["ed"].national_values.values_list("run_id", flat=True)) == {second.pk}


def test_a_failed_run_moves_no_pointer_and_leaves_no_rows(worsening, monkeypatch):
    good = results_recompute(triggered_by="test")
    before = sorted(ZScore.objects.values_list("organisation_id", "indicator_id", "period", "z_adjusted", "run_id"))
    failed = failed_recompute(monkeypatch)
    assert failed.status == RunStatus.FAILED
    assert set(CurrentResult.objects.values_list("run_id", flat=True)) == {good.pk}
    assert not ZScore.all_runs.filter(run=failed).exists()
    after = sorted(ZScore.objects.values_list("organisation_id", "indicator_id", "period", "z_adjusted", "run_id"))
    assert after == before


def test_rows_of_a_run_not_yet_switched_are_invisible_to_pages_api_and_exports(worsening, client, django_user_model):
    """A part that has written (and committed) its rows before the run switched is never read."""
    good = results_recompute(triggered_by="test")
    half = ComputationRun.objects.create(method_version="test", status=RunStatus.RUNNING)
    rows = list(ZScore.all_runs.filter(run=good, indicator=worsening["ed"]).values())
    ZScore.all_runs.bulk_create(ZScore(**{**row, "id": None, "run_id": half.pk, "z_adjusted": 99.0}) for row in rows)
    NationalValue.all_runs.create(run=half, indicator=worsening["ed"], period=month(2030, 1), national=0.9, n_trusts=1)
    assert ZScore.all_runs.filter(run=half).count() == 15 * 36
    assert not ZScore.objects.filter(z_adjusted=99.0).exists()
    assert ZScore.objects.count() == 2 * 15 * 36
    assert not NationalValue.objects.filter(period=month(2030, 1)).exists()
    assert not worsening["ed"].zscores.filter(run=half).exists()
    buffer = io.StringIO()
    export_zscores(worsening["ed"], buffer)
    assert "99.0" not in buffer.getvalue()
    # The half-written run is kept by the prune (its parts may still be writing) and served by no one.
    results_prune()
    assert ZScore.all_runs.filter(run=half).count() == 15 * 36


def test_the_prune_keeps_the_current_and_the_previous_run_only(worsening):
    runs = [results_recompute(triggered_by="test") for _ in range(3)]
    for model in (ZScore, NationalValue, SpcSummary, AnalysisResult):
        assert set(model.all_runs.values_list("run_id", flat=True)) == {runs[1].pk, runs[2].pk}, model
    assert set(Alert.all_runs.values_list("run_id", flat=True)) <= {runs[1].pk, runs[2].pk}
    # A killed run's leftovers (marked abandoned) go with the next prune.
    dead = ComputationRun.objects.create(method_version="test", status=RunStatus.ABANDONED)
    NationalValue.all_runs.create(run=dead, indicator=worsening["ed"], period=month(2030, 1), national=0.9, n_trusts=1)
    results_prune()
    assert not NationalValue.all_runs.filter(run=dead).exists()


def test_changes_since_the_last_run_list_new_alerts_and_changed_variation_icons(worsening):
    first = results_recompute(triggered_by="test")
    assert first.changes["compared"] is False
    first_alerts = list(Alert.objects.filter(indicator=worsening["ed"]).order_by("period"))
    assert first_alerts, "the worsening trust must signal"
    # Pretend the first run had not seen the last alert and had drawn another icon for one chart.
    gone = first_alerts[-1]
    Alert.all_runs.filter(pk=gone.pk).delete()
    chart = SpcSummary.objects.filter(indicator=worsening["rtt"]).order_by("organisation_id").first()
    SpcSummary.all_runs.filter(pk=chart.pk).update(variation_icon="made_up_icon")

    second = results_recompute(triggered_by="test")
    changes = ComputationRun.objects.get(pk=second.pk).changes
    assert changes["compared"] is True and changes["previous_runs"] == [first.pk]
    assert changes["new_alerts"] == 1
    assert changes["alerts"] == [
        {
            "organisation": gone.organisation.ods_code,
            "indicator": "ed_4hr",
            "period": gone.period.isoformat(),
            "kind": gone.kind,
            "statistic": round(
                Alert.objects.get(
                    organisation=gone.organisation, indicator=gone.indicator, period=gone.period, kind=gone.kind
                ).statistic,
                3,
            ),
        }
    ]
    assert changes["variation_changes"] == 1
    assert changes["variations"] == [
        {
            "organisation": chart.organisation.ods_code,
            "indicator": "rtt_18wk",
            "before": "made_up_icon",
            "after": chart.variation_icon,
        }
    ]
    third = results_recompute(triggered_by="test")
    assert (third.changes["new_alerts"], third.changes["variation_changes"]) == (0, 0)


def test_the_changes_are_served_on_the_run_and_shown_on_the_board(worsening, client, alice):
    from tests.api.world import bearer, issue_token

    results_recompute(triggered_by="test")
    Alert.all_runs.filter(pk=Alert.objects.order_by("-period").first().pk).delete()
    second = results_recompute(triggered_by="test")
    body = client.get(f"/api/v1/runs/{second.pk}/", **bearer(issue_token(alice, "read"))).json()
    assert body["changes"]["new_alerts"] == 1 and len(body["changes"]["alerts"]) == 1
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert f"Since the last run (run {second.pk}): 1 new alert," in page


def test_the_command_serves_the_new_run(worsening):
    call_command("recompute", verbosity=0)
    run = ComputationRun.objects.latest()
    assert _served() == [(worsening["ed"].pk, run.pk), (worsening["rtt"].pk, run.pk)]


def _rows(indicator):
    return sorted(
        ZScore.objects.filter(indicator=indicator).values_list("organisation_id", "period", "z_adjusted", "run_id")
    )


def test_an_incremental_run_with_no_new_data_recomputes_nothing_and_keeps_the_programme_results(worsening):
    forced = results_recompute(triggered_by="test")
    documents = dict(AnalysisResult.objects.values_list("key", "payload"))
    before = {code: _rows(worsening[code]) for code in ("ed", "rtt")}
    nightly = results_recompute(triggered_by="test", incremental=True)
    assert (nightly.counts["recomputed"], nightly.counts["skipped"]) == (0, 2)
    assert not ZScore.all_runs.filter(run=nightly).exists()
    assert {code: _rows(worsening[code]) for code in ("ed", "rtt")} == before
    assert set(CurrentResult.objects.filter(indicator__isnull=False).values_list("run_id", flat=True)) == {forced.pk}
    # Nothing the programme-level documents read has changed, so the served ones stay (issue 11) ...
    assert nightly.counts["programme_unchanged"] is True
    assert CurrentResult.objects.get(indicator__isnull=True).run_id == forced.pk
    assert not AnalysisResult.all_runs.filter(run=nightly).exists()
    assert dict(AnalysisResult.objects.values_list("key", "payload")) == documents
    assert documents["early_warning"]["slipping"], "the worsening trust is on the slipping list"
    # ... and recomputing them from the served rows anyway gives the same documents.
    from indicators.recompute.inputs import episode_records
    from indicators.recompute.programme import ProgrammeInputs

    check = ComputationRun.objects.create(method_version=forced.method_version, parameters=forced.parameters)
    programme = ProgrammeInputs()
    programme.add_stored([(worsening["ed"], None), (worsening["rtt"], None)])
    programme.store(check, episodes=episode_records(), indicators=[worsening["ed"], worsening["rtt"]])
    assert dict(AnalysisResult.all_runs.filter(run=check).values_list("key", "payload")) == documents


def test_a_changed_episode_recomputes_the_programme_results_on_an_incremental_run(worsening):
    from trusts.models import Regime, RegimeEpisode

    results_recompute(triggered_by="test")
    RegimeEpisode.objects.create(
        organisation=worsening["orgs"][3], regime=Regime.objects.get(code="SMQ"), entered=month(2021, 6)
    )
    nightly = results_recompute(triggered_by="test", incremental=True)
    assert nightly.counts["programme_unchanged"] is False
    assert CurrentResult.objects.get(indicator__isnull=True).run_id == nightly.pk
    assert AnalysisResult.all_runs.filter(run=nightly).exists()


def test_a_new_month_of_one_indicator_recomputes_only_that_indicator(worsening):
    from indicators.models import Observation

    forced = results_recompute(triggered_by="test")
    ed_before = _rows(worsening["ed"])
    for org in worsening["orgs"]:
        Observation.objects.create(
            organisation=org, indicator=worsening["rtt"], period=month(2023, 1), numerator=900, denominator=6000
        )
    nightly = results_recompute(triggered_by="test", incremental=True)
    assert (nightly.counts["recomputed"], nightly.counts["skipped"], nightly.counts["skipped_codes"]) == (
        1,
        1,
        ["ed_4hr"],
    )
    assert _rows(worsening["ed"]) == ed_before  # untouched: same rows of the forced run
    rtt = ZScore.objects.filter(indicator=worsening["rtt"])
    assert set(rtt.values_list("run_id", flat=True)) == {nightly.pk}
    assert rtt.filter(period=month(2023, 1)).count() == 15 and rtt.count() == 15 * 37
    assert CurrentResult.objects.get(indicator=worsening["ed"]).run_id == forced.pk
    # An edited value (same count of rows) changes the fingerprint too.
    Observation.objects.filter(indicator=worsening["ed"], period=month(2020, 1)).update(numerator=1)
    again = results_recompute(triggered_by="test", incremental=True)
    assert again.counts["skipped_codes"] == ["rtt_18wk"]


def test_an_episode_change_recomputes_every_indicator(worsening):
    from tests.indicators.builders import episode

    results_recompute(triggered_by="test")
    episode(worsening["orgs"][3], "SMQ", month(2021, 6))
    nightly = results_recompute(triggered_by="test", incremental=True)
    assert (nightly.counts["recomputed"], nightly.counts["skipped"]) == (2, 0)


def test_the_command_is_incremental_unless_forced_and_says_so_last(worsening):
    out = io.StringIO()
    call_command("recompute", verbosity=0, stdout=out)
    first = ComputationRun.objects.latest()
    assert out.getvalue().strip().splitlines()[-1].startswith(f"run {first.pk} succeeded in ")
    assert out.getvalue().strip().endswith(": 2 indicators recomputed, 0 skipped")
    out = io.StringIO()
    call_command("recompute", verbosity=0, stdout=out)
    assert out.getvalue().strip().endswith(": 0 indicators recomputed, 2 skipped")
    out = io.StringIO()
    call_command("recompute", "--force", verbosity=0, stdout=out)
    assert out.getvalue().strip().endswith(": 2 indicators recomputed, 0 skipped")


@pytest.mark.django_db(transaction=True)
def test_a_recompute_requested_during_a_run_is_followed_up_not_dropped(worsening):
    """An import adds rows and asks for a recompute while the nightly run holds the lock."""
    import threading

    from django.db import connection

    from indicators.models import Observation, RecomputeRequest
    from indicators.recompute import RecomputeBusy

    refused = []

    def request():
        try:
            results_recompute(triggered_by="import follow-up", incremental=True)
        except RecomputeBusy:
            refused.append(True)

    def progress(message):
        if message.startswith("ed_4hr:") and not refused:  # the observations are read by now
            for org in worsening["orgs"]:
                Observation.objects.create(
                    organisation=org, indicator=worsening["rtt"], period=month(2023, 1), numerator=9, denominator=60
                )
            if connection.vendor == "postgresql":
                # Another connection (the advisory lock is re-entrant within one session).
                thread = threading.Thread(target=request)
                thread.start()
                thread.join()
            else:
                request()  # the file lock is per open file: refused within this process too

    first = results_recompute(triggered_by="nightly", progress=progress)
    assert refused
    assert ComputationRun.objects.get(triggered_by="import follow-up").status == RunStatus.FAILED
    follow_up = ComputationRun.objects.get(triggered_by=f"follow-up of run {first.pk}")
    assert follow_up.status == RunStatus.SUCCEEDED
    assert ComputationRun.objects.get(pk=first.pk).counts["follow_up_run"] == follow_up.pk
    assert follow_up.counts["skipped_codes"] == ["ed_4hr"] and follow_up.counts["recomputed"] == 1
    assert ZScore.objects.filter(indicator=worsening["rtt"], period=month(2023, 1)).count() == 15
    assert not RecomputeRequest.objects.exists()


def _all_results():
    z = sorted(
        ZScore.objects.values_list("organisation_id", "indicator_id", "period", "z", "z_adjusted", "value", "upper")
    )
    spc = sorted(SpcSummary.objects.values_list("organisation_id", "indicator_id", "variation_icon", "mean", "upper"))
    alerts = sorted(Alert.objects.values_list("organisation_id", "indicator_id", "period", "statistic"))
    documents = dict(AnalysisResult.objects.values_list("key", "payload"))
    return z, spc, alerts, documents


def test_the_fanned_out_run_in_process_gives_the_in_process_results_and_names_each_part(worsening):
    results_recompute(triggered_by="test")
    expected = _all_results()
    out = io.StringIO()
    call_command("recompute", "--via-celery", "--force", verbosity=0, stdout=out)
    lines = out.getvalue().strip().splitlines()
    run = ComputationRun.objects.latest()
    assert run.status == RunStatus.SUCCEEDED and run.parameters["fan_out"] is True
    assert [line.split(":")[0] for line in lines[:-1]] == ["ed_4hr", "rtt_18wk"]
    assert all(" z-scores on " in line for line in lines[:-1])
    assert lines[-1].startswith(f"run {run.pk} succeeded in ") and lines[-1].endswith(
        ": 2 indicators recomputed, 0 skipped"
    )
    assert _served() == [(worsening["ed"].pk, run.pk), (worsening["rtt"].pk, run.pk)]
    assert _all_results() == expected
    # A retried part replaces its own rows.
    from indicators.recompute import results_compute_part

    results_compute_part(run.pk, worsening["ed"].pk)
    assert ZScore.objects.filter(indicator=worsening["ed"]).count() == 15 * 36
    # Incremental: nothing changed, no part.
    out = io.StringIO()
    call_command("recompute", "--via-celery", verbosity=0, stdout=out)
    assert out.getvalue().strip().endswith(": 0 indicators recomputed, 2 skipped")
    assert _all_results() == expected


@needs_a_broker
def test_a_chord_on_a_real_worker_gives_the_in_process_results(child_env, celery_worker):
    import os

    orgs = organisations(10)
    for code, seed in (("ed_4hr", 1), ("rtt_18wk", 2)):
        panel(proportion_indicator(code), orgs, month(2020, 1), 30, seed=seed)
    results_recompute(triggered_by="in-process")
    expected = _all_results()

    out = io.StringIO()
    with celery_worker(child_env, "chord"):
        call_command("recompute", "--via-celery", "--force", "--timeout", "60", verbosity=0, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 3 and all(f"chord-{os.getpid()}@" in line for line in lines[:2]), lines
    assert _all_results() == expected
