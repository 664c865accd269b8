"""The cell parsers behind every importer: strict, and with messages a regulator can act on."""

from datetime import date

import pytest

from ingest.importers import RowError
from ingest.importers.reading import (
    ErrorList,
    decode,
    parse_count,
    parse_date,
    parse_month,
    parse_number,
    parse_ods_code,
    read_table,
)

pytestmark = []


def test_a_row_error_reads_as_a_sentence():
    error = RowError(14, "period", "2019-13", "not a month (expected YYYY-MM or YYYY-MM-DD)")

    assert str(error) == 'row 14, column "period", value "2019-13": not a month (expected YYYY-MM or YYYY-MM-DD)'


@pytest.mark.parametrize(
    ("text", "number"), [("1,234", 1234), ("1,234,567.5", 1234567.5), (" 12 ", 12), ("21289.0", 21289), ("-3", -3)]
)
def test_it_reads_numbers_with_thousands_separators(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["1,23", "12,34,567", "nan", "inf", "1.2.3", "12%", "£5"])
def test_it_refuses_what_is_not_a_number(text):
    with pytest.raises(ValueError, match="not a number"):
        parse_number(text)


def test_a_count_cannot_be_negative():
    with pytest.raises(ValueError, match="cannot be negative"):
        parse_count("-1")


@pytest.mark.parametrize(
    ("text", "month"), [("2019-03", date(2019, 3, 1)), ("2019-3", date(2019, 3, 1)), ("2020-02-29", date(2020, 2, 1))]
)
def test_it_reads_months(text, month):
    assert parse_month(text) == month


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2019-13", "not a month"),
        ("2019-00", "not a month"),
        ("March 2019", "not a month"),
        ("2019-02-30", "not a date: 2019-02 has no day 30"),
    ],
)
def test_it_refuses_impossible_months(text, message):
    with pytest.raises(ValueError, match=message):
        parse_month(text)


@pytest.mark.parametrize("text", ["2024-12-31", "20241231", "31/12/2024"])
def test_it_reads_dates_as_iso_ods_or_uk_spreadsheets_write_them(text):
    assert parse_date(text) == date(2024, 12, 31)


@pytest.mark.parametrize(("text", "code"), [("rf4", "RF4"), (" G6V2S ", "G6V2S"), ("Y00751", "Y00751")])
def test_it_upper_cases_ods_codes(text, code):
    assert parse_ods_code(text) == code


@pytest.mark.parametrize("text", ["R-F4", "TOOLONGCODE", "RF", "R F4"])
def test_it_refuses_malformed_ods_codes(text):
    with pytest.raises(ValueError, match="not an ODS code"):
        parse_ods_code(text)


def test_it_falls_back_to_windows_1252():
    assert decode("Café – ‘quoted’".encode("cp1252")) == "Café – ‘quoted’"


def test_it_numbers_rows_by_the_line_they_start_on():
    errors = ErrorList()
    text = 'a,b\n\n1,"two\nlines"\n3,4\n'

    table = read_table(text, errors, required=["a", "b"])

    assert [row.line for row in table.rows] == [3, 5]
    assert table.rows[0]["b"] == "two\nlines"
