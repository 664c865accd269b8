"""Fill AuditContext.batch_id for the changes imports made before the batch travelled on the audit context.

Until then the audit pages found an imported row's batch by reading it back out of the reason text:
"Imported from <file> (historical import, batch 7)", or else the batch of that file that was running
when the row was written. That reading is done once, here; the pages now only read the field. Rows an
import wrote in bulk had no audit context at all: they get one, with the request id and channel of
their batch's own context, as the pages used to show them.
"""

import re

from django.db import migrations
from django.db.models import F

IMPORT_REASON_PREFIX = "Imported from "
HISTORICAL_IMPORT = re.compile(r"\(historical import, batch (\d+)\)$")
BATCH_LABEL = "indicators.importbatch"
CHUNK = 500


def batch_id_from_reason(reason: str, when, batches) -> int | None:
    """The batch an old import's reason names; `batches` are (id, file name, started, finished) of finished ones."""
    if not reason or not reason.startswith(IMPORT_REASON_PREFIX):
        return None
    name = reason[len(IMPORT_REASON_PREFIX) :]
    named = HISTORICAL_IMPORT.search(name)
    if named:
        return int(named.group(1))
    # The reason may be cut short (history keeps 100 characters): the file name starts with it.
    running = [
        (started, pk) for pk, file_name, started, finished in batches if file_name.startswith(name) and started <= when <= finished
    ]
    return max(running)[1] if running else None


def _history_models(apps):
    for model in apps.get_models():
        names = {field.name for field in model._meta.get_fields()}
        if {"history_id", "history_change_reason", "history_date"} <= names:
            yield model


def backfill(apps, schema_editor):
    AuditContext = apps.get_model("oversight", "AuditContext")
    AuditContext.objects.filter(history_model=BATCH_LABEL, batch_id=None).update(batch_id=F("history_id"))
    try:
        ImportBatch = apps.get_model("indicators", "ImportBatch")
    except LookupError:  # a database without the indicators app's tables has no imports to link
        return
    batches = list(ImportBatch.objects.exclude(finished=None).values_list("pk", "file_name", "started", "finished"))
    of_batch = {
        context.history_id: context for context in AuditContext.objects.filter(history_model=BATCH_LABEL)
    }
    for history in _history_models(apps):
        label = history._meta.label_lower
        rows = list(
            history.objects.filter(history_change_reason__startswith=IMPORT_REASON_PREFIX)
            .order_by("history_id")
            .values_list("history_id", "history_change_reason", "history_date")
        )
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            held = {
                context.history_id: context
                for context in AuditContext.objects.filter(
                    history_model=label, history_id__in=[history_id for history_id, _, _ in chunk]
                )
            }
            creating = []
            for history_id, short_reason, when in chunk:
                context = held.get(history_id)
                reason = (context.reason if context else "") or short_reason
                batch_id = batch_id_from_reason(reason, when, batches)
                if batch_id is None or (context is not None and context.batch_id is not None):
                    continue
                source = of_batch.get(batch_id)
                if context is None:
                    creating.append(
                        AuditContext(
                            history_model=label,
                            history_id=history_id,
                            request_id=source.request_id if source else "",
                            channel=source.channel if source else "",
                            reason=reason,
                            batch_id=batch_id,
                            recorded=when,
                        )
                    )
                    continue
                context.batch_id = batch_id
                if not context.request_id and source:
                    context.request_id, context.channel = source.request_id, source.channel
                context.save(update_fields=["batch_id", "request_id", "channel"])
            AuditContext.objects.bulk_create(creating, batch_size=CHUNK)


class Migration(migrations.Migration):
    dependencies = [("oversight", "0004_auditcontext_batch_id")]

    # Reversed, the field goes with 0004; the contexts made here stay, true as they are.
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
