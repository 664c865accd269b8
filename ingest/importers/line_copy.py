"""A long CSV file COPYed as it is written: PostgreSQL splits it, Python only looks at it (issue 11).

Reading 331k rows with csv.reader into Row dicts and writing them row by row took longer than all
the server's checks. A file with no quote, no lone carriage return and none of the few
characters COPY itself reads specially is split exactly as csv.reader splits it by cutting each
line at its commas, and each physical line is then one record: the line of a row is the header's
line plus its place after it. Such a file is sent as text, 64k characters at a time. When it is
also simple (no blank line, no space to strip, every line as many fields as the header: nearly
every machine-written file), COPY splits it into the cells itself; otherwise it is COPYed a line
to a row and split and stripped in SQL, with the errors of a row cut short or too long. Anything
else, seen in a chunk or refused by the server, is rolled back to a savepoint and the caller
reads the file in Python: no PostgreSQL message ever reaches the user.
"""

import csv
import functools
import re
import sys
from collections.abc import Iterator

import psycopg

from .base import ImportContext
from .reading import Table, TextFile, long_row_error, short_row_error

ENABLED = True  # the Python reading runs when False (the tests compare both)
LINES = "ov_obs_lines"
CHUNK_CHARS = 1 << 16  # below csv.field_size_limit(): a chunk that is not longer has no line too long
# A quote and NUL are read otherwise by csv.reader; \x01 and \x02 are the COPY's delimiter and
# quote, so never split a line; a line "\." ends a CSV COPY's data.
_NOT_PLAIN = re.compile(r'["\x00\x01\x02]|\\\.')
_SPACE = re.compile(r"[^\S\n]")  # what str.strip() removes (re's \s is str.isspace), but the line breaks
COPY_LINES = (
    f"COPY {LINES} (text) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02', FORCE_NOT_NULL (text))"
)


class NotPlain(Exception):
    """The file holds something the split in SQL would read otherwise than csv.reader."""


class NotSimple(Exception):
    """The file has a blank line or a space to strip: COPY cannot split it into its cells alone."""


@functools.cache
def whitespace(ascii_only: bool) -> str:
    """The characters str.strip() removes (of ASCII only, for a file that has no other)."""
    return "".join(char for char in map(chr, range(128 if ascii_only else sys.maxunicode + 1)) if char.isspace())


def plain_chunks(source: TextFile, header_line: int) -> Iterator[tuple[str, int, bool]]:
    """The text after the header in whole lines, about CHUNK_CHARS at a time, ending "\\n": each with its lines,
    and whether it is simple (no blank line, no space to strip).

    Raises NotPlain as soon as a chunk holds what the split cannot take. CRLF becomes LF; a lone
    CR (a line break to csv.reader, not to COPY) is not plain.
    """
    with open(source.path, encoding=source.encoding, newline="") as file:
        for _ in range(header_line):  # the header and the blank lines before it, as csv.reader counted them
            if '"' in file.readline():
                raise NotPlain
        while chunk := file.read(CHUNK_CHARS):
            if not chunk.endswith("\n"):
                chunk += file.readline()
            if _NOT_PLAIN.search(chunk):
                raise NotPlain
            if returns := chunk.count("\r"):
                if returns != chunk.count("\r\n"):
                    raise NotPlain
                chunk = chunk.replace("\r\n", "\n")
            limit = csv.field_size_limit()
            if len(chunk) > limit and max(map(len, chunk.split("\n"))) > limit:
                raise NotPlain  # csv.reader refuses a field this long
            lines = chunk.count("\n")
            if not chunk.endswith("\n"):
                chunk, lines = chunk + "\n", lines + 1
            # Each chunk ends a line: one that starts with a line break starts with a blank line.
            simple = not (chunk.startswith("\n") or "\n\n" in chunk or _SPACE.search(chunk))
            yield chunk, lines, simple


def copy_table(cursor, table: Table, context: ImportContext, source, into: str, cells: tuple[str, ...]) -> bool:
    """Fill the temporary table `into` (line integer, then `cells` as text) from the file; False if it is not plain.

    As `reading.read_table` reads the rows: blank lines skipped, cells stripped, a column the
    header lacks empty, a row cut short or with something past the header an error (and not a
    row); `summary.read` counts the rows. A simple file (no blank line, nothing to strip, as many
    fields on every line as in the header: nearly every machine-written file) is split by COPY
    itself into the cells; any other plain file is COPYed a line to a row and split in SQL. On
    False nothing was written (the caller reads the file).
    """
    if not (ENABLED and isinstance(source, TextFile) and table.header_line):
        return False
    for copy in (_copy_fields, _copy_lines):
        cursor.execute(f"SAVEPOINT {LINES}")
        try:
            copy(cursor, table, context, source, into, cells)
        except NotPlain:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {LINES}")
            return False
        except (NotSimple, UnicodeError, psycopg.errors.DataError):
            cursor.execute(f"ROLLBACK TO SAVEPOINT {LINES}")
            continue
        cursor.execute(f"RELEASE SAVEPOINT {LINES}")
        return True
    return False


def _copy_fields(cursor, table: Table, context: ImportContext, source: TextFile, into: str, cells) -> None:
    """COPY a simple file into `into`, one column per field of the header; NotSimple (or a DataError) if it is not.

    A line whose fields are all empty (",,,,") is deleted: a blank line to csv.reader.
    """
    named = {position: name for name, position in table.positions.items()}
    fields = [named.get(position, f"unused_{position}") for position in range(len(table.header))]
    columns = [
        f"line integer GENERATED ALWAYS AS IDENTITY (START WITH {table.header_line + 1})",
        *(f"{name} text" for name in fields),
        *(f"{name} text DEFAULT ''" for name in cells if name not in table.positions),
    ]
    cursor.execute(f"CREATE TEMP TABLE {into} ({', '.join(columns)})")
    listed = ", ".join(fields)
    read, commas = 0, False
    with (
        context.counting() as advance,
        cursor.copy(f"COPY {into} ({listed}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({listed}))") as copy,
    ):
        for chunk, lines, simple in plain_chunks(source, table.header_line):
            if not simple:
                raise NotSimple
            commas = commas or chunk.startswith(",") or "\n," in chunk
            copy.write(chunk)
            read += lines
            advance(read)
    if commas:
        blank = " AND ".join(f"{name} = ''" for name in fields)
        cursor.execute(f"DELETE FROM {into} WHERE {blank}")
        read -= cursor.rowcount
    context.summary.read += read


def _copy_lines(cursor, table: Table, context: ImportContext, source: TextFile, into: str, cells) -> None:
    """COPY the lines after the header, numbered in order, then split them into `into` (`_split`)."""
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{LINES}")
    cursor.execute(f"CREATE TEMP TABLE {LINES} (n integer GENERATED ALWAYS AS IDENTITY, text text)")
    ascii_only, read = True, 0
    with context.counting() as advance, cursor.copy(COPY_LINES) as copy:
        for chunk, lines, _ in plain_chunks(source, table.header_line):
            ascii_only = ascii_only and chunk.isascii()
            copy.write(chunk)
            read += lines
            advance(read)
    _split(cursor, table, context, into, cells, whitespace(ascii_only))
    cursor.execute(f"DROP TABLE {LINES}")


def _split(cursor, table: Table, context: ImportContext, into: str, cells: tuple[str, ...], spaces: str) -> None:
    fields = len(table.header)
    params = {"spaces": spaces, "blank": spaces + ",", "header": table.header_line, "width": table.width}
    records = f"""
        SELECT (n + %(header)s)::integer AS line, string_to_array(text, ',') AS f
        FROM {LINES} WHERE btrim(text, %(blank)s) <> '' OFFSET 0
    """  # OFFSET 0: each line is split once, not once for each of its cells
    past = f"array_to_string(f[{fields + 1}:], '')"
    whole = f"cardinality(f) >= %(width)s AND (cardinality(f) <= {fields} OR btrim({past}, %(spaces)s) = '')"
    cursor.execute(
        f"""
        SELECT line, cardinality(f), array_to_string(f[{fields + 1}:], ','), count(*) OVER ()
        FROM ({records}) r WHERE NOT ({whole}) ORDER BY line LIMIT %(limit)s
        """,
        {**params, "limit": context.errors.limit},
    )
    found = cursor.fetchall()
    for line, count, extra, _ in found:
        if count < table.width:
            short_row_error(context.errors, line, count, table.header, table.width, table.labels)
        else:
            long_row_error(context.errors, line, count, extra, table.width)
    if found:
        context.errors.total += found[0][3] - len(found)
    columns = ", ".join(
        f"btrim(f[{table.positions[name] + 1}], %(spaces)s) AS {name}"
        if name in table.positions
        else f"''::text AS {name}"
        for name in cells
    )
    cursor.execute(f"CREATE TEMP TABLE {into} AS SELECT line, {columns} FROM ({records}) r WHERE {whole}", params)
    context.summary.read += cursor.rowcount
