"""The one bulk path (indicators.recompute.writer.write_frame) keeps a frame's row order and its NULLs."""

import math
from datetime import date

import numpy as np
import pandas as pd

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
