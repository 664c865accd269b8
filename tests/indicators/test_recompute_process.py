"""Runs in other processes: a run killed with SIGKILL half way, two runs at once, a real Celery worker."""

import fcntl
import os
import signal
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from indicators.constants import RunStatus
from indicators.models import ComputationRun, ZScore
from indicators.recompute import RecomputeBusy, results_recompute
from indicators.recompute.lock import ADVISORY_LOCK_KEY, LOCK_FILE
from indicators.selectors import latest_successful_run
from tests.indicators.builders import month, organisations, panel, proportion_indicator

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
    if connection.vendor == "postgresql":
        import psycopg

        holder = psycopg.connect(two_indicators["DATABASE_URL"].replace("postgres://", "postgresql://"))
        holder.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        release = holder.close
    else:
        handle = open(LOCK_FILE, "w")  # noqa: SIM115 — held across the assertion below
        fcntl.flock(handle, fcntl.LOCK_EX)
        release = handle.close
    try:
        with pytest.raises(RecomputeBusy):
            results_recompute(triggered_by="second")
    finally:
        release()
    assert ComputationRun.objects.get(triggered_by="second").status == RunStatus.FAILED
    assert results_recompute(triggered_by="third").status == RunStatus.SUCCEEDED


@pytest.mark.celery
@pytest.mark.skipif(not os.environ.get("CELERY_BROKER_URL"), reason="needs CELERY_BROKER_URL (CI sets Redis)")
def test_a_real_celery_worker_recomputes_from_the_queue(two_indicators, monkeypatch):
    from indicators.tasks import recompute_all
    from oversight.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", False)
    app.control.purge()  # nothing left over from an earlier run

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "oversight",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=warning",
            "-Q",
            "celery",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        env=two_indicators,
        cwd=settings.BASE_DIR,
    )
    try:
        result = recompute_all.apply_async(kwargs={"triggered_by": "celery-test"})
        outcome = result.get(timeout=120)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert outcome["status"] == RunStatus.SUCCEEDED
    run = ComputationRun.objects.get(pk=outcome["run_id"])
    assert run.triggered_by == "celery-test"
    assert ZScore.objects.filter(run=run).count() == 2 * 12 * 24
    # Safe to run twice: a second task gives the same numbers.
    again = recompute_all.apply(kwargs={"triggered_by": "eager-again"}).get()
    assert again["counts"]["zscores"] == outcome["counts"]["zscores"]
