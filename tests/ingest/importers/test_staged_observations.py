"""The PostgreSQL staging path of the long observations import finds the simple path's errors, row for row.

Each test runs on each path: `simple` (per-row Python checks, the only path on SQLite), `staged`
(COPY into a staging table and set-based checks; PostgreSQL only: a plain file is COPYed as it is
written and split by the server) and `staged-python` (the staging table filled by reading the file
in Python, as a file that is not plain is). The messy files at the end run on all three at once.
"""

import pytest
from django.db import connection

from indicators.models import Observation
from ingest.importers import ImportRefused, import_file, line_copy, staging
from ingest.importers.reading import RowError

pytestmark = pytest.mark.django_db

HEADER = "org_code,period,indicator,numerator,denominator,value,lower,upper\n"
QUARTERLY = "is quarterly: a period is the first month of a quarter (YYYY-01, YYYY-04, YYYY-07 or YYYY-10)"
# One row for each rule (the line is the row's number in the file: the header is row 1).
ONE_OF_EACH = [
    ("RF4,2024-01,ed_4hr,10,100,,,", []),
    (
        "R!,2024-01,ed_4hr,10,100,,,",
        [("org_code", "R!", "not an ODS code (3 to 6 letters or digits, such as RF4 or QOP)")],
    ),
    ("RF4,2024-13,ed_4hr,10,100,,,", [("period", "2024-13", "not a month (expected YYYY-MM or YYYY-MM-DD)")]),
    ("RF4,2024-02-30,ed_4hr,10,100,,,", [("period", "2024-02-30", "not a date: 2024-02 has no day 30")]),
    ("RF4,2024-01,nope,10,100,,,", [("indicator", "nope", "unknown indicator code; known codes: ")]),
    ("RF4,2024-02,shmi,,,1.0,,", [("period", "2024-02", "shmi " + QUARTERLY)]),
    ("RF4,2024-01,ed_4hr,abc,100,,,", [("numerator", "abc", "not a number")]),
    ("RF4,2024-01,ed_4hr,-1,100,,,", [("numerator", "-1", "a count cannot be negative")]),
    ("RF4,2024-01,ed_4hr,101,100,,,", [("numerator", "101", "the numerator is greater than the denominator (100)")]),
    ("RF4,2024-01,ed_4hr,0,0,,,", [("denominator", "0", "the denominator is 0, so the proportion is undefined")]),
    ("RF4,2024-04,shmi,,,-0.5,,", [("value", "-0.5", "a ratio cannot be negative")]),
    ("RF4,2024-04,shmi,,,1.0,1.2,0.9", [("lower", "1.2", "the lower limit is above the upper limit (0.9)")]),
    (
        "rf4,2024-01-01,ED_4HR,5,50,,,",
        [
            (
                "org_code",
                "rf4",
                "duplicates row 2: the same org_code, indicator and period (RF4, ed_4hr, 2024-01-01) is given twice",
            )
        ],
    ),
    (",2024-01,ed_4hr,1,2,,,", [("org_code", "", "is empty")]),
    ("RF4,,ed_4hr,1,2,,,", [("period", "", "is empty")]),
    ("RF4,2024-01,,1,2,,,", [("indicator", "", "is empty")]),
    ("RF4,2024-03,ed_4hr,,2,,,", [("numerator", "", "is empty")]),
    ("RF4,2024-07,shmi,,,,,", [("value", "", "is empty")]),
    ("RF4,2024-10,shmi,,,x1,,", [("value", "x1", "not a number")]),
    ('RF4,2024-05,ed_4hr,"1,234","2,000",,,', []),
    ("RF4,2024-06,ed_4hr,1,2,,abc,", [("lower", "abc", "not a number")]),
    (
        "RF4,2024-06",
        [("indicator", "", "the row has 2 fields but the header has 8: the line is cut short (a truncated file?)")],
    ),
    ("RF4,2024-06,ed_4hr,1,2,,,,extra", [("", "extra", "the row has 9 fields but the header has 8")]),
    ("RF4,2024-08,ed_4hr,1e1,1.5e2,,,", []),
    ("RF4,2024-09,ed_4hr,1,2,,,1e400", []),
    (
        "QQ!,2024-00,ed_4hr,x,-3,,,",
        [
            ("org_code", "QQ!", "not an ODS code (3 to 6 letters or digits, such as RF4 or QOP)"),
            ("period", "2024-00", "not a month (expected YYYY-MM or YYYY-MM-DD)"),
            ("numerator", "x", "not a number"),
            ("denominator", "-3", "a count cannot be negative"),
        ],
    ),
    ("RF4,2024-09,staff_survey_equality,,,7.5,,", []),
    ("RF4,2024-09,staff_survey_equality,,,-7.5,,", []),  # a score may be negative; a duplicate is not checked
]


def _expected(rows):
    expected = []
    for line, (_, errors) in enumerate(rows, 2):
        expected.extend(RowError(line, column, value, message) for column, value, message in errors)
    return expected


def _refused(path_to_file) -> ImportRefused:
    with pytest.raises(ImportRefused) as refused:
        import_file("observations", path_to_file)
    return refused.value


def test_a_file_with_one_of_each_error_is_refused_with_every_row_numbered_error(path, catalogue, write_csv, row_counts):
    before = row_counts()
    text = HEADER + "".join(row + "\n" for row, _ in ONE_OF_EACH)

    refused = _refused(write_csv(text))

    # The unknown-code message lists the catalogue: compare its start only.
    errors = [
        RowError(e.row, e.column, e.value, e.message.split("known codes: ")[0] + "known codes: ")
        if e.message.startswith("unknown indicator")
        else e
        for e in refused.errors
    ]
    # The last score row duplicates the one before only if both were ok: they are (a score may be < 0).
    expected = _expected(ONE_OF_EACH) + [
        RowError(
            len(ONE_OF_EACH) + 1,
            "org_code",
            "RF4",
            f"duplicates row {len(ONE_OF_EACH)}: the same org_code, indicator and period "
            "(RF4, staff_survey_equality, 2024-09-01) is given twice",
        )
    ]
    assert errors == expected
    assert refused.total == len(expected)
    assert "ed_4hr" in next(e.message for e in refused.errors if e.column == "indicator" and e.value == "nope")
    assert row_counts() == before


def test_a_missing_column_of_the_kind_is_named_on_each_row(path, catalogue, write_csv):
    text = "org_code,period,indicator,value\nRF4,2024-01,ed_4hr,0.5\nRF4,2024-04,shmi,1.01\n"

    refused = _refused(write_csv(text))

    assert refused.errors == [
        RowError(2, "numerator", "", "ed_4hr is a proportion: the file needs the column(s) numerator, denominator")
    ]


def test_the_column_is_named_as_the_header_spells_it(path, catalogue, write_csv):
    refused = _refused(write_csv("Org_Code,Period,Indicator,Numerator,Denominator\nRF4,2024-01,ed_4hr,7,x\n"))

    assert refused.errors == [RowError(2, "Denominator", "x", "not a number")]


def test_the_errors_are_capped_in_row_order_and_all_counted(path, catalogue, write_csv):
    rows = [f"RF4,2024-{month:02d},ed_4hr,x,10" for month in range(1, 13)] * 4
    rows += ["RF4,2030-01"] + [f"RF4,2031-{month:02d},ed_4hr,5,-1" for month in range(1, 13)]

    refused = _refused(write_csv("org_code,period,indicator,numerator,denominator\n" + "\n".join(rows) + "\n"))

    assert refused.total == 48 + 1 + 12
    assert len(refused.errors) == 50
    assert [error.row for error in refused.errors] == list(range(2, 52))
    assert refused.errors[48].message.startswith("the row has 2 fields but the header has 5")
    assert refused.errors[49] == RowError(51, "denominator", "-1", "a count cannot be negative")


def test_a_second_identical_import_changes_nothing_and_a_changed_value_is_one_update(path, catalogue, write_csv):
    header = "org_code,period,indicator,numerator,denominator,value,lower,upper\n"
    rows = 'RF4,2024-01,ed_4hr,10,100,,,\nRF4,2024-04,shmi,,,1.1,0.9,1.3\nRXX,2024-02,ed_4hr,"1,000",2000,,,\n'
    first = import_file("observations", write_csv(header + rows))
    again = import_file("observations", write_csv(header + rows))
    revised = import_file("observations", write_csv(header + rows.replace("1.1,", "1.2,")))

    assert (first.read, first.created, first.updated) == (3, 3, 0)
    assert first.unverified_codes == ["RF4", "RXX"]
    assert (again.read, again.created, again.updated) == (3, 0, 0)
    assert (revised.created, revised.updated) == (0, 1)
    stored = {
        (o.organisation.ods_code, o.indicator.code): (o.numerator, o.denominator, o.value, o.lower, o.upper, o.batch_id)
        for o in Observation.objects.select_related("organisation", "indicator")
    }
    assert stored == {
        ("RF4", "ed_4hr"): (10, 100, 0.1, None, None, first.batch.pk),
        ("RF4", "shmi"): (None, None, 1.2, 0.9, 1.3, revised.batch.pk),
        ("RXX", "ed_4hr"): (1000, 2000, 0.5, None, None, first.batch.pk),
    }


def test_a_new_key_of_a_month_already_held_is_created_beside_a_month_never_held(path, catalogue, write_csv):
    header = "org_code,period,indicator,numerator,denominator\n"
    first = import_file("observations", write_csv(header + "RF4,2024-01,ed_4hr,1,2\nRF4,2024-02,ed_4hr,1,2\n"))
    rows = "RF4,2024-01,ed_4hr,1,4\nRF4,2024-02,ed_4hr,1,2\nRXX,2024-01,ed_4hr,1,5\nRF4,2024-03,ed_4hr,1,8\n"

    second = import_file("observations", write_csv(header + rows))

    assert (second.created, second.updated) == (2, 1)
    assert {
        (o.organisation.ods_code, o.period.month): (o.value, o.batch_id)
        for o in Observation.objects.select_related("organisation")
    } == {
        ("RF4", 1): (0.25, second.batch.pk),
        ("RF4", 2): (0.5, first.batch.pk),
        ("RXX", 1): (0.2, second.batch.pk),
        ("RF4", 3): (0.125, second.batch.pk),
    }


def test_the_rows_read_are_reported_while_the_rows_are_copied(path, catalogue, write_csv, monkeypatch):
    from indicators.constants import BatchStatus
    from indicators.models import ImportBatch
    from ingest.importers import base

    events = []
    monkeypatch.setattr(base, "HEARTBEAT_ROWS", 2)
    monkeypatch.setattr(base.BatchHeartbeat, "__call__", lambda self, rows_read: events.append(rows_read))
    lookups = staging._lookups
    monkeypatch.setattr(staging, "_lookups", lambda *args: (events.append("checks"), lookups(*args)))
    rows = "".join(f"RF4,2024-{month:02d},ed_4hr,1,2\n" for month in range(1, 8))
    monkeypatch.setattr(line_copy, "CHUNK_CHARS", 2 * len("RF4,2024-01,ed_4hr,1,2\n"))  # two rows a chunk
    batch = ImportBatch.objects.create(
        file_name="long.csv", sha256="", format="observations", status=BatchStatus.QUEUED
    )

    summary = import_file(
        "observations", write_csv("org_code,period,indicator,numerator,denominator\n" + rows), batch=batch
    )

    assert summary.created == 7
    assert events == ([2, 4, 6] if path == "simple" else [2, 4, 6, "checks"])


def test_a_file_imports_after_a_refused_one_in_the_same_connection(path, catalogue, write_csv):
    header = "org_code,period,indicator,numerator,denominator\n"
    _refused(write_csv(header + "RF4,2024-01,ed_4hr,3,2\n"))

    summary = import_file("observations", write_csv(header + "RF4,2024-01,ed_4hr,1,2\n"))

    assert (summary.created, Observation.objects.get().value) == (1, 0.5)


HEAD = "org_code,period,indicator,numerator,denominator\n"
ROWS = "RF4,2024-01,ed_4hr,10,100\nRXX,2024-02,ed_4hr,20,200\nrf4,2024-03-01,ED_4HR,3,9\n"
EXTRA = "note,org_code,period,,indicator,numerator,denominator,\n" + "".join(
    f"{row}\n"
    for row in (
        "a,RF4,2024-01,,ed_4hr,1,2,",
        "b,RF4,2024-02,z,ed_4hr,1,2,,, ",
        "c,RF4,2024-03,,ed_4hr,1,2,,x,y",
        "d,RF4,2024-04,,ed_4hr,1",
        "e,RF4,2024-05,,ed_4hr,1,2",
        "f,RF4,2024-06,,ed_4hr,3,2",
    )
)
REORDERED = " Denominator ,INDICATOR,org_code , Period,numerator\n100,ed_4hr,rf4,2024-01,7\n100,ed_4hr,RF4,2024-02,8\n"
VALUES = "org_code,period,indicator,value,lower,upper\nRF4,2024-04,shmi, 1.1 ,0.9,1.3\nRF4,2024-07,shmi,1.2,1.4,1.3\n"
SPACES = "\u00a0RF4\u3000,2024-01\u2028,ed_4hr, 1\t,\u200a2\nRF4,2024-02,ed_4hr,\u00a0,2\n"
MIXED = "RF4,2024-01,ed_4hr,1,2\r\nRF4,2024-02,ed_4hr,1,2\nRF4,2024-03,x,1\r\n"
MANY = "".join(f"RF4,2024-{m % 12 + 1:02d},ed_4hr,x\nRF4,2025-01,ed_4hr,{m},1\n" for m in range(40))
# (name, file text, its encoding, how the staged path reads it: COPY into its cells, COPY of its lines and a split
# in SQL, or Python): each is imported by all three paths.
MESSY = [
    ("quotes", HEAD + 'RF4,2024-01,ed_4hr,"1,234","2,000"\nRF4,2024-02,ed_4hr,"x",9\n', "utf-8", "python"),
    ("quoted header", 'org_code,"period",indicator,numerator,denominator\n' + ROWS, "utf-8", "python"),
    ("crlf", (HEAD + ROWS).replace("\n", "\r\n"), "utf-8", "fields"),
    ("bom and crlf", "\ufeff" + (HEAD + ROWS).replace("\n", "\r\n"), "utf-8", "fields"),
    ("mixed line ends", HEAD + MIXED, "utf-8", "lines"),
    ("a lone carriage return", HEAD + "RF4,2024-01,ed_4hr,1,2\rRF4,2024-02,ed_4hr,1,x\n", "utf-8", "python"),
    ("blank lines", "\n ,\n" + HEAD + "\n" + ROWS + ",,,,\n   \n\t\nRF4,2024-09,ed_4hr,1,2\n\n", "utf-8", "lines"),
    ("an error after blank lines", "\n" + HEAD + "\n\n" + ROWS + ",,\nRF4,2024-09,ed_4hr,1,x\n", "utf-8", "lines"),
    ("no newline at the end", HEAD + ROWS + "RF4,2024-09,ed_4hr,1,x", "utf-8", "fields"),
    ("extra columns", EXTRA, "utf-8", "lines"),
    ("extra columns, blank past the header", "".join(EXTRA.splitlines(True)[:3]), "utf-8", "lines"),
    ("extra columns, as many as named", "".join(EXTRA.splitlines(True)[:2]), "utf-8", "fields"),
    ("short rows", HEAD + "RF4\nRF4,2024-01\nRF4,2024-01,ed_4hr,1\n,\nRF4,2024-01,ed_4hr,1,2\n", "utf-8", "lines"),
    ("reordered header", REORDERED, "utf-8", "fields"),
    ("a duplicate, reordered", REORDERED + "100,ed_4hr,RF4,2024-01-01,8\n", "utf-8", "fields"),
    ("value columns", VALUES + "RF4,2024-10,shmi,-1,,\nRF4,2024-01,ed_4hr,0.5,,\n", "utf-8", "lines"),
    ("unicode spaces", HEAD + SPACES[: SPACES.index("\n") + 1], "utf-8", "lines"),
    ("a cell of a unicode space", HEAD + SPACES, "utf-8", "lines"),
    ("not utf-8", HEAD + "R\xc94,2024-01,ed_4hr,1,2\nRF4,2024-02,ed_4hr,1,\xa02\n", "cp1252", "lines"),
    ("not utf-8, imported", "note," + HEAD + "caf\xe9,RF4,2024-02,ed_4hr,1,\xa02\n", "cp1252", "lines"),
    ("utf-16", "\ufeff" + HEAD + ROWS, "utf-16-le", "fields"),
    ("nul", HEAD + "RF4,2024-01,ed_4hr,1,2\x00\n", "utf-8", "python"),
    ("end of data marker", HEAD + "RF4,2024-01,ed_4hr,1,2\n\\.\nRF4,2024-02,ed_4hr,1,2\n", "utf-8", "python"),
    ("delimiter byte", HEAD + "RF4,2024-01,ed_4hr,1,2\x01\n", "utf-8", "python"),
    ("many errors", HEAD + MANY, "utf-8", "lines"),
    ("only a header", HEAD, "utf-8", "fields"),
    ("a cell too long for csv.reader", HEAD + "RF4,2024-01,ed_4hr," + "1" * 140_000 + ",2\n", "utf-8", "python"),
]


def _outcome(path_to_file):
    """What an import did: its errors, or its counts and the rows stored (then deleted, for the next path)."""
    try:
        summary = import_file("observations", path_to_file)
    except ImportRefused as refused:
        return ("refused", refused.errors, refused.total)
    stored = sorted(
        Observation.objects.values_list(
            "organisation__ods_code", "indicator__code", "period", "numerator", "denominator", "value", "lower", "upper"
        )
    )
    Observation.objects.all().delete()
    return (summary.read, summary.created, summary.updated, summary.skipped, summary.unverified_codes, stored)


@pytest.mark.parametrize("chunk", [line_copy.CHUNK_CHARS, 5], ids=["chunks", "tiny chunks"])
@pytest.mark.parametrize(("name", "text", "encoding", "route"), MESSY, ids=[name for name, *_ in MESSY])
def test_a_messy_file_is_read_alike_whether_copied_as_written_read_in_python_or_read_simply(
    catalogue, write_csv, monkeypatch, name, text, encoding, route, chunk
):
    if connection.vendor != "postgresql":
        pytest.skip("the staging path runs on PostgreSQL")
    monkeypatch.setattr(line_copy, "CHUNK_CHARS", chunk)
    file = write_csv(text, encoding=encoding)
    taken = []
    for name in ("_copy_fields", "_copy_lines"):
        monkeypatch.setattr(line_copy, name, _noting(getattr(line_copy, name), name[len("_copy_") :], taken))
    outcomes = {}
    for path, staged, copied in (("simple", False, False), ("staged-python", True, False), ("staged", True, True)):
        monkeypatch.setattr(staging, "ENABLED", staged)
        monkeypatch.setattr(line_copy, "ENABLED", copied)
        outcomes[path] = _outcome(file)

    assert outcomes["staged"] == outcomes["simple"]
    assert outcomes["staged-python"] == outcomes["simple"]
    assert (taken or ["python"])[-1] == route


def _noting(copy, route, taken):
    """`copy`, noting its route when it fills the table."""

    def noted(*args):
        copy(*args)
        taken.append(route)

    return noted
