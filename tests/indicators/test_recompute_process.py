"""Runs in other processes: a run killed with SIGKILL half way, two runs at once, a real Celery worker."""

import signal
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from indicators.constants import RunStatus
from indicators.models import ComputationRun, ZScore
from indicators.recompute import RecomputeBusy, results_recompute
from indicators.selectors import latest_successful_run
from tests.indicators.builders import month, organisations, panel, proportion_indicator
from tests.processes import needs_a_broker, recompute_lock_held

KILL_AT_SECOND_INDICATOR = """
import os, signal, django
django.setup()
from indicators.recompute import results_recompute
seen = []
def progress(message):
    if ": " in message and "observations" in message:
        seen.append(message)
        if len(seen) == 2:  # the first indicator's new rows are written, inside the transaction
            os.kill(os.getpid(), signal.SIGKILL)
results_recompute(triggered_by="doomed", progress=progress)
"""


@pytest.fixture
def two_indicators(child_env):
    orgs = organisations(12)
    for code in ("aa_first", "bb_second"):
        panel(proportion_indicator(code), orgs, month(2018, 1), 24, seed=len(code))
    return child_env


def test_a_run_killed_half_way_leaves_the_last_good_run_served(two_indicators):
    good = results_recompute(triggered_by="test")
    before = sorted(ZScore.objects.values_list("organisation_id", "indicator_id", "period", "z_adjusted", "run_id"))
    child = subprocess.run(
        [sys.executable, "-c", KILL_AT_SECOND_INDICATOR], env=two_indicators, cwd=settings.BASE_DIR, timeout=120
    )
    assert child.returncode == -signal.SIGKILL
    connection.close()  # SQLite: a fresh connection rolls back the dead process's journal
    after = sorted(ZScore.objects.values_list("organisation_id", "indicator_id", "period", "z_adjusted", "run_id"))
    assert after == before
    assert latest_successful_run() == good
    doomed = ComputationRun.objects.get(triggered_by="doomed")
    assert doomed.status == RunStatus.RUNNING  # it never got the chance to say otherwise
    next_run = results_recompute(triggered_by="test")
    doomed.refresh_from_db()
    assert doomed.status == RunStatus.ABANDONED
    assert latest_successful_run() == next_run


def test_two_runs_never_interleave(two_indicators):
    with recompute_lock_held(), pytest.raises(RecomputeBusy):
        results_recompute(triggered_by="second")
    assert ComputationRun.objects.get(triggered_by="second").status == RunStatus.FAILED
    assert results_recompute(triggered_by="third").status == RunStatus.SUCCEEDED


@needs_a_broker
def test_a_real_celery_worker_recomputes_from_the_queue(two_indicators, celery_worker):
    from indicators.tasks import recompute_all

    with celery_worker(two_indicators, "test"):
        result = recompute_all.apply_async(kwargs={"triggered_by": "celery-test"})
        outcome = result.get(timeout=120)
    assert outcome["status"] == RunStatus.SUCCEEDED
    run = ComputationRun.objects.get(pk=outcome["run_id"])
    assert run.triggered_by == "celery-test"
    assert ZScore.objects.filter(run=run).count() == 2 * 12 * 24
    # Safe to run twice: a second task gives the same numbers.
    again = recompute_all.apply(kwargs={"triggered_by": "eager-again"}).get()
    assert again["counts"]["zscores"] == outcome["counts"]["zscores"]
