"""Writing observations: checked rows in bulk, an UPDATE of the changed and a plain INSERT of the new.

Split from `base` (what every importer shares): the row type importers fill, the upsert they call,
and on PostgreSQL the set-based write and the reference lock that stand in for Observation's
foreign-key constraints (indicators 0019).
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection

from indicators.models import Indicator, Observation
from trusts.models import Organisation

from .base import BULK_BATCH_SIZE, OBSERVATION_VALUE_FIELDS, ImportContext, organisation_ids


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

    @classmethod
    def share(cls, line: int, org_code: str, indicator: Indicator, period: date, part, whole) -> "ObservationRow":
        """A proportion: `part` of `whole` (a count of a count that is not 0)."""
        return cls(line, org_code, indicator, period, numerator=part, denominator=whole, value=part / whole)

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
    """PostgreSQL: COPY the checked rows into a temporary staging table, then `observations_write`.

    Runs inside the import's transaction: the staging table is dropped after the write, or with the
    rolled-back transaction if anything fails, so a later call in the same import can create it again.
    """
    columns = ", ".join(INCOMING_COLUMNS)
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        # The staging columns are the target's own (same names and types), with none of its constraints.
        cursor.execute(
            f"CREATE TEMP TABLE observation_staging AS SELECT {columns} FROM {Observation._meta.db_table} WITH NO DATA"
        )
        with cursor.copy(f"COPY observation_staging ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((ids[row.org_code], row.indicator.pk, row.period, *row.values()))
        observations_write(context, cursor, f"SELECT {columns} FROM observation_staging")
        cursor.execute("DROP TABLE observation_staging")


# The rows an import writes (the key, then the values), staged with their stored ids in a temporary table.
INCOMING = "ov_obs_incoming"
INCOMING_COLUMNS = ("organisation_id", "indicator_id", "period", *OBSERVATION_VALUE_FIELDS)
# Observation writers of the importers queue behind one another from their write to their commit
# (pg_advisory_xact_lock): two imports naming the same new key then never both insert it.
OBSERVATION_WRITE_LOCK = 4_011_101


def observations_write(context: ImportContext, cursor, select: str) -> None:
    """PostgreSQL: write the rows `select` gives (INCOMING_COLUMNS, one row per key, every id read from the database).

    Set-based, new and stored keys apart (issue 11, bench/imports.py): one join of the rows with the
    table fills the INCOMING table, each row with the id of its stored key (if any) and whether its
    values differ (the stored rows are read by the file's (indicator, period) pairs, a few index
    ranges joined at once, not by a probe of the unique key for each row: ~4 µs a row); then an
    UPDATE by id of the stored rows whose values differ (they take the import's batch; an
    unchanged row keeps its own and is not counted), and a plain INSERT of the new keys in the
    unique key's order. A second import of the same file writes nothing at all.
    This replaces one INSERT … ON CONFLICT DO UPDATE, whose speculative insert probes and conflicts
    row by row; the INSERT reads no other table (an anti-join against the table being filled can be
    planned as a nested loop rescanning the growing table: quadratic when its statistics say empty).
    The advisory lock keeps the split exact when two imports run at once: the second waits for the
    first's commit, then sees its rows as stored. The INCOMING table is dropped.
    """
    table = Observation._meta.db_table
    columns = ", ".join(INCOMING_COLUMNS)
    key = " AND ".join(f"o.{name} = i.{name}" for name in INCOMING_COLUMNS[:3])
    changed = " OR ".join(f"o.{name} IS DISTINCT FROM i.{name}" for name in OBSERVATION_VALUE_FIELDS)
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [OBSERVATION_WRITE_LOCK])
    incoming = ", ".join(f"i.{name}" for name in INCOMING_COLUMNS)
    cursor.execute(
        f"""
        CREATE TEMP TABLE {INCOMING} AS
        WITH rows AS MATERIALIZED ({select}), pairs AS (SELECT DISTINCT indicator_id, period FROM rows), stored AS (
            SELECT o.* FROM pairs p JOIN {table} o ON o.indicator_id = p.indicator_id AND o.period = p.period
        )
        SELECT {incoming}, o.id AS stored_id, ({changed}) AS changed FROM rows i LEFT JOIN stored o ON {key}
        """
    )
    cursor.execute(f"ANALYZE {INCOMING}")
    lock_observation_references(context, cursor)
    assignments = ", ".join(f"{name} = i.{name}" for name in OBSERVATION_VALUE_FIELDS)
    # "stored_id IS NOT NULL" for the planner: its estimate of the rows to update is then the stored ones (a
    # probe of the primary key each), not every row: a file of new keys hashed the whole table (~0.4-2 s).
    cursor.execute(
        f"UPDATE {table} o SET {assignments}, batch_id = %s FROM {INCOMING} i "
        "WHERE o.id = i.stored_id AND i.stored_id IS NOT NULL AND i.changed",
        [context.batch.pk],
    )
    context.summary.updated += cursor.rowcount
    cursor.execute(
        f"INSERT INTO {table} ({columns}, batch_id) SELECT {columns}, %s FROM {INCOMING} "
        f"WHERE stored_id IS NULL ORDER BY {columns}",
        [context.batch.pk],
    )
    context.summary.created += cursor.rowcount
    cursor.execute(f"DROP TABLE {INCOMING}")


def lock_observation_references(context: ImportContext, cursor) -> None:
    """Lock the organisations and indicators the INCOMING rows name, once each; refuse if one has gone.

    Observation's foreign keys carry no database constraint (indicators.models.Observation): this
    is their check, set-based. FOR KEY SHARE is the lock PostgreSQL's own check takes: a delete of
    a referenced row waits until the import commits, and the delete trigger (indicators 0019) then
    sees the new observations and refuses it. A row deleted before the lock is a refusal here.
    """
    for model, column in ((Organisation, "organisation_id"), (Indicator, "indicator_id")):
        referenced = model._meta.db_table
        cursor.execute(
            f"SELECT count(*) FROM (SELECT id FROM {referenced} WHERE id IN "
            f"(SELECT DISTINCT {column} FROM {INCOMING}) FOR KEY SHARE) locked"
        )
        (locked,) = cursor.fetchone()
        cursor.execute(f"SELECT count(DISTINCT {column}) FROM {INCOMING}")
        (named,) = cursor.fetchone()
        if locked != named:
            what = model._meta.verbose_name
            context.errors.add(
                None,
                "",
                "",
                f"{named - locked} {what}(s) the file names were deleted during the import; import it again",
            )
            context.refuse_if_errors()
