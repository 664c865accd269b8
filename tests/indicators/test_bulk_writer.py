"""The one bulk path (indicators.recompute.writer.write_frame) keeps a frame's row order and its NULLs."""

import json
import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from indicators.models import Observation
from indicators.recompute.writer import write_frame
from tests.indicators.builders import organisations, proportion_indicator


def test_rows_with_different_nulls_are_stored_in_the_frames_order(db):
    trusts = organisations(3)
    indicator = proportion_indicator("ed_4hr")
    # Alternating NULL patterns: binary COPY groups rows by pattern, and must lay them back in order.
    numerators = [1.0, np.nan, 3.0, np.nan, 5.0, 6.0]
    uppers = [np.nan, 0.5, np.nan, 0.25, 0.125, np.nan]
    periods = pd.to_datetime([f"2020-{month:02d}-01" for month in (6, 1, 5, 2, 4, 3)])
    frame = pd.DataFrame(
        {
            "organisation": [trusts[i % 3].pk for i in range(6)],
            "indicator": indicator.pk,
            "period": periods,
            "numerator": numerators,
            "upper": uppers,
        }
    )
    write_frame(Observation, frame)
    stored = list(Observation.objects.order_by("id").values_list("organisation_id", "period", "numerator", "upper"))
    assert [row[:2] for row in stored] == [(trusts[i % 3].pk, day.date()) for i, day in enumerate(periods)]
    for (_, _, numerator, upper), want_n, want_u in zip(stored, numerators, uppers, strict=True):
        assert (numerator is None) == math.isnan(want_n) and (upper is None) == math.isnan(want_u)
        assert numerator in (None, want_n) and upper in (None, want_u)
    assert stored[0][1] == date(2020, 6, 1)


def test_text_copy_reads_back_every_cell_as_written(db):
    """The JSON/text COPY payload: escapes, NULLs, floats and dates survive PostgreSQL's own reading."""
    from django.db import connection

    from indicators.recompute.writer import _text_copy_payload

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's (elsewhere write_frame runs one executemany)")
    hostile = 'tab\there, new\nline, cr\r, back\\slash, "quoted", \\N, café'
    frame = pd.DataFrame(
        {
            "t": [hostile, None, "plain"],
            "j": [{"note": hostile, "values": [1.5, None], "1": True}, None, []],
            "f": [0.1 + 0.2, np.nan, -np.inf],
            "b": [True, False, True],
            "d": pd.to_datetime(["2020-02-29", None, "1999-12-01"]),
            "i": np.array([1, -2, 2**40], dtype=np.int64),
        }
    )
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE copied (t text, j jsonb, f float8, b boolean, d date, i bigint)")
        with cursor.cursor.copy("COPY copied FROM STDIN WITH (FORMAT text)") as copy:
            copy.write(_text_copy_payload(frame, json_columns=("j",)))
        cursor.execute("SELECT t, j::text, f, b, d, i FROM copied")
        rows = [(t, None if j is None else json.loads(j), *rest) for t, j, *rest in cursor.fetchall()]
    assert rows[0] == (
        hostile,
        {"note": hostile, "values": [1.5, None], "1": True},
        0.1 + 0.2,
        True,
        date(2020, 2, 29),
        1,
    )
    assert rows[1] == (None, None, None, False, None, -2)
    assert rows[2][:2] == ("plain", []) and rows[2][2] == -math.inf and rows[2][4:] == (date(1999, 12, 1), 2**40)
