"""Celery tasks for imports: thin interfaces that take ids and call a service; safe to run twice."""

import logging

from celery import shared_task

from .uploads import QUEUE_ERROR, fail_batch, upload_import

logger = logging.getLogger(__name__)


# The name it had under indicators.tasks: messages queued before the move still find it.
@shared_task(name="indicators.tasks.import_upload", acks_late=True)
def import_upload(batch_id: int) -> dict:
    """Import an upload stored and queued by the page (issue 11), then queue the recompute; safe to run twice."""
    return upload_import(batch_id=batch_id)


def upload_queue(*, batch) -> None:
    """Send the batch to its import task; a broker that does not answer fails the batch with a plain message.

    Here, beside the task, so that uploads (the service the task calls) needs no import of its caller.
    """
    try:
        import_upload.delay(batch.pk)
    except Exception:
        logger.exception("import batch %s could not be queued", batch.pk)
        fail_batch(batch.pk, QUEUE_ERROR)
