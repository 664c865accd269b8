"""Celery tasks: ids only, safe to run twice (events are keyed, notifications and emails written once)."""

from celery import shared_task
from django.db import OperationalError
from kombu.exceptions import OperationalError as BrokerError

from . import services

RETRY = {"autoretry_for": (OperationalError, BrokerError), "retry_backoff": 10, "retry_kwargs": {"max_retries": 3}}


@shared_task(acks_late=True, **RETRY)
def notify_after_run(run_id: int) -> dict:
    """After every recompute (succeeded or failed): its new events, fanned out to subscribers."""
    return services.notify(services.events_from_run(run_id))


@shared_task(acks_late=True, **RETRY)
def notify_after_decision(episode_id: int, created: bool = False) -> dict:
    return services.notify(services.events_from_episode(episode_id, created))


@shared_task(acks_late=True, **RETRY)
def notify_after_criterion(criterion_id: int) -> dict:
    return services.notify(services.events_from_criterion(criterion_id))


@shared_task(acks_late=True, **RETRY)
def notify_after_import(batch_id: int) -> dict:
    return services.notify(services.events_from_import(batch_id))


@shared_task(acks_late=True, **RETRY)
def send_daily_digests() -> dict:
    return {"emails": services.send_digests()}


@shared_task(acks_late=True, **RETRY)
def email_weekly_board_packs() -> dict:
    return {"emails": services.email_board_packs()}


def queue(task, object_id: int, **kwargs) -> None:
    """Send the task once the current transaction has committed (the worker must see the rows)."""
    from django.db import transaction

    # robust: a notification that cannot be queued never undoes or fails the change it reports.
    transaction.on_commit(lambda: task.delay(object_id, **kwargs), robust=True)
