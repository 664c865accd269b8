"""On PostgreSQL each run's z-scores are a partition of their own (indicators.recompute.partitions, issue 11)."""

import pytest
from django.db import connection

from indicators.constants import RunStatus
from indicators.models import ComputationRun, CurrentResult, ZScore
from indicators.recompute import partitions, results_prune, results_recompute
from indicators.recompute.parts import results_fan_out_start
from tests.indicators.builders import failed_recompute, month, organisations, panel, proportion_indicator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("z-scores are partitioned by run on PostgreSQL only")


@pytest.fixture
def two_indicators(db):
    orgs = organisations(6)
    ed, rtt = proportion_indicator("ed_4hr"), proportion_indicator("rtt_18wk")
    panel(ed, orgs, month(2021, 1), 24, seed=1)
    panel(rtt, orgs, month(2021, 1), 24, seed=2)
    return ed, rtt


def _partitions() -> dict[int, str]:
    """{run id: partition bounds} of the attached partitions, from the catalogue."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'indicators_zscore'::regclass"
        )
        rows = cursor.fetchall()
    return {int(name.rsplit("_run", 1)[1]): bound for name, bound in rows if "_run" in name}


def _indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT regexp_replace(indexdef, '^.* USING ', '') FROM pg_indexes WHERE tablename = %s", [table]
        )
        return {row[0] for row in cursor.fetchall()}


def test_a_run_writes_its_own_partition_with_every_index_of_the_parent(two_indicators):
    run = results_recompute(triggered_by="test")
    assert partitions.partitioned()
    assert _partitions() == {run.pk: f"FOR VALUES IN ('{run.pk}')"}
    assert _indexes(f"indicators_zscore_run{run.pk}") == {
        "btree (id, run_id)",
        "btree (organisation_id, indicator_id, period)",
        "btree (indicator_id, period)",
        "btree (run_id, indicator_id, id)",
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM indicators_zscore_default")
        assert cursor.fetchone()[0] == 0  # nothing of the run's in the default partition
    assert ZScore.objects.count() == 2 * 6 * 24 == run.counts["zscores"]
    ids = list(ZScore.all_runs.values_list("id", flat=True))
    assert len(set(ids)) == len(ids)  # one id sequence across partitions


def test_a_failed_run_leaves_no_table_behind(two_indicators, monkeypatch):
    good = results_recompute(triggered_by="test")
    failed = failed_recompute(monkeypatch)
    assert failed.status == RunStatus.FAILED
    assert set(partitions.run_tables()) == {good.pk}
    assert set(ZScore.objects.values_list("run_id", flat=True)) == {good.pk}


def test_the_prune_drops_the_tables_no_pointer_keeps_and_trims_a_partly_kept_one(two_indicators):
    ed, rtt = two_indicators
    first = results_recompute(triggered_by="test")
    second = results_recompute(triggered_by="test")
    third = results_recompute(indicator_codes=["ed_4hr"], triggered_by="test")
    # ed: third (previous second); rtt: second (previous first).
    assert dict(CurrentResult.objects.filter(indicator__isnull=False).values_list("indicator_id", "run_id")) == {
        ed.pk: third.pk,
        rtt.pk: second.pk,
    }
    results_prune()
    assert set(_partitions()) == {first.pk, second.pk, third.pk}
    # first is kept for rtt only (its previous run): ed's rows there go, rtt's stay.
    kept = set(ZScore.all_runs.values_list("run_id", "indicator_id").distinct())
    assert kept == {(first.pk, rtt.pk), (second.pk, ed.pk), (second.pk, rtt.pk), (third.pk, ed.pk)}
    fourth = results_recompute(triggered_by="test")
    results_prune()
    # Now every pointer is fourth (previous: third for ed, second for rtt): first's table is dropped.
    assert set(partitions.run_tables()) == {second.pk, third.pk, fourth.pk}
    assert ZScore.objects.count() == 2 * 6 * 24


def test_a_killed_fanned_out_runs_unattached_table_is_dropped_by_the_prune(two_indicators):
    results_recompute(triggered_by="test")
    run, parts = results_fan_out_start(triggered_by="test")
    assert parts and partitions.run_tables()[run.pk] == (f"indicators_zscore_run{run.pk}", False)
    assert not ZScore.all_runs.filter(run=run).exists()  # unattached: nobody reads it
    results_prune()
    assert run.pk in partitions.run_tables()  # still running: its parts may be writing
    ComputationRun.objects.filter(pk=run.pk).update(status=RunStatus.ABANDONED)
    results_prune()
    assert run.pk not in partitions.run_tables()


def test_rows_written_through_the_orm_go_to_the_default_partition_and_are_pruned_there(two_indicators):
    ed, _ = two_indicators
    served = results_recompute(triggered_by="test")
    stray = ComputationRun.objects.create(method_version="test", status=RunStatus.SUCCEEDED)
    row = ZScore.all_runs.filter(run=served).values("organisation_id", "period").first()
    ZScore.all_runs.create(run=stray, indicator=ed, z=1.0, z_adjusted=1.0, limits_rebuilt=False, **row)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM indicators_zscore_default")
        assert cursor.fetchone()[0] == 1
    results_prune()
    assert not ZScore.all_runs.filter(run=stray).exists()
    assert ZScore.objects.count() == 2 * 6 * 24
