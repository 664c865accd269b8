"""Writing frames fast (results, generated observations): PostgreSQL binary and text COPY, executemany elsewhere.

The writer knows frames and tables only; what a frame holds is its caller's business (`store`, `indicators.demo`).
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable

import numpy as np
import orjson
import pandas as pd
from django.db import connection


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json(value) -> str:
    """A JSON column's text: orjson (several times json's speed on the SPC points), NumPy scalars as
    numbers, and keys that are not strings written as json.dumps writes them (as strings)."""
    return orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()


PG_EPOCH = np.datetime64("2000-01-01", "D")
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
BINARY_TRAILER = b"\xff\xff"


BINARY_TYPES = {
    "bigint": ">i8",
    "integer": ">i4",
    "smallint": ">i2",
    "double precision": ">f8",
    "date": ">i4",
    "boolean": "?",
    "bool": "?",
}


def _binary_copy_payload(columns: list[np.ndarray], db_types: list[str]) -> bytes:
    """PostgreSQL binary COPY data for bigint, double precision and date columns (NaN/NaT → NULL), in row order.

    Rows are grouped by which of their fields are NULL; each group is one fixed-width NumPy
    record array, so the whole payload is built at memory speed with no per-row Python. The
    groups' rows are then laid back in the frame's order, so ids follow the frame as an INSERT's would.
    """
    kinds, values, nulls = [], [], []
    for column, db_type in zip(columns, db_types, strict=True):
        kind = BINARY_TYPES[db_type]
        if db_type == "date":
            days = column.astype("datetime64[D]")
            nulls.append(np.isnat(days))
            values.append(np.where(np.isnat(days), 0, (days - PG_EPOCH).astype(np.int64)).astype(kind))
        elif kind == "?":
            nulls.append(np.zeros(len(column), dtype=bool))
            values.append(column.astype(bool))
        elif kind.startswith(">i"):
            nulls.append(np.zeros(len(column), dtype=bool))
            values.append(column.astype(kind))
        else:
            as_float = column.astype(float)
            nulls.append(~np.isfinite(as_float))
            values.append(as_float.astype(kind))
        kinds.append(kind)
    pattern = np.zeros(len(columns[0]), dtype=np.int64)
    for position, null in enumerate(nulls):
        pattern |= null.astype(np.int64) << position
    codes = np.unique(pattern)
    if len(codes) > 1:
        sizes = np.array([np.dtype(kind).itemsize for kind in kinds])
        row_bytes = 2 + 4 * len(kinds) + (~np.column_stack(nulls) * sizes).sum(axis=1)
        starts = np.concatenate([[0], np.cumsum(row_bytes)[:-1]])
        body = np.empty(int(row_bytes.sum()), dtype=np.uint8)
    parts = []
    for code in codes:
        rows = np.flatnonzero(pattern == code)
        fields = [("count", ">i2")]
        for position, kind in enumerate(kinds):
            fields.append((f"length{position}", ">i4"))
            if not (code >> position) & 1:
                fields.append((f"value{position}", kind))
        records = np.empty(len(rows), dtype=fields)
        records["count"] = len(columns)
        for position, kind in enumerate(kinds):
            if (code >> position) & 1:
                records[f"length{position}"] = -1
            else:
                records[f"length{position}"] = np.dtype(kind).itemsize
                records[f"value{position}"] = values[position][rows]
        if len(codes) == 1:
            parts.append(records.tobytes())
            continue
        width = records.dtype.itemsize
        laid = records.view(np.uint8).reshape(len(rows), width)
        for chunk in range(0, len(rows), 65536):  # bounds the index array to a few MB per step
            piece = slice(chunk, chunk + 65536)
            body[starts[rows[piece]][:, None] + np.arange(width)] = laid[piece]
    if len(codes) > 1:
        parts.append(body.tobytes())
    return BINARY_HEADER + b"".join(parts) + BINARY_TRAILER


TEXT_NULL = "\\N"
# COPY's text format: a backslash, newline, carriage return or tab inside a cell is written escaped.
TEXT_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _text_cell(value) -> str:
    """One cell of an object column in COPY's text format (None, NaN and NaT as NULL)."""
    if value is None or value is pd.NaT or value is pd.NA or (isinstance(value, float) and value != value):
        return TEXT_NULL
    if isinstance(value, bool | np.bool_):
        return "t" if value else "f"
    return str(value).translate(TEXT_ESCAPES)


def _text_copy_payload(frame: pd.DataFrame, json_columns: tuple[str, ...]) -> str:
    """PostgreSQL text COPY data for a frame with JSON or text columns, built a column at a time.

    It replaced `DataFrame.to_csv`, whose CSV quoting doubled every quote of the JSON documents: on the
    national set that was ~0.6 s of a run's writing, against ~0.1 s for this (bench/recompute.py).
    Floats are written as `repr` writes them (the shortest text that reads back the same double).
    """
    cells = []
    for name in frame.columns:
        values = frame[name]
        dtype = values.dtype
        if name in json_columns:
            cells.append([TEXT_NULL if value is None else _json(value).translate(TEXT_ESCAPES) for value in values])
        elif pd.api.types.is_datetime64_any_dtype(dtype):
            days = values.to_numpy().astype("datetime64[D]")
            cells.append(np.where(np.isnat(days), TEXT_NULL, days.astype(str)).tolist())
        elif isinstance(dtype, np.dtype) and dtype.kind == "b":
            cells.append(["t" if value else "f" for value in values.tolist()])
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu":
            cells.append([str(value) for value in values.tolist()])
        elif isinstance(dtype, np.dtype) and dtype.kind == "f":
            cells.append([repr(value) if value == value else TEXT_NULL for value in values.tolist()])
        else:
            cells.append([_text_cell(value) for value in values.tolist()])
    return "".join(["\t".join(row) + "\n" for row in zip(*cells, strict=True)])


def _insert_many(table: str, frame: pd.DataFrame, fields, db_columns: str, json_columns: tuple[str, ...]) -> None:
    """The embedded-database path: one executemany of plain tuples (no model instances)."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        if name in json_columns:
            columns.append([_json(value) for value in values])
        elif pd.api.types.is_datetime64_any_dtype(values.dtype):
            columns.append([None if stamp is pd.NaT else stamp.date().isoformat() for stamp in values])
        elif pd.api.types.is_float_dtype(values.dtype):
            columns.append([value if math.isfinite(value) else None for value in values.tolist()])
        else:
            columns.append([_clean(value) for value in values.tolist()])
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({db_columns}) VALUES ({placeholders})",  # noqa: S608
            list(zip(*columns, strict=True)),
        )


def write_frame(model, frame: pd.DataFrame, json_columns: tuple[str, ...] = (), raw=None, table: str = "") -> None:
    """Insert a frame whose columns are model field names, in its row order: COPY on PostgreSQL, executemany elsewhere.

    The one bulk path for derived and generated rows (the recompute's results, the demo generator's
    observations): the frame holds ids for foreign keys, datetime64 for dates, NaN for NULL.

    Numeric and date tables go through binary COPY, the rest (JSON, text) through text COPY; the
    per-row adaptation of an ORM insert cost more than all the statistics (bench/recompute.py).
    `table` writes to another table with the model's columns (a run's own z-score table, `partitions`).
    """
    if frame.empty:
        return
    fields = [model._meta.get_field(name) for name in frame.columns]
    db_columns = ", ".join(field.column for field in fields)
    table = table or model._meta.db_table
    if connection.vendor != "postgresql":
        _insert_many(table, frame, fields, db_columns, json_columns)
        return
    db_types = [field.rel_db_type(connection) if field.is_relation else field.db_type(connection) for field in fields]
    db_types = [db_type.split(" CHECK")[0].strip() if db_type else "" for db_type in db_types]
    binary = all(db_type in BINARY_TYPES for db_type in db_types) and not json_columns
    if binary:
        payload = _binary_copy_payload([frame[column].to_numpy() for column in frame.columns], db_types)
        statement = f'COPY "{table}" ({db_columns}) FROM STDIN WITH (FORMAT binary)'
    else:
        payload = _text_copy_payload(frame, json_columns)
        statement = f'COPY "{table}" ({db_columns}) FROM STDIN WITH (FORMAT text)'
    # `raw` is the psycopg connection of the run's transaction, handed to the writer thread
    # (Django's `connection` is per thread and would open a second, separate transaction there).
    with (raw or connection.connection).cursor() as cursor:
        with cursor.copy(statement) as copy:
            copy.write(payload)


class ResultWriter:
    """Stores each indicator's results while the next indicator is computed.

    On PostgreSQL a single writer thread COPYs into the run's own transaction (the same
    psycopg connection, which serialises its use), so the server's index work overlaps the
    Python statistics; elsewhere it writes inline. An error in the writer is raised in the
    caller when the block ends, which rolls the whole run back. `store(run, indicator, results,
    raw=None)` writes one indicator's rows (`raw`: the psycopg connection to write through).
    """

    def __init__(self, run, store: Callable[..., None]):
        self.run = run
        self._store = store
        self.seconds = 0.0
        self.waited = 0.0
        self.threaded = connection.vendor == "postgresql"
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self):
        if self.threaded:
            self._raw = connection.connection
            self._thread = threading.Thread(target=self._work, name="result-writer", daemon=True)
            self._thread.start()
        return self

    def submit(self, indicator, results) -> None:
        if not self.threaded:
            clock = time.perf_counter()
            self._store(self.run, indicator, results)
            self.seconds += time.perf_counter() - clock
            return
        if self._error:
            raise self._error
        clock = time.perf_counter()
        self._queue.put((indicator, results))
        self.waited += time.perf_counter() - clock

    def _work(self):
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error:
                continue
            clock = time.perf_counter()
            try:
                self._store(self.run, *item, raw=self._raw)
            except BaseException as exc:  # noqa: BLE001 — handed to the caller's thread
                self._error = exc
            self.seconds += time.perf_counter() - clock

    def __exit__(self, exc_type, exc, traceback):
        if self._thread:
            clock = time.perf_counter()
            self._queue.put(None)
            self._thread.join()
            self.waited += time.perf_counter() - clock
        if self._error and exc is None:
            raise self._error
        return False
