"""What every importer shares: the batch record, the all-or-nothing transaction, and the upserts.

`run_import` records an ImportBatch before touching any data, runs the importer inside one
transaction, and on refusal rolls the data back but keeps the batch (status failed, with the
errors) so the import history shows refused files too.
"""

import hashlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from oversight.audit import audit_batch, bulk_create_with_history, bulk_update_with_history
from trusts.models import Organisation

from ..constants import BatchStatus
from ..models import ImportBatch, Indicator, Observation
from .reading import ErrorList, RowCells, RowError, decode

BULK_BATCH_SIZE = 500
PROGRESS_MIN_ROWS = 2000
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
        text = f"read {self.read}, created {self.created}, updated {self.updated}, skipped {self.skipped}"
        if self.organisations_created or self.organisations_updated:
            text += f"; organisations created {self.organisations_created}, updated {self.organisations_updated}"
        if self.unverified_codes:
            count = len(self.unverified_codes)
            text += f"; {count} {'code' if count == 1 else 'codes'} in no register, held as unverified: " + ", ".join(
                self.unverified_codes
            )
        if self.not_trusts:
            count = len(self.not_trusts)
            text += f"; {count} {'provider' if count == 1 else 'providers'} not NHS trusts, not loaded: " + ", ".join(
                sorted(self.not_trusts)
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

    @property
    def change_reason(self) -> str:
        return f"Imported from {self.batch.file_name}"[:100]

    def refuse_if_errors(self) -> None:
        if self.errors:
            raise _Refusal

    def rows(self, rows: Sequence, description: str = "rows") -> Sequence:
        """The rows, behind a progress bar on stderr when the file is large and a person is watching."""
        if not self.progress or len(rows) < PROGRESS_MIN_ROWS:
            return rows
        # disable=None: tqdm itself stays quiet when stderr is not a terminal.
        return tqdm(rows, desc=description, unit=" rows", file=sys.stderr, disable=None, leave=False)

    def cells(self, row) -> RowCells:
        return RowCells(row, self.errors)


Importer = Callable[[str, ImportContext], None]

logger = logging.getLogger(__name__)

INTERNAL_ERROR = (
    "the import stopped on an internal error; nothing was loaded. It has been logged for the administrators "
    "(batch {batch})"
)


def abandon_dead_batches() -> int:
    """Mark as abandoned every batch still 'running' for longer than any import may live (its process died).

    An upload in a web worker dies at the server's timeout and a task at its hard time limit; a
    batch running longer than the longer of these (settings.IMPORT_ABANDONED_AFTER_SECONDS) can
    no longer finish.
    """
    limit = getattr(settings, "IMPORT_ABANDONED_AFTER_SECONDS", 0) or settings.CELERY_TASK_TIME_LIMIT + 60
    return ImportBatch.objects.filter(
        status=BatchStatus.RUNNING, started__lt=timezone.now() - timedelta(seconds=limit)
    ).update(status=BatchStatus.ABANDONED, finished=timezone.now())


def _refuse_nul(text: str, context: ImportContext) -> None:
    """A NUL character is never data (PostgreSQL refuses it in text): name its line and refuse the file."""
    at = text.find("\x00")
    if at >= 0:
        line = text.count("\n", 0, at) + 1
        context.errors.add(line, "", "NUL", "the file contains a NUL byte (\\x00); save it again as plain CSV text")


def run_import(
    fmt: str,
    source,
    importer: Importer,
    *,
    user=None,
    file_name: str | None = None,
    synthetic: bool = False,
    progress: bool = False,
) -> ImportSummary:
    """Import one file as one transaction and record it as an ImportBatch, refused or not."""
    data, name = read_source(source, file_name)
    abandon_dead_batches()
    batch = ImportBatch.objects.create(
        file_name=name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        format=fmt,
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
        synthetic=synthetic,
    )
    context = ImportContext(
        batch=batch,
        summary=ImportSummary(batch=batch),
        errors=ErrorList(),
        user=batch.uploaded_by,
        synthetic=synthetic,
        progress=progress,
    )
    try:
        # audit_batch: every audit context written inside names this batch.
        with transaction.atomic(), audit_batch(batch.pk):
            if getattr(importer, "binary", False):
                importer(data, context)
            else:
                text = decode(data)
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
        context.errors.add(None, "", "", INTERNAL_ERROR.format(batch=batch.pk))
        _finish(context, BatchStatus.FAILED)
        raise
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
    batch.save()


class KeyRegister:
    """The line where each key was first seen in a file, to refuse a key given twice."""

    def __init__(self, what: str):
        self.what = what
        self.first_lines: dict[tuple, int] = {}

    def claim(self, cells: RowCells, key: tuple, column: str) -> bool:
        first = self.first_lines.setdefault(key, cells.row.line)
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


@dataclass
class ObservationRow:
    """One observation read from a file, before it is matched to what is stored."""

    line: int
    org_code: str
    indicator: Indicator
    period: date
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    lower: float | None = None
    upper: float | None = None

    def values(self) -> tuple:
        return tuple(getattr(self, name) for name in OBSERVATION_VALUE_FIELDS)


def observations_upsert(context: ImportContext, rows: list[ObservationRow]) -> None:
    """Create new observations and update changed ones, in bulk; an unchanged one keeps its batch.

    Counts into the summary only what was created or actually changed, so a second import of the
    same file reports created 0, updated 0.
    """
    if not rows:
        return
    ids = organisation_ids(context, {row.org_code for row in rows})
    if connection.vendor == "postgresql":
        _observations_copy_upsert(context, rows, ids)
        return
    periods = [row.period for row in rows]
    stored = {
        (organisation_id, indicator_id, period): (pk, tuple(values))
        for pk, organisation_id, indicator_id, period, *values in Observation.objects.filter(
            indicator_id__in={row.indicator.pk for row in rows}, period__gte=min(periods), period__lte=max(periods)
        ).values_list("pk", "organisation_id", "indicator_id", "period", *OBSERVATION_VALUE_FIELDS)
    }
    creating, updating = [], []
    for row in rows:
        key = (ids[row.org_code], row.indicator.pk, row.period)
        values = row.values()
        known = stored.get(key)
        if known is None:
            creating.append(
                Observation(
                    organisation_id=key[0],
                    indicator_id=key[1],
                    period=key[2],
                    batch=context.batch,
                    **dict(zip(OBSERVATION_VALUE_FIELDS, values)),
                )
            )
        elif known[1] != values:
            updating.append(
                Observation(pk=known[0], batch=context.batch, **dict(zip(OBSERVATION_VALUE_FIELDS, values)))
            )
    Observation.objects.bulk_create(creating, batch_size=BULK_BATCH_SIZE)
    Observation.objects.bulk_update(updating, [*OBSERVATION_VALUE_FIELDS, "batch"], batch_size=BULK_BATCH_SIZE)
    context.summary.created += len(creating)
    context.summary.updated += len(updating)


def _observations_copy_upsert(context: ImportContext, rows: list[ObservationRow], ids: dict[str, int]) -> None:
    """PostgreSQL: COPY the checked rows into a temporary staging table, then one INSERT … ON CONFLICT.

    Runs inside the import's transaction: the staging table is dropped after the upsert, or with the
    rolled-back transaction if anything fails, so a later call in the same import can create it again.
    A stored row whose values are the same keeps its batch and is not counted, so a second import
    changes nothing.
    """
    table = Observation._meta.db_table
    columns = ", ".join(OBSERVATION_VALUE_FIELDS)
    changed = " OR ".join(f"{table}.{name} IS DISTINCT FROM EXCLUDED.{name}" for name in OBSERVATION_VALUE_FIELDS)
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in (*OBSERVATION_VALUE_FIELDS, "batch_id"))
    with connection.cursor() as cursor:
        # The staging columns are the target's own (same names and types), with none of its constraints.
        cursor.execute(
            f"CREATE TEMP TABLE observation_staging AS "
            f"SELECT organisation_id, indicator_id, period, {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(
            f"COPY observation_staging (organisation_id, indicator_id, period, {columns}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row((ids[row.org_code], row.indicator.pk, row.period, *row.values()))
        cursor.execute(
            f"INSERT INTO {table} (organisation_id, indicator_id, period, {columns}, batch_id) "
            f"SELECT organisation_id, indicator_id, period, {columns}, %s FROM observation_staging "
            f"ON CONFLICT (organisation_id, indicator_id, period) DO UPDATE SET {assignments} WHERE {changed} "
            "RETURNING (xmax = 0)",
            [context.batch.pk],
        )
        inserted = [flag for (flag,) in cursor.fetchall()]
        cursor.execute("DROP TABLE observation_staging")
    context.summary.created += sum(inserted)
    context.summary.updated += len(inserted) - sum(inserted)


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
