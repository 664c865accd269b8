"""Exit readiness: does a trust's own series meet an exit criterion's threshold, and for how long?

A criterion reads "indicator <comparator> threshold for N months". From the trust's values the
run of consecutive periods that meet it is counted back from the latest period with data (a
missing period ends the run); each period covers `step_months` (1 monthly, 3 quarterly):

- no values at all → `no_data`;
- the latest month does not meet it → `not_met`;
- the run covers at least N months (N empty counts as one period) → `met`, else `met_not_sustained`;
`met_since` is the first period of the run.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .periods import month_number

COMPARATORS = {"le": operator.le, "lt": operator.lt, "ge": operator.ge, "gt": operator.gt}
MET, MET_NOT_SUSTAINED, NOT_MET, NO_DATA = "met", "met_not_sustained", "not_met", "no_data"


@dataclass(frozen=True)
class Readiness:
    status: str
    met_since: date | None = None
    months_met: int = 0
    latest_month: date | None = None
    latest_value: float | None = None


def criterion_readiness(
    values: Iterable[tuple[date, float | None]],
    *,
    comparator: str,
    threshold: float,
    months_sustained: int | None,
    step_months: int = 1,
) -> Readiness:
    """The data status of one criterion from (period start, value) pairs in any order."""
    test = COMPARATORS[comparator]
    series = sorted((month, value) for month, value in values if value is not None)
    if not series:
        return Readiness(NO_DATA)
    latest_month, latest_value = series[-1]
    if not test(latest_value, threshold):
        return Readiness(NOT_MET, latest_month=latest_month, latest_value=latest_value)
    run_start, expected = latest_month, month_number(latest_month)
    months = 0
    for month, value in reversed(series):
        if month_number(month) != expected or not test(value, threshold):
            break
        run_start, months, expected = month, months + step_months, expected - step_months
    needed = max(months_sustained or step_months, step_months)
    status = MET if months >= needed else MET_NOT_SUSTAINED
    return Readiness(
        status, met_since=run_start, months_met=months, latest_month=latest_month, latest_value=latest_value
    )
