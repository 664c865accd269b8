"""Periods: month/quarter/year positions, shifting, and a series' runs of consecutive periods.

The one place that owns calendar arithmetic for the statistics (house style: one module owns
periods). A period is named by its first day; its *index* is its integer position on the
indicator's calendar (months since year 0, quarters since year 0 or years), so the step between
consecutive periods is 1 whatever the cadence.

A series is a set of runs. Between two observed periods `g` periods apart there are g − 1
missing periods; a run ends where more than `tolerance` consecutive periods are missing (default
one, so a single late return does not split a series, but the 2019–2024 A&E hole does).
"""

from __future__ import annotations

import calendar
from datetime import date

import numpy as np
import pandas as pd

CADENCES = ("monthly", "quarterly", "annual")
STEP_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}
DEFAULT_GAP_TOLERANCE = 1  # missing periods a run may span


def _step(cadence: str) -> int:
    try:
        return STEP_MONTHS[cadence]
    except KeyError:
        raise ValueError(f"cadence must be one of {CADENCES}, not {cadence!r}") from None


def month_index(periods) -> np.ndarray:
    """Months since January of year 0 for each period (dates, strings or timestamps)."""
    values = getattr(periods, "values", periods)
    if (
        isinstance(values, np.ndarray)
        and values.dtype.kind == "M"
        and isinstance(getattr(periods, "dtype", None), np.dtype)
    ):
        # datetime64 input (a frame's period column): calendar months in NumPy, no parsing.
        months = values.astype("datetime64[M]")
        if not np.isnat(months).any():
            return months.astype(np.int64) + 1970 * 12
    stamps = pd.DatetimeIndex(pd.to_datetime(periods))
    return (stamps.year.to_numpy() * 12 + stamps.month.to_numpy() - 1).astype(np.int64)


def month_of(period) -> int:
    """Months since January of year 0 of one period (a date, a timestamp or an ISO date string)."""
    if isinstance(period, str):
        period = date.fromisoformat(period[:10])
    return month_number(period)


def period_index(periods, cadence: str) -> np.ndarray:
    """Integer position of each period on the cadence's calendar (months, quarters or years)."""
    return month_index(periods) // _step(cadence)


def date_index(day: date, cadence: str) -> int:
    """Position on the cadence's calendar of the period containing `day`."""
    return month_number(day) // _step(cadence)


def index_date(number: int, cadence: str) -> date:
    """The first day of the period at position `number` on the cadence's calendar."""
    months = int(number) * _step(cadence)
    return date(months // 12, months % 12 + 1, 1)


def index_label(number: int, cadence: str) -> str:
    """ISO date (YYYY-MM-01) of the period at position `number`."""
    return index_date(number, cadence).isoformat()


def month_number(day: date) -> int:
    """Months since January of year 0 of `day`'s month (differences are calendar months)."""
    return day.year * 12 + day.month - 1


def months_apart(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier`'s month to `later`'s month (days ignored)."""
    return month_number(later) - month_number(earlier)


def shift_months(day: date, months: int) -> date:
    """The first day of the month `months` after (negative: before) `day`'s month.

    For periods, which are named by their first day. `add_months` keeps the day of the month.
    """
    total = month_number(day) + months
    return date(total // 12, total % 12 + 1, 1)


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (clamped to the month's last day).

    For dates of events (entries, exits), where the day matters: 31 Jan + 1 month is 28/29 Feb.
    """
    total = month_number(day) + months
    year, month = divmod(total, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def months_between(start: date, end: date) -> float:
    """Calendar months from `start` to `end` (whole months plus the fraction of the next one)."""
    if end < start:
        return -months_between(end, start)
    whole = months_apart(start, end)
    if add_months(start, whole) > end:
        whole -= 1
    anchor = add_months(start, whole)
    following = add_months(start, whole + 1)
    return whole + (end - anchor).days / (following - anchor).days


def period_start(day: date, cadence: str) -> date:
    """The first day of the period (month, quarter or year) containing `day`."""
    return index_date(date_index(day, cadence), cadence)


def run_ids(index, tolerance: int = DEFAULT_GAP_TOLERANCE) -> np.ndarray:
    """Run number (0, 1, …) of each sorted period index; a new run starts after > tolerance missing periods."""
    index = np.asarray(index, dtype=np.int64).ravel()
    if len(index) == 0:
        return np.zeros(0, dtype=np.int64)
    steps = np.diff(index)
    if (steps <= 0).any():
        raise ValueError("period indices must be strictly increasing")
    return np.concatenate(([0], np.cumsum(steps > tolerance + 1))).astype(np.int64)


def runs(index, tolerance: int = DEFAULT_GAP_TOLERANCE) -> list[tuple[int, int]]:
    """(first, last) period index of each run of a sorted series of period indices."""
    index = np.asarray(index, dtype=np.int64).ravel()
    ids = run_ids(index, tolerance)
    out = []
    for run in range(int(ids[-1]) + 1 if len(ids) else 0):
        members = index[ids == run]
        out.append((int(members[0]), int(members[-1])))
    return out


def latest_run_mask(index, tolerance: int = DEFAULT_GAP_TOLERANCE) -> np.ndarray:
    """True for the periods of the latest run of a sorted series of period indices."""
    ids = run_ids(index, tolerance)
    return ids == ids[-1] if len(ids) else np.zeros(0, dtype=bool)


def run_containing(index, position: int, tolerance: int = DEFAULT_GAP_TOLERANCE) -> np.ndarray:
    """True for the periods in the same run as the latest observed period at or before `position`.

    All False when nothing is observed at or before `position`.
    """
    index = np.asarray(index, dtype=np.int64).ravel()
    ids = run_ids(index, tolerance)
    at = int(np.searchsorted(index, position, side="right")) - 1
    if at < 0:
        return np.zeros(len(index), dtype=bool)
    return ids == ids[at]


def gap_breaks(index, tolerance: int = DEFAULT_GAP_TOLERANCE) -> np.ndarray:
    """True at each period that starts a new run (not the first), i.e. where a chart line must break."""
    ids = run_ids(index, tolerance)
    out = np.zeros(len(ids), dtype=bool)
    out[1:] = ids[1:] != ids[:-1]
    return out


def non_overlapping_annual(index, cadence: str, anchor: int | None = None) -> np.ndarray:
    """Mask choosing one rolling-year publication in four (quarterly) so the chosen years do not overlap.

    Consecutive quarterly rolling-12-month values share nine months; every fourth one covers a
    disjoint year. `anchor` (a period index) fixes which quarter is kept; by default the latest, so
    the newest year is always charted.
    """
    index = np.asarray(index, dtype=np.int64).ravel()
    if len(index) == 0:
        return np.zeros(0, dtype=bool)
    per_year = {"monthly": 12, "quarterly": 4, "annual": 1}[cadence]
    anchor = int(index[-1]) if anchor is None else int(anchor)
    return (anchor - index) % per_year == 0
