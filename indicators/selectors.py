"""Reads of indicator data and stored results, shared by pages, the API and the services."""

import io
from datetime import date

import pandas as pd
from django.conf import settings
from django.db import connection
from django.utils import timezone

from .constants import RunStatus
from .models import ComputationRun, Observation

OBSERVATION_COLUMNS = [
    "organisation_id",
    "indicator_id",
    "period",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "batch_id",
]


def data_cutoff(data_end: date | None, as_at: date | None = None) -> date:
    """The date months in regime and the categories count to: the DATA_CUTOFF setting, else the data's
    last period, else today; never today while data exist, as signals from data ending in June cannot
    say how a trust did since (issue 10). As at a date (issue 15): that date, when earlier."""
    cutoff = settings.DATA_CUTOFF or data_end or timezone.localdate()
    return cutoff if as_at is None else min(cutoff, as_at)


def latest_successful_run() -> ComputationRun | None:
    """The newest run that finished (not an as-at run): pages say 'data as of' its finish time."""
    return ComputationRun.objects.filter(status=RunStatus.SUCCEEDED, as_at__isnull=True).order_by("-finished").first()


def observations_frame(indicator_ids: list[int] | None = None) -> pd.DataFrame:
    """Every observation (of the given indicators) as one DataFrame, read in bulk.

    On PostgreSQL this streams `COPY … TO STDOUT` into pandas' C parser, the fastest way
    out of the database (bench/recompute.py measures it as the floor). Elsewhere it is a
    plain cursor read.
    """
    table = Observation._meta.db_table
    columns = ", ".join(OBSERVATION_COLUMNS)
    where = ""
    if indicator_ids is not None:
        if not indicator_ids:
            return pd.DataFrame(columns=OBSERVATION_COLUMNS)
        where = " WHERE indicator_id IN (" + ", ".join(str(int(pk)) for pk in indicator_ids) + ")"
    query = f"SELECT {columns} FROM {table}{where}"  # noqa: S608 — ids are ints, no user input
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:
                for block in copy:
                    buffer.write(block)
        buffer.seek(0)
        if buffer.getbuffer().nbytes == 0:
            return pd.DataFrame(columns=OBSERVATION_COLUMNS)
        frame = pd.read_csv(
            buffer,
            names=OBSERVATION_COLUMNS,
            dtype={"organisation_id": "int64", "indicator_id": "int64"},
            parse_dates=["period"],
        )
    else:
        with connection.cursor() as cursor:
            cursor.execute(query)
            frame = pd.DataFrame(cursor.fetchall(), columns=OBSERVATION_COLUMNS)
        frame["period"] = pd.to_datetime(frame["period"])
    for column in ("numerator", "denominator", "value", "lower", "upper"):
        frame[column] = frame[column].astype(float)
    return frame
