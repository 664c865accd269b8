"""The upload page and each upload's status page (issue 11): the request stores the file, a task imports it.

`/imports/` takes the file and redirects to `/imports/<id>/`, which shows the batch's progress (rows
read, status) until it finishes, then its summary or its row-numbered errors. The page refreshes
itself without JavaScript; with it, `static/js/import-status.js` polls `/imports/<id>/status.json`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from indicators import page_selectors as reads
from indicators.constants import BatchStatus
from indicators.models import ImportBatch
from oversight.permissions import is_oversight
from oversight.views import with_roles

from .tasks import upload_queue
from .uploads import batch_summary, upload_store

PAGE_SIZE = 25
UNFINISHED = (BatchStatus.QUEUED, BatchStatus.RUNNING)
REFRESH_SECONDS = 3


def _format_choices() -> list[tuple[str, str]]:
    from .formats import upload_choices  # the registry imports every importer: loaded on first use

    return [("", "Detect from the file's header"), *upload_choices()]


class UploadForm(forms.Form):
    file = forms.FileField(label="File (CSV, or the staff survey xlsx)")
    format = forms.ChoiceField(choices=_format_choices, required=False, label="Format")


def _oversight_only(request):
    user = with_roles(request.user)
    if not is_oversight(user):
        raise PermissionDenied("Only oversight staff may import files.")
    return user


def _abandon_dead_batches() -> None:
    from .importers.base import abandon_dead_batches  # the importers load lazily

    abandon_dead_batches()


def imports(request):
    """Upload a file for import (oversight staff only), then the import history."""
    user = _oversight_only(request)
    from .importers import detect_format

    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            fmt = form.cleaned_data["format"] or detect_format(upload)
            if fmt:
                batch = upload_store(upload=upload, fmt=fmt, user=user)
                upload_queue(batch=batch)
                return redirect("import-status", pk=batch.pk)
            form.add_error("format", "The file's header matches no known format; choose the format.")
        status = 400
    else:
        form = UploadForm()
    _abandon_dead_batches()
    history = Paginator(reads.import_history(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "ingest/imports.html", {"form": form, "history": history}, status=status)


def _state(batch: ImportBatch) -> dict:
    done = batch.status not in UNFINISHED
    state = {
        "id": batch.pk,
        "file_name": batch.file_name,
        "format": batch.get_format_display(),
        "status": batch.status,
        "status_display": batch.get_status_display(),
        "rows_read": batch.rows_read,
        "done": done,
        "finished": batch.finished.isoformat() if batch.finished else None,
    }
    if batch.status == BatchStatus.SUCCEEDED:
        state["summary"] = batch_summary(batch)
    elif done:
        state["errors"] = batch.errors
    return state


@require_safe
def import_status(request, pk: int):
    """One upload: its progress while it runs, then its summary or the row-numbered errors of its refusal."""
    _oversight_only(request)
    _abandon_dead_batches()
    batch = get_object_or_404(ImportBatch.objects.select_related("uploaded_by"), pk=pk)
    state = _state(batch)
    refusal = None
    if batch.status in (BatchStatus.FAILED, BatchStatus.ABANDONED):
        errors = [error for error in batch.errors if not error["message"].startswith("and ")]
        more = len(batch.errors) - len(errors)
        refusal = {"errors": errors, "more": batch.errors[-1]["message"] if more else ""}
    return render(
        request,
        "ingest/import_status.html",
        {"batch": batch, "state": state, "refusal": refusal, "refresh_seconds": REFRESH_SECONDS},
    )


@require_safe
def import_status_json(request, pk: int):
    """The state the status page polls: status, rows read so far, and once done the summary or errors."""
    _oversight_only(request)
    _abandon_dead_batches()
    batch = get_object_or_404(ImportBatch, pk=pk)
    return JsonResponse(_state(batch))
