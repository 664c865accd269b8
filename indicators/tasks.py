"""Celery tasks: thin interfaces that take ids or codes and call a service; safe to run twice."""

from celery import shared_task
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError

from .services import RecomputeBusy, results_prune, results_recompute


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


@shared_task(acks_late=True)
def prune_results() -> dict:
    """Delete result rows no pointer serves (keeping each indicator's previous run), after a switch."""
    return results_prune()


def recompute_after_import(*, triggered_by: str) -> None:
    """Queue a recompute once the import's transaction has committed (in-process without a broker)."""
    from django.db import transaction

    transaction.on_commit(lambda: recompute_all.delay(triggered_by=triggered_by, incremental=True))
