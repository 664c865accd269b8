"""Celery tasks: thin interfaces that take ids or codes and call a service; safe to run twice."""

from celery import shared_task
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError

from .recompute import (
    RecomputeBusy,
    results_compute_part,
    results_fan_out_finish,
    results_fan_out_start,
    results_prune,
    results_recompute,
)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, BrokerError),
    retry_backoff=30,
    retry_kwargs={"max_retries": 3},
    soft_time_limit=1800,
    time_limit=2100,
    acks_late=True,
)
def recompute_all(
    self, indicator_codes: list[str] | None = None, triggered_by: str = "celery", incremental: bool = False
) -> dict:
    """Recompute every stored result (nightly from beat and after each import: only what changed)."""
    try:
        run = results_recompute(indicator_codes=indicator_codes, triggered_by=triggered_by, incremental=incremental)
    except RecomputeBusy:
        # Recorded as a request: the run in progress runs a follow-up when it ends (never dropped).
        return {"status": "coalesced", "reason": "another recompute is running; a follow-up run will follow it"}
    return {"status": run.status, "run_id": run.pk, "counts": run.counts}


@shared_task(bind=True, acks_late=True, soft_time_limit=1800, time_limit=2100, max_retries=20)
def recompute_as_at(self, as_at: str, triggered_by: str = "celery") -> dict:
    """A run as at a past date (issue 15), queued by oversight staff from the board or trust page.

    Never served as current; while another recompute holds the lock it waits and tries again.
    """
    from datetime import date

    from .recompute import as_at_run

    day = date.fromisoformat(as_at)
    if (existing := as_at_run(day)) is not None:  # asked twice: the first one's run serves both
        return {"status": existing.status, "run_id": existing.pk, "as_at": as_at}
    try:
        run = results_recompute(triggered_by=triggered_by, as_at=day)
    except RecomputeBusy as exc:
        raise self.retry(countdown=60) from exc
    return {"status": run.status, "run_id": run.pk, "as_at": as_at}


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_kwargs={"max_retries": 3})
def recompute_part(self, run_id: int, indicator_id: int) -> dict:
    """One indicator of a fanned-out run, on whichever worker takes it; a retry replaces its own rows."""
    import socket

    part = results_compute_part(run_id, indicator_id)
    part["hostname"] = self.request.hostname or socket.gethostname()
    return part


@shared_task(acks_late=True)
def recompute_finish(parts: list[dict], run_id: int) -> dict:
    """The chord's body: programme-level results and the pointer switch, once every part succeeded."""
    run = results_fan_out_finish(run_id, parts)
    return {"status": run.status, "run_id": run.pk, "counts": run.counts}


def recompute_fan_out(*, triggered_by: str = "celery chord", incremental: bool = False):
    """Queue a run as a chord of one part per indicator and a final step; returns (run, AsyncResult).

    Without a broker (task_always_eager) the same parts run here, one after another.
    """
    from celery import chord

    run, indicator_ids = results_fan_out_start(triggered_by=triggered_by, incremental=incremental)
    parts = [recompute_part.s(run.pk, indicator_id) for indicator_id in indicator_ids]
    if not parts:
        return run, recompute_finish.apply(args=([], run.pk))
    return run, chord(parts)(recompute_finish.s(run.pk))


@shared_task(acks_late=True)
def prune_results() -> dict:
    """Delete result rows no pointer serves (keeping each indicator's previous run), after a switch."""
    return results_prune()


def recompute_after_import(*, triggered_by: str) -> None:
    """Queue a recompute once the import's transaction has committed (in-process without a broker).

    Never dropped: a recompute already running records it as a follow-up (RecomputeRequest), and a
    broker that does not answer leaves the request recorded for the next run to pick up.
    """
    from django.db import transaction

    def queue() -> None:
        try:
            recompute_all.delay(triggered_by=triggered_by, incremental=True)
        except BrokerError:
            import logging

            from .models import RecomputeRequest

            logging.getLogger(__name__).exception("recompute after import not queued; recorded as a request")
            RecomputeRequest.objects.create(triggered_by=triggered_by[:100])

    transaction.on_commit(queue)
