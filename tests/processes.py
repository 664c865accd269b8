"""Tests that reach other processes: a real Celery worker on the configured broker, the recompute lock held
from outside. The worker's environment comes from `child_env` (tests/conftest.py)."""

import fcntl
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest


def needs_a_broker(test):
    """Marks a test that runs a real worker: `celery`, and skipped where no broker is configured."""
    no_broker = not os.environ.get("CELERY_BROKER_URL")
    return pytest.mark.celery(pytest.mark.skipif(no_broker, reason="needs CELERY_BROKER_URL (CI sets Redis)")(test))


def subprocess_environment() -> dict:
    """Environment for a child process (a Celery worker, a run to be killed) that uses the test database."""
    from django.db import connection

    settings_dict = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="oversight.settings.test")
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{settings_dict['NAME']}"
    else:
        user = settings_dict.get("USER") or "postgres"
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{settings_dict['NAME']}"
    return env


@contextmanager
def celery_worker_running(env: dict, name: str):
    """One solo worker on the `celery` queue, named `name-<pid>@host`, stopped on leaving the block."""
    from django.conf import settings

    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "oversight", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=warning", "-Q", "celery", "-n", f"{name}-{os.getpid()}@%h"],
        env=env,
        cwd=settings.BASE_DIR,
    )  # fmt: skip
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=30)


@contextmanager
def recompute_lock_held():
    """The recompute lock taken by another holder (a second connection's advisory lock on PostgreSQL,
    an flock on the lock file on SQLite) for the length of the block."""
    from django.db import connection

    from indicators.recompute.lock import ADVISORY_LOCK_KEY, LOCK_FILE

    if connection.vendor == "postgresql":
        import psycopg

        holder = psycopg.connect(subprocess_environment()["DATABASE_URL"].replace("postgres://", "postgresql://"))
        holder.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
        release = holder.close
    else:
        handle = open(LOCK_FILE, "w")  # noqa: SIM115 — held across the block
        fcntl.flock(handle, fcntl.LOCK_EX)
        release = handle.close
    try:
        yield
    finally:
        release()
