"""What every importer shares: the batch record, the all-or-nothing transaction, and the upserts.

`run_import` records an ImportBatch before touching any data, runs the importer inside one
transaction, and on refusal rolls the data back but keeps the batch (status failed, with the
errors) so the import history shows refused files too.
"""

import hashlib
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone
from tqdm import tqdm

from indicators.constants import BatchStatus
from indicators.models import ImportBatch, Indicator
from oversight import dataversion
from oversight.audit import audit_batch, bulk_create_with_history, bulk_update_with_history
from trusts.models import Organisation

from .reading import ErrorList, Row, RowCells, RowError, TextFile, decode, scan_file

BULK_BATCH_SIZE = 500
PROGRESS_MIN_ROWS = 2000
HEARTBEAT_ROWS = 5000  # rows between two progress reports of an import the page is polling
OBSERVATION_VALUE_FIELDS = ("numerator", "denominator", "value", "lower", "upper")


@dataclass
class ImportSummary:
    """What one file did: rows read, records created and updated, rows skipped, codes in no register."""

    batch: ImportBatch
    read: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    unverified_codes: list[str] = field(default_factory=list)
    # Organisations written on the side: ICBs a register refers to, trusts named in an A&E file,
    # codes in no register. The main counts above are of the file's own records.
    organisations_created: int = 0
    organisations_updated: int = 0
    # Providers in the file that are not NHS trusts (independent sector, ICB rows, codes in no
    # trust register): their rows are counted in `skipped` and not loaded. Code → why.
    not_trusts: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return summary_text(
            self.read,
            self.created,
            self.updated,
            self.skipped,
            organisations=(self.organisations_created, self.organisations_updated),
            unverified_codes=self.unverified_codes,
            not_trusts=sorted(self.not_trusts),
        )


def summary_text(
    read: int,
    created: int,
    updated: int,
    skipped: int,
    *,
    organisations: tuple[int, int] = (0, 0),
    unverified_codes: Sequence[str] = (),
    not_trusts: Sequence[str] = (),
) -> str:
    """What one file did, in words: of a summary in hand, or of a finished batch's stored counts."""
    text = f"read {read}, created {created}, updated {updated}, skipped {skipped}"
    if any(organisations):
        text += f"; organisations created {organisations[0]}, updated {organisations[1]}"
    if unverified_codes:
        count = len(unverified_codes)
        text += f"; {count} {'code' if count == 1 else 'codes'} in no register, held as unverified: " + ", ".join(
            unverified_codes
        )
    if not_trusts:
        count = len(not_trusts)
        text += f"; {count} {'provider' if count == 1 else 'providers'} not NHS trusts, not loaded: " + ", ".join(
            not_trusts
        )
    return text


class ImportRefused(Exception):
    """A file refused as a whole: nothing was written but the failed batch. `errors` lists the reasons."""

    def __init__(self, errors: list[RowError], *, batch: ImportBatch | None = None, total: int | None = None):
        self.errors = errors
        self.batch = batch
        self.total = len(errors) if total is None else total
        super().__init__(self.total)

    def lines(self) -> list[str]:
        lines = [str(error) for error in self.errors]
        if self.total > len(self.errors):
            lines.append(f"and {self.total - len(self.errors)} more")
        return lines

    def __str__(self) -> str:
        name = self.batch.file_name if self.batch else "the file"
        plural = "error" if self.total == 1 else "errors"
        return f"{name} was refused ({self.total} {plural}); nothing was imported:\n" + "\n".join(self.lines())


class _Refusal(Exception):
    """Raised inside the transaction to roll it back once a file has errors."""


@dataclass
class ImportContext:
    """The state of one import, handed to the importer: its batch, counters, errors and options."""

    batch: ImportBatch
    summary: ImportSummary
    errors: ErrorList
    user: object = None
    synthetic: bool = False
    progress: bool = False
    heartbeat: Callable[[int], None] | None = None

    @property
    def change_reason(self) -> str:
        return f"Imported from {self.batch.file_name}"[:100]

    def refuse_if_errors(self) -> None:
        if self.errors:
            raise _Refusal

    def rows(self, rows: Sequence | Iterable, description: str = "rows") -> Iterable:
        """The rows, behind a progress bar on stderr when the file is large and a person is watching.

        With a `heartbeat` (an import task the page polls), the rows read so far are reported every
        HEARTBEAT_ROWS rows.
        """
        shown = rows
        # A streamed file (a generator) has no length: its bar counts the rows read.
        if self.progress and (not isinstance(rows, Sequence) or len(rows) >= PROGRESS_MIN_ROWS):
            # disable=None: tqdm itself stays quiet when stderr is not a terminal.
            shown = tqdm(rows, desc=description, unit=" rows", file=sys.stderr, disable=None, leave=False)
        return shown if self.heartbeat is None else self._beating(shown)

    def _beating(self, rows: Iterable) -> Iterator:
        for index, row in enumerate(rows, 1):
            yield row
            if index % HEARTBEAT_ROWS == 0:
                self.heartbeat(self.summary.read)

    @contextmanager
    def counting(self, description: str = "rows") -> Iterator[Callable[[int], None]]:
        """For rows read in bulk (a file's chunks COPYed as they come): call the function with the rows read so far.

        The progress bar and heartbeat of `rows`, at the reader's pace: a heartbeat each time the
        count passes a multiple of HEARTBEAT_ROWS.
        """
        bar = None
        if self.progress:
            bar = tqdm(desc=description, unit=" rows", file=sys.stderr, disable=None, leave=False)
        beats = 0

        def advance(read: int) -> None:
            nonlocal beats
            if bar is not None:
                bar.update(read - bar.n)
            if self.heartbeat is not None and read // HEARTBEAT_ROWS > beats:
                beats = read // HEARTBEAT_ROWS
                self.heartbeat(read)

        try:
            yield advance
        finally:
            if bar is not None:
                bar.close()

    def cells(self, row) -> RowCells:
        return RowCells(row, self.errors)

    def read(self, rows: Sequence | Iterable, description: str = "rows") -> Iterator[tuple[Row, RowCells]]:
        """Each row with its cells, counted as read (behind the progress bar and heartbeat of `rows`)."""
        for row in self.rows(rows, description):
            self.summary.read += 1
            yield row, self.cells(row)


Importer = Callable[[str, ImportContext], None]

logger = logging.getLogger(__name__)

INTERNAL_ERROR = (
    "the import stopped on an internal error; nothing was loaded. It has been logged for the administrators "
    "(batch {batch})"
)


ABANDONED_ERROR = {
    "row": None,
    "column": "",
    "value": "",
    "message": "the import's process ended before it finished; nothing was loaded. Upload the file again.",
}


def abandon_dead_batches() -> int:
    """Mark as abandoned every batch that can no longer finish (its process died), as runs are marked.

    Running: for longer than any import may live (a task dies at its hard time limit, a web worker
    at the server's timeout: settings.IMPORT_ABANDONED_AFTER_SECONDS), or silent for longer than
    IMPORT_HEARTBEAT_STALE_SECONDS since its last progress report. Queued: its task was never taken
    for three times that limit (the message was lost with the broker).
    """
    from django.db.models import Q

    limit = getattr(settings, "IMPORT_ABANDONED_AFTER_SECONDS", 0) or settings.CELERY_TASK_TIME_LIMIT + 60
    silent = getattr(settings, "IMPORT_HEARTBEAT_STALE_SECONDS", 0) or 15 * 60
    now = timezone.now()
    dead = Q(status=BatchStatus.RUNNING) & (
        Q(started__lt=now - timedelta(seconds=limit)) | Q(heartbeat__lt=now - timedelta(seconds=silent))
    )
    lost = Q(status=BatchStatus.QUEUED, started__lt=now - timedelta(seconds=3 * limit))
    return ImportBatch.objects.filter(dead | lost).update(
        status=BatchStatus.ABANDONED, finished=now, errors=[ABANDONED_ERROR]
    )


class BatchHeartbeat:
    """Writes a running batch's rows read and heartbeat where other processes see them at once.

    The import runs in one transaction, so on PostgreSQL the report goes through a second
    connection (a row update the import's own inserts never conflict with; a lock wait is cut
    short). SQLite allows one writer: there it is written only outside a transaction. A report
    that cannot be written is logged and the import goes on.
    """

    def __init__(self, batch_id: int):
        self.batch_id = batch_id
        self.side = None

    def __call__(self, rows_read: int) -> None:
        try:
            if connection.vendor == "postgresql":
                if self.side is None:
                    self.side = connections.create_connection(DEFAULT_DB_ALIAS)
                with self.side.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '2s'")
                    cursor.execute(
                        f"UPDATE {ImportBatch._meta.db_table} SET rows_read = %s, heartbeat = %s WHERE id = %s",
                        [rows_read, timezone.now(), self.batch_id],
                    )
            elif not connection.in_atomic_block:
                ImportBatch.objects.filter(pk=self.batch_id).update(rows_read=rows_read, heartbeat=timezone.now())
        except DatabaseError:
            logger.warning("progress of import batch %s not recorded", self.batch_id, exc_info=True)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _refuse_nul(text: str, context: ImportContext) -> None:
    """A NUL character is never data (PostgreSQL refuses it in text): name its line and refuse the file."""
    at = text.find("\x00")
    if at >= 0:
        _nul_error(text.count("\n", 0, at) + 1, context)


def _nul_error(line: int, context: ImportContext) -> None:
    context.errors.add(line, "", "NUL", "the file contains a NUL byte (\\x00); save it again as plain CSV text")


@dataversion.bumps
def run_import(
    fmt: str,
    source,
    importer: Importer,
    *,
    user=None,
    file_name: str | None = None,
    synthetic: bool = False,
    progress: bool = False,
    batch: ImportBatch | None = None,
) -> ImportSummary:
    """Import one file as one transaction and record it as an ImportBatch, refused or not.

    An importer marked `streaming` reads a file given by path line by line (bounded memory: the
    file is scanned once for its digest, encoding and any NUL, then parsed as it is read). `batch`
    is one created beforehand (an upload queued for a task): it is run, and reports its progress.
    """
    scanned = data = None
    if getattr(importer, "streaming", False) and isinstance(source, str | os.PathLike):
        path = Path(source)
        scanned, name = scan_file(path), file_name or path.name
        sha256 = scanned.sha256
    else:
        data, name = read_source(source, file_name)
        sha256 = hashlib.sha256(data).hexdigest()
    abandon_dead_batches()
    heartbeat = None
    if batch is None:
        batch = ImportBatch.objects.create(
            file_name=name[:255],
            sha256=sha256,
            format=fmt,
            uploaded_by=user if getattr(user, "is_authenticated", False) else None,
            synthetic=synthetic,
        )
    else:
        batch.sha256, batch.status, batch.heartbeat = sha256, BatchStatus.RUNNING, timezone.now()
        batch.save(update_fields=["sha256", "status", "heartbeat"])
        heartbeat = BatchHeartbeat(batch.pk)
    context = ImportContext(
        batch=batch,
        summary=ImportSummary(batch=batch),
        errors=ErrorList(),
        user=batch.uploaded_by,
        synthetic=synthetic,
        progress=progress,
        heartbeat=heartbeat,
    )
    try:
        # audit_batch: every audit context written inside names this batch.
        with transaction.atomic(), audit_batch(batch.pk):
            if scanned is not None:
                if scanned.nul_line is not None:
                    _nul_error(scanned.nul_line, context)
                context.refuse_if_errors()
                importer(TextFile(path, scanned.encoding), context)
            elif getattr(importer, "binary", False):
                importer(data, context)
            else:
                text, data = decode(data), None  # the bytes are not needed once decoded
                _refuse_nul(text, context)
                context.refuse_if_errors()
                importer(text, context)
            context.refuse_if_errors()
    except _Refusal:
        _finish(context, BatchStatus.FAILED)
        raise ImportRefused(context.errors.listed, batch=batch, total=context.errors.total) from None
    except Exception:
        # The database's own text (a constraint, an encoding) is logged, never shown: it names internals.
        logger.exception("import batch %s (%s, %s) failed", batch.pk, fmt, name)
        context.errors = ErrorList()  # what was found before the failure is moot: nothing was loaded
        context.errors.add(None, "", "", INTERNAL_ERROR.format(batch=batch.pk))
        _finish(context, BatchStatus.FAILED)
        raise
    finally:
        if heartbeat is not None:
            heartbeat.close()
    _finish(context, BatchStatus.SUCCEEDED)
    return context.summary


def read_source(source, file_name: str | None = None) -> tuple[bytes, str]:
    """The bytes and name of a path, or of a file object opened in binary or text mode (an upload)."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return path.read_bytes(), file_name or path.name
    if hasattr(source, "seek"):
        try:
            source.seek(0)
        except (OSError, ValueError):
            pass  # a pipe or a stream already at its start
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    name = file_name or os.path.basename(getattr(source, "name", "") or "") or "upload.csv"
    return data, name


def _finish(context: ImportContext, status: str) -> None:
    batch, summary = context.batch, context.summary
    batch.status = status
    batch.finished = timezone.now()
    batch.rows_read = summary.read
    batch.rows_created = summary.created if status == BatchStatus.SUCCEEDED else 0
    batch.rows_updated = summary.updated if status == BatchStatus.SUCCEEDED else 0
    batch.rows_skipped = summary.skipped
    batch.errors = context.errors.as_json()
    batch.unverified_codes = summary.unverified_codes if status == BatchStatus.SUCCEEDED else []
    batch.excluded_codes = sorted(summary.not_trusts) if status == BatchStatus.SUCCEEDED else []
    batch.heartbeat = batch.finished
    batch.save()


class KeyRegister:
    """The line where each key was first seen in a file, to refuse a key given twice.

    `compact` keeps each key's hash rather than the key (a long file's million keys in a tenth of
    the memory); two different keys share a 64-bit hash with a chance of about 1 in 10^7 in such a
    file, and would be reported as a duplicate.
    """

    def __init__(self, what: str, *, compact: bool = False):
        self.what = what
        self.compact = compact
        self.first_lines: dict = {}

    def claim(self, cells: RowCells, key: tuple, column: str) -> bool:
        first = self.first_lines.setdefault(hash(key) if self.compact else key, cells.row.line)
        if first == cells.row.line:
            return True
        shown = ", ".join(value.isoformat() if isinstance(value, date) else str(value) for value in key)
        cells.error(column, f"duplicates row {first}: the same {self.what} ({shown}) is given twice")
        return False


def create_with_history(context: ImportContext, objects: list, *, reason: str | None = None) -> list:
    """bulk_create that also writes each record's history row, attributed to the importing user."""
    if not objects:
        return []
    if isinstance(objects[0], Organisation):
        from trusts.naming import sector_from_code

        for org in objects:  # bulk_create skips Organisation.save, which fills a blank sector
            org.sector = org.sector or sector_from_code(org.ods_code, kind=org.kind)
            org.name_source = org.name_source or org.name
    return bulk_create_with_history(
        objects,
        type(objects[0]),
        batch_size=BULK_BATCH_SIZE,
        default_user=context.user,
        default_change_reason=reason or context.change_reason,
    )


def update_with_history(context: ImportContext, objects: list, fields: list[str], *, reason: str | None = None) -> None:
    """bulk_update of full instances that also writes their history rows (the before/after trail)."""
    if objects:
        bulk_update_with_history(
            objects,
            type(objects[0]),
            fields,
            batch_size=BULK_BATCH_SIZE,
            default_user=context.user,
            default_change_reason=reason or context.change_reason,
        )


def organisation_ids(context: ImportContext, codes: set[str]) -> dict[str, int]:
    """The id of each ODS code; a code in no register becomes an unverified organisation named by its code.

    Every code that maps to an unverified organisation, new or already held, is listed in the summary.
    """
    found = {
        code: (pk, verified)
        for code, pk, verified in Organisation.objects.filter(ods_code__in=codes).values_list(
            "ods_code", "pk", "verified"
        )
    }
    missing = sorted(codes - found.keys())
    if missing:
        create_with_history(context, [Organisation(ods_code=code, name=code, verified=False) for code in missing])
        context.summary.organisations_created += len(missing)
        found.update(
            (code, (pk, False))
            for code, pk in Organisation.objects.filter(ods_code__in=missing).values_list("ods_code", "pk")
        )
    unverified = {code for code, (_, verified) in found.items() if not verified}
    context.summary.unverified_codes = sorted(unverified | set(context.summary.unverified_codes))
    return {code: pk for code, (pk, _) in found.items()}


class TrustRegister:
    """Which codes of a national file are NHS trusts to load, and which are other providers.

    An NHS trust here is an organisation held (from a register, or flagged unverified from an
    earlier national file, such as a merged predecessor) that is not an ICB. Independent-sector
    providers (8KL73…), ICB rows and codes in no register are not errors: their rows are counted
    as skipped and their codes listed in the summary, and they never reach national values.
    """

    def __init__(self, context: ImportContext):
        self.context = context
        self.kinds = dict(Organisation.objects.values_list("ods_code", "kind"))

    def accepts(self, code: str, *, name: str = "", level: str = "") -> bool:
        reason = None
        if level and level.lower() == "icb":
            reason = "an ICB row"
        elif code not in self.kinds:
            reason = "in no trust register" + (f" ({name})" if name else "")
        elif self.kinds[code] == "icb":
            reason = "an integrated care board"
        if reason is None:
            return True
        self.context.summary.not_trusts.setdefault(code, reason)
        return False


def catalogued_indicator(context: ImportContext, code: str) -> Indicator | None:
    """The indicator an A&E file feeds; its absence is an error on the file, not a crash."""
    indicator = Indicator.objects.filter(code=code).first()
    if indicator is None:
        context.errors.add(
            None,
            "",
            "",
            f'the indicator "{code}" is not in the catalogue: import it first '
            "(manage.py import_indicators data/indicators.csv)",
        )
    return indicator
