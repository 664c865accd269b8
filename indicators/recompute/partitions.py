"""Z-scores in one PostgreSQL partition per run (issue 11): loaded bare, indexed once, attached; pruned by a drop.

A run writes ~330,000 z-scores. Inserted into a table that keeps its indexes up to date, every row
updates three B-trees holding the rows of every kept run: measured on the national set, a COPY of
one run's rows took 1.4 s that way against 0.3 s into a bare table plus 0.4 s to build the same
indexes once afterwards. So on PostgreSQL `indicators_zscore` is partitioned by run (migration
indicators 0018): a run COPYs its rows into a table of its own with no index (`open_load_table`),
and when its parts are all written `attach` makes that table the run's partition, which builds the
partition's indexes in one sorted pass each. Until then readers cannot see the rows (they are not
in the parent yet), which is what the pointer rule asks anyway. The run's transaction rolls the
table back with the run; a fanned-out run's table outlives a killed run and the prune drops it.

Pruning a run is dropping its table, not deleting 330,000 rows and leaving them for VACUUM.
Rows written any other way (tests, fixtures: the ORM's inserts) land in the default partition and
are pruned row by row, as every other results table is. Elsewhere (SQLite) `indicators_zscore` is a
plain table, and every function here says so by doing nothing.
"""

from __future__ import annotations

import functools
import re

from django.db import connection

from ..models import ZScore

PARENT = ZScore._meta.db_table
_RUN_TABLE = re.compile(rf"^{PARENT}_run(\d+)$")
ANALYZED_COLUMNS = ("run_id", "indicator_id", "organisation_id", "period", "id")


@functools.cache
def _partitioned(alias: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [PARENT])
        return cursor.fetchone() is not None


def partitioned() -> bool:
    """Whether z-scores are partitioned by run here (PostgreSQL, migrated past indicators 0018)."""
    return connection.vendor == "postgresql" and _partitioned(connection.alias)


def run_table(run_id: int) -> str:
    """The table a run's z-scores are written to: its own on PostgreSQL, else the one table."""
    return f"{PARENT}_run{int(run_id)}" if partitioned() else PARENT


def open_load_table(run_id: int) -> None:
    """Create the run's bare table (the parent's columns and defaults, no index), unless it exists.

    Its CHECK on the run id proves the partition's bound, so `attach` need not scan the rows for it.
    """
    if partitioned():
        table = run_table(run_id)
        with connection.cursor() as cursor:
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{table}" (LIKE "{PARENT}" INCLUDING DEFAULTS, '
                f'CONSTRAINT "{table}_bound" CHECK (run_id = {int(run_id)}))'
            )


def clear_indicator(run_id: int, indicator_id: int) -> None:
    """Delete one indicator's rows from the run's unattached table (a retried fan-out part)."""
    if partitioned():
        with connection.cursor() as cursor:
            cursor.execute(
                f'DELETE FROM "{run_table(run_id)}" WHERE indicator_id = %s',  # noqa: S608 — table name from an int
                [int(indicator_id)],
            )


def attach(run_id: int) -> None:
    """Make the run's table its partition: PostgreSQL builds the parent's indexes on it, each in one pass.

    The table holds only this run's rows (written under its id): its CHECK says so (`open_load_table`),
    so ATTACH takes the bound as proved instead of scanning. The planner's statistics are gathered for
    the columns readers filter and sort on, not for the measures (about 40% less time than a full ANALYZE).
    """
    if not partitioned():
        return
    table = run_table(run_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        if not cursor.fetchone()[0]:
            return
        cursor.execute(f'ANALYZE "{table}" ({", ".join(ANALYZED_COLUMNS)})')
        cursor.execute(f'ALTER TABLE "{PARENT}" ATTACH PARTITION "{table}" FOR VALUES IN ({int(run_id)})')


def run_tables() -> dict[int, tuple[str, bool]]:
    """Every run's table: {run id: (table, attached)}, attached or left unattached by a killed run."""
    if not partitioned():
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE %s",
            [f"{PARENT}_run%"],
        )
        tables = {}
        for name, attached in cursor.fetchall():
            match = _RUN_TABLE.match(name)
            if match:
                tables[int(match.group(1))] = (name, attached)
        return tables


def prune(kept_pairs: set[tuple[int, int]], protected: set[int], indicator_ids: list[int]) -> int:
    """Drop each run table no pointer keeps; in a kept one, delete the indicators no pointer keeps it for.

    `kept_pairs` are the (indicator, run) pairs a pointer serves or keeps as previous; `protected`
    the runs kept whole (running, kept as-at). Returns the rows deleted or dropped. Rows in the
    default partition are the caller's (pruned like any other results table).
    """
    removed = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '5s'")  # a long reader delays the drop, never the other way
        for run_id, (table, attached) in sorted(run_tables().items()):
            if run_id in protected:
                continue
            kept = {indicator for indicator, run in kept_pairs if run == run_id}
            stale = [indicator for indicator in indicator_ids if indicator not in kept]
            if not kept:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 — table name from the catalogue
                removed += cursor.fetchone()[0]
                if attached:
                    cursor.execute(f'ALTER TABLE "{PARENT}" DETACH PARTITION "{table}"')
                cursor.execute(f'DROP TABLE "{table}"')
            elif stale:
                cursor.execute(
                    f'DELETE FROM "{table}" WHERE indicator_id = ANY(%s)',  # noqa: S608 — table name from the catalogue
                    [stale],
                )
                removed += cursor.rowcount
    return removed
