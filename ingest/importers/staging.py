"""The long observations import on PostgreSQL (issue 11): COPY into staging, set-based checks, set-based write.

The rows are streamed into a temporary table of text cells (with each row's line) by COPY, so
memory is bounded by the copy buffer, not by the file: a plain file as it is written, split by
the server (`line_copy`), any other read row by row in Python. The distinct ODS codes, periods, indicator
codes and numbers (far fewer than the rows: counts repeat) are parsed once each by the simple
path's own parsers (`reading.parse_*`), so every cell is judged as it is there; the rules that combine cells (the
kind's columns, the cadence, counts, limits, duplicate keys) are SQL over the whole table. The
errors are the simple path's: the same row, column, value and message, in the same order, capped
the same way. A file without errors is written by `observation_writes.observations_write` (an UPDATE of the
stored rows whose values differ, an INSERT of the new keys), so a second import of the same file
changes nothing. All of it runs inside the import's transaction: on any error nothing is stored and
the temporary tables go with the rollback.
"""

from django.db import connection

from indicators.constants import Cadence, IndicatorKind

from . import line_copy
from .base import OBSERVATION_VALUE_FIELDS, ImportContext, organisation_ids
from .observation_writes import observations_write
from .reading import RowError, Table, parse_month, parse_number, parse_ods_code

ENABLED = True  # the simple path runs on PostgreSQL too when False (the tests compare both)
CELLS = ("org_code", "period", "indicator", *OBSERVATION_VALUE_FIELDS)
NUMBERS = OBSERVATION_VALUE_FIELDS
# Sorts and hashes of a long file's rows in memory rather than on disk (for this transaction only).
WORK_MEM = "128MB"
RAW, CODES, PERIODS, INDICATORS, NUMBER_TABLE, CHECKED, ORGS = (
    f"ov_obs_{name}" for name in ("raw", "codes", "periods", "indicators", "numbers", "checked", "orgs")
)
QUARTERLY_MESSAGE = " is quarterly: a period is the first month of a quarter (YYYY-01, YYYY-04, YYYY-07 or YYYY-10)"


def applies() -> bool:
    return ENABLED and connection.vendor == "postgresql"


def import_observations_staged(
    table: Table, context: ImportContext, indicators: dict, known_codes: str, source
) -> None:
    """Check and write a long observations file (its header already read from `source`) on PostgreSQL.

    A plain file is COPYed as it is written and split by the server (`line_copy`); any other is
    read here row by row.
    """
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        for name in (RAW, CODES, PERIODS, INDICATORS, NUMBER_TABLE, CHECKED, ORGS):
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        if not line_copy.copy_table(cursor, table, context, source, RAW, CELLS):
            _copy_rows(cursor, table, context)
        cursor.execute(f"ANALYZE {RAW}")
        _lookups(cursor, table, indicators, known_codes)
        _check(cursor, table)
        _report(cursor, context, table)
        context.refuse_if_errors()
        _upsert(cursor, context)
        for name in (RAW, CODES, PERIODS, INDICATORS, NUMBER_TABLE, CHECKED, ORGS):
            cursor.execute(f"DROP TABLE IF EXISTS {name}")  # ORGS is not made for a file of no rows


def _copy_rows(cursor, table: Table, context: ImportContext) -> None:
    """Stream the rows into the raw table (the progress bar and heartbeat count them as they go)."""
    cells = ", ".join(f"{name} text" for name in CELLS)
    cursor.execute(f"CREATE TEMP TABLE {RAW} (line integer, {cells})")
    with cursor.copy(f"COPY {RAW} (line, {', '.join(CELLS)}) FROM STDIN") as copy:
        for row in context.rows(table.rows):
            context.summary.read += 1
            values = row.cells
            copy.write_row((row.line, *[values.get(name, "") for name in CELLS]))


def _distinct(cursor, columns: list[str]) -> dict[str, set[str]]:
    """The distinct non-empty texts of each column, in one scan of the raw table (a grouping set each)."""
    sets = ", ".join(f"({name})" for name in columns)
    cursor.execute(
        f"SELECT {', '.join(columns)}, GROUPING({', '.join(columns)}) FROM {RAW} GROUP BY GROUPING SETS ({sets})"
    )
    texts = {name: set() for name in columns}
    for *values, grouping in cursor.fetchall():
        # The grouped column's bit is 0 (the first column's bit is the highest).
        position = next(i for i in range(len(columns)) if not grouping >> (len(columns) - 1 - i) & 1)
        if values[position]:
            texts[columns[position]].add(values[position])
    return texts


def _parsed(parse, text: str) -> tuple:
    try:
        return parse(text), None
    except ValueError as exc:
        return None, str(exc)


def _fill(cursor, name: str, columns: str, rows) -> None:
    cursor.execute(f"CREATE TEMP TABLE {name} ({columns})")
    with cursor.copy(f"COPY {name} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(f"ANALYZE {name}")


def _lookups(cursor, table: Table, indicators: dict, known_codes: str) -> None:
    """Each distinct code, period, indicator and number of the file, parsed as the simple path does."""
    numbers = [name for name in NUMBERS if table.has(name)]
    distinct = _distinct(cursor, ["org_code", "period", "indicator", *numbers])
    _fill(
        cursor,
        CODES,
        "text text PRIMARY KEY, code text, message text",
        ((text, *_parsed(parse_ods_code, text)) for text in distinct["org_code"]),
    )
    _fill(
        cursor,
        PERIODS,
        "text text PRIMARY KEY, period date, message text",
        ((text, *_parsed(parse_month, text)) for text in distinct["period"]),
    )
    unknown = f"unknown indicator code; known codes: {known_codes}"
    rows = []
    for text in distinct["indicator"]:
        indicator = indicators.get(text.strip().lower())
        if indicator is None:
            rows.append((text, None, None, None, None, unknown))
        else:
            rows.append((text, indicator.pk, indicator.code, str(indicator.kind), str(indicator.cadence), None))
    _fill(
        cursor, INDICATORS, "text text PRIMARY KEY, id integer, code text, kind text, cadence text, message text", rows
    )
    # Every distinct number of the file: far fewer than its rows (counts repeat), each parsed once.
    texts = set().union(*(distinct[name] for name in numbers))
    _fill(
        cursor,
        NUMBER_TABLE,
        "text text PRIMARY KEY, number float8, message text",
        ((text, *_parsed(parse_number, text)) for text in texts),
    )


def _check(cursor, table: Table) -> None:
    """One row per staged row: its parsed values and the message of each rule it breaks (NULL if none)."""
    needed = {
        IndicatorKind.PROPORTION: ("numerator", "denominator"),
        "other": ("value",),
    }
    absent = {kind: next((name for name in columns if not table.has(name)), None) for kind, columns in needed.items()}
    # A column the file lacks is empty on every row: no join to parse it.
    numbers = ",\n".join(
        f"n_{name}.number AS {name}_n, n_{name}.message AS {name}_m"
        if table.has(name)
        else f"NULL::float8 AS {name}_n, NULL::text AS {name}_m"
        for name in NUMBERS
    )
    number_joins = "\n".join(
        f"LEFT JOIN {NUMBER_TABLE} n_{name} ON n_{name}.text = r.{name}" for name in NUMBERS if table.has(name)
    )
    cursor.execute(
        f"""
        CREATE TEMP TABLE {CHECKED} AS
        WITH parsed AS (
            SELECT r.*, c.code AS oc, c.message AS oc_m, p.period AS pd, p.message AS pd_m,
                i.id AS ind_id, i.code AS ind_code, i.kind, i.cadence, i.message AS ind_m,
                i.kind = 'proportion' AS prop,
                CASE WHEN i.kind = 'proportion' THEN %(absent_proportion)s::text ELSE %(absent_other)s::text END
                    AS absent,
                {numbers}
            FROM {RAW} r
            LEFT JOIN {CODES} c ON c.text = r.org_code
            LEFT JOIN {PERIODS} p ON p.text = r.period
            LEFT JOIN {INDICATORS} i ON i.text = r.indicator
            {number_joins}
        ), counted AS (
            SELECT *, ind_id IS NOT NULL AND absent IS NULL AS go,
                CASE WHEN numerator_m IS NULL AND numerator_n >= 0 THEN numerator_n END AS num,
                CASE WHEN denominator_m IS NULL AND denominator_n >= 0 THEN denominator_n END AS den
            FROM parsed
        ), judged AS (
            SELECT line, org_code, period, indicator, numerator, denominator, value, lower, upper,
                oc, pd, ind_id, ind_code, prop, go, absent, num, den, value_n, lower_n, upper_n,
                CASE WHEN org_code = '' THEN 'is empty' ELSE oc_m END AS m_org,
                CASE WHEN period = '' THEN 'is empty' ELSE pd_m END AS m_period,
                CASE WHEN indicator = '' THEN 'is empty' ELSE ind_m END AS m_indicator,
                CASE WHEN ind_id IS NOT NULL AND pd IS NOT NULL AND cadence = %(quarterly)s
                    AND extract(month FROM pd) NOT IN (1, 4, 7, 10) THEN ind_code || %(quarterly_message)s
                END AS m_cadence,
                CASE WHEN ind_id IS NOT NULL AND absent IS NOT NULL THEN ind_code || ' is a ' || kind
                    || ': the file needs the column(s) '
                    || CASE WHEN prop THEN 'numerator, denominator' ELSE 'value' END
                END AS m_absent,
                CASE WHEN go THEN CASE WHEN numerator = '' THEN CASE WHEN prop THEN 'is empty' END
                    ELSE coalesce(numerator_m, CASE WHEN numerator_n < 0 THEN 'a count cannot be negative' END) END
                END AS m_numerator,
                CASE WHEN go THEN CASE WHEN denominator = '' THEN CASE WHEN prop THEN 'is empty' END
                    ELSE coalesce(denominator_m, CASE WHEN denominator_n < 0 THEN 'a count cannot be negative' END)
                    END
                END AS m_denominator,
                CASE WHEN go THEN lower_m END AS m_lower,
                CASE WHEN go THEN upper_m END AS m_upper,
                CASE WHEN go AND prop AND num > den
                    THEN 'the numerator is greater than the denominator (' || denominator || ')'
                END AS m_greater,
                CASE WHEN go AND prop AND num <= den AND den = 0
                    THEN 'the denominator is 0, so the proportion is undefined'
                END AS m_zero,
                CASE WHEN go AND NOT prop THEN CASE WHEN value = '' THEN 'is empty'
                    ELSE coalesce(value_m, CASE WHEN kind = %(ratio)s AND value_n < 0
                        THEN 'a ratio cannot be negative' END) END
                END AS m_value,
                CASE WHEN go AND lower_m IS NULL AND upper_m IS NULL AND lower_n > upper_n
                    THEN 'the lower limit is above the upper limit (' || upper || ')'
                END AS m_limits
            FROM counted
        )
        SELECT *, go AND num_nulls(m_org, m_period, m_indicator, m_cadence, m_absent, m_numerator, m_denominator,
            m_lower, m_upper, m_greater, m_zero, m_value, m_limits) = 13 AS ok
        FROM judged
        """,
        {
            "absent_proportion": absent[IndicatorKind.PROPORTION],
            "absent_other": absent["other"],
            "quarterly": Cadence.QUARTERLY.value,
            "quarterly_message": QUARTERLY_MESSAGE,
            "ratio": IndicatorKind.RATIO.value,
        },
    )


# The rules in the order the simple path checks a row: (message column, file column, value); then duplicates.
RULES = [
    ("m_org", "'org_code'", "org_code"),
    ("m_period", "'period'", "period"),
    ("m_indicator", "'indicator'", "indicator"),
    ("m_cadence", "'period'", "period"),
    ("m_absent", "absent", "''"),
    ("m_numerator", "'numerator'", "numerator"),
    ("m_denominator", "'denominator'", "denominator"),
    ("m_lower", "'lower'", "lower"),
    ("m_upper", "'upper'", "upper"),
    ("m_greater", "'numerator'", "numerator"),
    ("m_zero", "'denominator'", "denominator"),
    ("m_value", "'value'", "value"),
    ("m_limits", "'lower'", "lower"),
]


def _report(cursor, context: ImportContext, table: Table) -> None:
    """Merge the rules' errors (the first few, and their count) with those found while reading the rows.

    A key given twice is reported only between rows otherwise without error, naming the first of them.
    """
    rules = ", ".join(
        f"({order}, {message}, {column}, {value})" for order, (message, column, value) in enumerate(RULES)
    )
    cursor.execute(
        f"""
        WITH keys AS (
            SELECT oc, ind_id, pd, min(line) AS first_line FROM {CHECKED} WHERE ok
            GROUP BY oc, ind_id, pd HAVING count(*) > 1
        ), errors AS (
            SELECT c.line, rule.ord, rule.col, rule.val, rule.msg
            FROM {CHECKED} c CROSS JOIN LATERAL (VALUES {rules}) AS rule (ord, msg, col, val)
            WHERE NOT c.ok AND rule.msg IS NOT NULL
            UNION ALL
            SELECT c.line, {len(RULES)}, 'org_code', c.org_code, 'duplicates row ' || k.first_line
                || ': the same org_code, indicator and period (' || c.oc || ', ' || c.ind_code || ', '
                || to_char(c.pd, 'YYYY-MM-DD') || ') is given twice'
            FROM {CHECKED} c JOIN keys k ON k.oc = c.oc AND k.ind_id = c.ind_id AND k.pd = c.pd
            WHERE c.ok AND c.line > k.first_line
        )
        SELECT line, col, val, msg, count(*) OVER () FROM errors ORDER BY line, ord LIMIT %s
        """,
        [context.errors.limit],
    )
    found = cursor.fetchall()
    if not found:
        return
    errors = context.errors
    listed = [
        RowError(line, table.labels.get(column, column), value, message) for line, column, value, message, _ in found
    ]
    errors.listed = sorted(errors.listed + listed, key=lambda error: error.row or 0)[: errors.limit]
    errors.total += found[0][4]


def _upsert(cursor, context: ImportContext) -> None:
    """Write every checked row through `observations_write` (a stored row with the same values keeps its batch)."""
    # The file's codes, from its lookup: a file without errors has every one on a row (and no other).
    cursor.execute(f"SELECT code FROM {CODES} WHERE code IS NOT NULL")
    codes = {code for (code,) in cursor.fetchall()}
    if not codes:
        return
    ids = organisation_ids(context, codes)
    _fill(cursor, ORGS, "code text PRIMARY KEY, id integer", ids.items())
    observations_write(
        context,
        cursor,
        f"""
        SELECT o.id::bigint AS organisation_id, c.ind_id::bigint AS indicator_id, c.pd AS period,
            c.num AS numerator, c.den AS denominator,
            CASE WHEN c.prop THEN c.num / c.den ELSE c.value_n END AS value, c.lower_n AS lower, c.upper_n AS upper
        FROM {CHECKED} c JOIN {ORGS} o ON o.code = c.oc
        """,
    )
