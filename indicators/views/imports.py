"""The upload page: a file for import (oversight staff only), then the import history."""

from __future__ import annotations

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from oversight.permissions import is_oversight
from oversight.views import with_roles

from .. import page_selectors as reads
from ..constants import ImportFormat

logger = logging.getLogger(__name__)
PAGE_SIZE = 50


UPLOAD_FORMATS = [(value, label) for value, label in ImportFormat.choices if value != ImportFormat.SYNTHETIC]


class UploadForm(forms.Form):
    file = forms.FileField(label="File (CSV, or the staff survey xlsx)")
    format = forms.ChoiceField(
        choices=[("", "Detect from the file's header")] + UPLOAD_FORMATS, required=False, label="Format"
    )


def imports(request):
    """Upload a file for import (oversight staff only), then the import history."""
    user = with_roles(request.user)
    if not is_oversight(user):
        raise PermissionDenied("Only oversight staff may import files.")
    from ..importers import ImportRefused, detect_format, import_file  # the importers load lazily
    from ..tasks import recompute_after_import

    refusal = None
    status = 200
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            fmt = form.cleaned_data["format"] or detect_format(upload)
            if not fmt:
                form.add_error("format", "The file's header matches no known format; choose the format.")
            else:
                try:
                    summary = import_file(fmt, upload, user=user, file_name=upload.name)
                except ImportRefused as exc:
                    refusal = {"message": str(exc).splitlines()[0], "errors": exc.errors, "total": exc.total}
                    status = 422
                except ValueError as exc:
                    form.add_error("format", str(exc))
                except Exception:  # the batch records it; say so (never the database's text) rather than a 500
                    logger.exception("import of %s failed", upload.name)
                    form.add_error(
                        None,
                        "The import stopped on an internal error and nothing was loaded; it has been logged "
                        "for the administrators. Check the file is a plain CSV export and try again.",
                    )
                else:
                    recompute_after_import(triggered_by=f"upload by {user}")
                    messages.success(
                        request,
                        f"Imported {upload.name} as {dict(ImportFormat.choices)[fmt]}: {summary}. "
                        "Results are being recomputed; pages show the new numbers once the run finishes.",
                    )
                    return redirect("imports")
        if not form.is_valid() and refusal is None:
            status = 400
    else:
        form = UploadForm()
    history = Paginator(reads.import_history(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "indicators/imports.html", {"form": form, "refusal": refusal, "history": history}, status=status
    )
