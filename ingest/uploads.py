"""Uploads imported by a task (issue 11): the file is stored, its batch queued, and a worker imports it.

    batch = upload_store(upload=request.FILES["file"], fmt="observations", user=request.user)
    upload_queue(batch=batch)  # ingest.tasks: a Celery task, or in-process without a broker
    # the page /imports/<batch.pk>/ polls the batch's status and rows read

The web request only writes the file to disk (in chunks) and one row, so a large file never meets
the server's timeout; the import itself streams the stored file (bounded memory).
"""

import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from indicators.constants import BatchStatus, ImportFormat
from indicators.models import ImportBatch

from .importers.base import summary_text

logger = logging.getLogger(__name__)

UPLOAD_DIR = "uploads"
QUEUE_ERROR = (
    "the import could not be queued (the task queue did not answer); nothing was loaded. "
    "It has been logged for the administrators: try again in a few minutes."
)


def upload_path(batch: ImportBatch) -> Path:
    return Path(settings.MEDIA_ROOT) / batch.stored_file


def upload_store(*, upload, fmt: str, user) -> ImportBatch:
    """Write the upload to MEDIA_ROOT/uploads/<uuid> chunk by chunk and queue a batch for it."""
    name = f"{UPLOAD_DIR}/{uuid.uuid4().hex}"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        for chunk in upload.chunks():
            file.write(chunk)
    return ImportBatch.objects.create(
        file_name=(upload.name or "upload.csv")[:255],
        sha256="",  # the task reads the file and fills it
        format=ImportFormat(fmt).value,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        status=BatchStatus.QUEUED,
        stored_file=name,
    )


def upload_import(*, batch_id: int) -> dict:
    """Import a queued batch's stored file, then ask for the recompute; safe to run twice.

    The batch is claimed with one UPDATE … WHERE status = queued, so a task delivered twice (the
    worker died after taking it) imports the file once; the second answers with the batch's status.
    """
    from indicators.tasks import recompute_after_import

    from .importers import ImportRefused, import_file
    from .importers.base import INTERNAL_ERROR

    claimed = ImportBatch.objects.filter(pk=batch_id, status=BatchStatus.QUEUED).update(
        status=BatchStatus.RUNNING, heartbeat=timezone.now()
    )
    batch = ImportBatch.objects.select_related("uploaded_by").get(pk=batch_id)
    if not claimed:
        return {"status": batch.status, "batch_id": batch_id, "claimed": False}
    path = upload_path(batch)
    try:
        summary = import_file(
            batch.format, path, user=batch.uploaded_by, file_name=batch.file_name, batch=batch, progress=False
        )
    except ImportRefused:
        pass  # the batch holds the row-numbered errors
    except Exception:
        # run_import logged it and failed the batch; anything before it (a missing file) is failed here.
        logger.exception("import batch %s stopped", batch_id)
        fail_batch(batch_id, INTERNAL_ERROR.format(batch=batch_id), only_unfinished=True)
    else:
        who = batch.uploaded_by.get_username() if batch.uploaded_by else "system"
        recompute_after_import(triggered_by=f"upload {batch_id} by {who}")
        return {"status": BatchStatus.SUCCEEDED, "batch_id": batch_id, "summary": str(summary)}
    finally:
        path.unlink(missing_ok=True)
        ImportBatch.objects.filter(pk=batch_id).update(stored_file="")
    return {"status": ImportBatch.objects.get(pk=batch_id).status, "batch_id": batch_id}


def fail_batch(batch_id: int, message: str, *, only_unfinished: bool = False) -> None:
    """Mark a batch failed with one plain message (only while queued or running, with `only_unfinished`)."""
    batches = ImportBatch.objects.filter(pk=batch_id)
    if only_unfinished:
        batches = batches.filter(status__in=[BatchStatus.QUEUED, BatchStatus.RUNNING])
    batches.update(
        status=BatchStatus.FAILED,
        finished=timezone.now(),
        errors=[{"row": None, "column": "", "value": "", "message": message}],
    )


def batch_summary(batch: ImportBatch) -> str:
    """What a finished batch did, in the words of ImportSummary (from the stored counts)."""
    return summary_text(
        batch.rows_read,
        batch.rows_created,
        batch.rows_updated,
        batch.rows_skipped,
        unverified_codes=batch.unverified_codes,
        not_trusts=batch.excluded_codes,
    )
