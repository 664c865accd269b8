"""Importers: every supported file becomes one ImportBatch, loaded all or nothing.

    summary = import_file(ImportFormat.AE_MONTHLY, "msitae-2025-05.csv", user=request.user)
    print(summary)  # read 201, created 122, updated 0, skipped 79; organisations created …

A refused file raises ImportRefused; its `.errors` name the row, column, value and reason of
each problem, and its `.batch` is the failed ImportBatch kept in the import history.
"""

from .. import formats
from .base import ImportContext, ImportRefused, ImportSummary, run_import
from .organisations import infer_kind
from .reading import RowError

__all__ = [
    "ImportContext",
    "ImportRefused",
    "ImportSummary",
    "RowError",
    "detect_format",
    "import_file",
    "infer_kind",
]


def import_file(
    fmt: str,
    path_or_fileobj,
    *,
    user=None,
    file_name: str | None = None,
    synthetic: bool = False,
    progress: bool = False,
    batch=None,
) -> ImportSummary:
    """Import one file of format `fmt` (an ImportFormat value) from a path or a (binary or text) file object.

    `batch` is an ImportBatch created beforehand (an upload queued for its task) to run the import as.

    `organisations` also accepts the ODS etr extract and the 2021 trust list, told apart by the
    first row. `progress` shows a progress bar on stderr for large files when it is a terminal.
    Raises ImportRefused, having written nothing but the failed batch, when the file has errors.
    """
    entry = formats.get_format(fmt)  # UnknownFormat, a ValueError, names the registered ones
    return run_import(
        entry.name,
        path_or_fileobj,
        entry.importer,
        user=user,
        file_name=file_name,
        synthetic=synthetic,
        progress=progress,
        batch=batch,
    )


def detect_format(path_or_fileobj) -> str | None:
    """The format a file looks like from its first row, or None: the registry's detection (ingest.formats)."""
    return formats.detect_format(path_or_fileobj)
