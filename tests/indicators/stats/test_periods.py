"""The one calendar module: month numbers, the two kinds of month shift, and months between two dates.

Checked against dates worked by hand and against pandas' own calendar (DateOffset), which
shares no code with `indicators.stats.periods`.
"""

from datetime import date

import pandas as pd
import pytest

from indicators.stats.periods import (
    add_months,
    date_index,
    index_date,
    month_index,
    month_number,
    months_apart,
    months_between,
    period_start,
    shift_months,
)


def test_month_numbers_count_calendar_months_and_agree_with_the_array_version():
    days = [date(2013, 7, 16), date(2014, 1, 1), date(2019, 12, 31)]
    assert [month_number(day) for day in days] == list(month_index(days))
    assert month_number(date(2014, 1, 1)) - month_number(date(2013, 7, 16)) == 6
    assert months_apart(date(2013, 7, 31), date(2013, 8, 1)) == 1  # days ignored
    assert months_apart(date(2016, 3, 1), date(2015, 3, 1)) == -12


@pytest.mark.parametrize("months", [-25, -13, -1, 0, 1, 11, 12, 37])
def test_shift_months_names_a_period_by_its_first_day(months):
    start = date(2016, 1, 31)
    expected = (pd.Timestamp("2016-01-01") + pd.DateOffset(months=months)).date()
    assert shift_months(start, months) == expected


@pytest.mark.parametrize(
    ("day", "months"),
    [
        (date(2016, 1, 31), 1),
        (date(2015, 1, 31), 1),
        (date(2016, 3, 31), -1),
        (date(2013, 7, 16), 18),
        (date(2020, 2, 29), 12),
    ],
)
def test_add_months_keeps_the_day_clamped_to_the_months_end(day, months):
    assert add_months(day, months) == (pd.Timestamp(day) + pd.DateOffset(months=months)).date()


def test_the_two_shifts_differ_only_in_the_day():
    assert add_months(date(2016, 1, 31), 1) == date(2016, 2, 29)
    assert shift_months(date(2016, 1, 31), 1) == date(2016, 2, 1)


def test_months_between_counts_whole_months_then_the_fraction_of_the_next():
    assert months_between(date(2014, 1, 1), date(2016, 1, 1)) == 24
    # 15 Jan → 15 Feb is one month; 15 Feb → 1 Mar is 14 of February 2014's 28 days.
    assert months_between(date(2014, 1, 15), date(2014, 3, 1)) == pytest.approx(1 + 14 / 28)
    assert months_between(date(2016, 1, 1), date(2014, 1, 1)) == -24


@pytest.mark.parametrize("cadence", ["monthly", "quarterly", "annual"])
def test_period_start_and_index_round_trip(cadence):
    day = date(2023, 11, 17)
    start = period_start(day, cadence)
    assert index_date(date_index(day, cadence), cadence) == start
    assert start == {"monthly": date(2023, 11, 1), "quarterly": date(2023, 10, 1), "annual": date(2023, 1, 1)}[cadence]


def test_month_of_one_period_in_each_spelling_matches_the_hand_count():
    from indicators.stats.periods import month_of

    # 2024-03: 2024 × 12 + 2 months since January of year 0.
    for spelling in (date(2024, 3, 1), pd.Timestamp("2024-03-01"), "2024-03-01", date(2024, 3, 31)):
        assert month_of(spelling) == 2024 * 12 + 2


def test_month_index_of_a_datetime64_column_equals_the_parsed_dates():
    stamps = pd.Series(pd.to_datetime(["1999-12-01", "2000-01-01", "2024-02-29", "1969-07-01"]))
    expected = [1999 * 12 + 11, 2000 * 12, 2024 * 12 + 1, 1969 * 12 + 6]
    assert month_index(stamps).tolist() == expected
    assert month_index(stamps.to_numpy().astype("datetime64[D]")).tolist() == expected
    assert month_index([d.date() for d in stamps]).tolist() == expected  # the parsing path
