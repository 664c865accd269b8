"""Reading uploaded CSV files: decoding, records with their line numbers, and strict cell parsers.

Every parser raises ValueError with a message fit to show the user; `RowCells` turns it into a
`RowError` naming the line, the column and the value, so one bad file yields one list of errors.
"""

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date

MAX_LISTED_ERRORS = 50

ODS_CODE_RE = re.compile(r"^[A-Z0-9]{3,6}$")
_PLAIN_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_UK_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


@dataclass(frozen=True)
class RowError:
    """One reason a file was refused: the line (header = 1), the column, the value as written, and why."""

    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        place = []
        if self.row is not None:
            place.append(f"row {self.row}")
        if self.column:
            place.append(f'column "{self.column}"')
            place.append(f'value "{self.value}"')
        return f"{', '.join(place)}: {self.message}" if place else self.message

    def as_dict(self) -> dict:
        return asdict(self)


class ErrorList:
    """Collects every error of a file but keeps only the first few to show: the rest are counted."""

    def __init__(self, limit: int = MAX_LISTED_ERRORS):
        self.limit = limit
        self.listed: list[RowError] = []
        self.total = 0

    def add(self, row: int | None, column: str, value: str, message: str) -> None:
        self.total += 1
        if len(self.listed) < self.limit:
            self.listed.append(RowError(row, column, value, message))

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    @property
    def not_listed(self) -> int:
        return self.total - len(self.listed)

    def lines(self) -> list[str]:
        lines = [str(error) for error in self.listed]
        if self.not_listed:
            lines.append(f"and {self.not_listed} more")
        return lines

    def as_json(self) -> list[dict]:
        listed = [error.as_dict() for error in self.listed]
        if self.not_listed:
            listed.append({"row": None, "column": "", "value": "", "message": f"and {self.not_listed} more"})
        return listed


def decode(data: bytes) -> str:
    """The text of a file saved as UTF-8 (with or without a BOM), UTF-16 with a BOM, or Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # Five bytes are undefined in Windows-1252; Latin-1 maps every byte, so the file still reads.
        return data.decode("latin-1")


SCAN_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class ScannedFile:
    """What one pass over a stored file found: its SHA-256, the encoding `decode` would pick, its first NUL."""

    sha256: str
    encoding: str
    nul_line: int | None


def scan_file(path) -> ScannedFile:
    """Read a file once in chunks (bounded memory) for its digest, its encoding (as `decode`) and any NUL.

    Each candidate encoding is tried over the whole file, as `decode` tries it over the whole text:
    UTF-16 when the file starts with its BOM, else UTF-8, Windows-1252 and Latin-1 (which never fails).
    """
    with open(path, "rb") as file:
        head = file.read(2)
    candidates = ["utf-16"] if head in (b"\xff\xfe", b"\xfe\xff") else ["utf-8-sig", "cp1252", "latin-1"]
    for encoding in candidates:
        digest, decoder = hashlib.sha256(), codecs.getincrementaldecoder(encoding)()
        nul_line, lines = None, 0
        try:
            with open(path, "rb") as file:
                while chunk := file.read(SCAN_CHUNK_BYTES):
                    digest.update(chunk)
                    text = decoder.decode(chunk)
                    if nul_line is None and (at := text.find("\x00")) >= 0:
                        nul_line = lines + text.count("\n", 0, at) + 1
                    lines += text.count("\n")
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return ScannedFile(digest.hexdigest(), encoding, nul_line)
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


class TextFile:
    """The lines of a stored file in a known encoding, read as they are iterated (newline="" like `decode`'s text)."""

    def __init__(self, path, encoding: str):
        self.path, self.encoding = path, encoding

    def __iter__(self) -> Iterator[str]:
        with open(self.path, encoding=self.encoding, newline="") as file:
            yield from file


def canonical(name: str) -> str:
    """A column name as compared: case, surrounding and repeated spaces ignored."""
    return " ".join(name.replace("\ufeff", "").split()).lower()


PIECE_CHARS = 1 << 20


def text_lines(text: str) -> Iterator[str]:
    """The lines of a text as a file opened with newline="" splits them, a megabyte at a time.

    A StringIO of the whole text would hold a second copy of it (four bytes a character): for a
    50 MB upload that alone is 200 MB. Each piece ends just after a "\n", so no "\r\n" is split.
    """
    start = 0
    while start < len(text):
        cut = text.find("\n", start + PIECE_CHARS)
        end = len(text) if cut < 0 else cut + 1
        yield from io.StringIO(text[start:end], newline="")
        start = end


def csv_records(text: str | Iterable[str], errors: ErrorList) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on; quoting errors are recorded, not raised.

    `text` is the file's text or an iterable of its lines (a file being streamed, `TextFile`).
    """
    reader = csv.reader(text_lines(text) if isinstance(text, str) else iter(text), strict=True)
    previous_line = 0
    while True:
        start = previous_line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            previous_line = reader.line_num
            reason = str(exc)
            if "unexpected end of data" in reason:
                reason = "the file ends inside a quoted cell: it was cut short (a truncated file?)"
            errors.add(start, "", "", f"unreadable CSV: {reason}")
            continue
        previous_line = reader.line_num
        if any(cell.strip() for cell in cells):
            yield start, cells


@dataclass
class Row:
    """One data record: its first line in the file and its cells by canonical column name, stripped."""

    line: int
    cells: dict[str, str]
    labels: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")

    def label(self, column: str) -> str:
        return self.labels.get(column, column)


@dataclass
class Table:
    """A CSV file read against the columns an importer needs (`rows` a generator when read lazily)."""

    header: list[str]
    rows: list[Row] | Iterator[Row]
    columns: set[str]
    labels: dict[str, str]
    header_line: int | None = None
    # Where each needed column is in a record, and the fields a record must have (up to the last named).
    positions: dict[str, int] = field(default_factory=dict)
    width: int = 0

    def has(self, column: str) -> bool:
        return column in self.columns


def read_table(
    text: str,
    errors: ErrorList,
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
    names: list[str] | None = None,
    na_values: Iterable[str] = (),
    lazy: bool = False,
) -> Table | None:
    """Read a CSV with a header (or, given `names`, without one); None when a needed column is missing.

    `lazy` reads the rows as the caller iterates over `table.rows` (once), so a long file is never
    held in memory: a row's errors are recorded when it is reached.

    A row with fewer fields than the header is an error (a truncated line); extra fields are an
    error only when they hold something. Blank lines are ignored, cells are stripped, and cells
    equal to one of `na_values` count as blank.
    """
    spelled = {canonical(column): column for column in [*required, *optional]}
    required = [canonical(column) for column in required]
    wanted = set(spelled)
    na_values = set(na_values)
    errors_before = errors.total
    records = csv_records(text, errors)
    if names is None:
        first = next(records, None)
        if first is None:
            errors.add(1, "", "", "the file is empty: no header row")
            return None
        header_line, header = first
        header = [cell.strip() for cell in header]
    else:
        header_line, header = None, list(names)
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    for position, name in enumerate(header):
        key = canonical(name)
        if not key:
            continue
        if key in positions and key in wanted:
            errors.add(
                header_line, name, name, f"the column appears twice (columns {positions[key] + 1} and {position + 1})"
            )
            continue
        positions.setdefault(key, position)
        labels.setdefault(key, name if names is None else f"{name} (column {position + 1})")
    missing = [column for column in required if column not in positions]
    for column in missing:
        errors.add(header_line or 1, spelled[column], "", f"missing column (the header has: {', '.join(header)})")
    if errors.total > errors_before:
        return None
    width = max((position for position, name in enumerate(header) if name.strip()), default=-1) + 1
    used = {column: positions[column] for column in wanted if column in positions}
    rows = _table_rows(records, errors, header, width, used, labels, names is None, set(na_values))
    return Table(
        header=header,
        rows=rows if lazy else list(rows),
        columns=set(used),
        labels=labels,
        header_line=header_line,
        positions=used,
        width=width,
    )


def _table_rows(records, errors, header, width, used, labels, has_header, na_values) -> Iterator[Row]:
    for line, cells in records:
        if len(cells) < width:
            short_row_error(errors, line, len(cells), header, width, labels)
            continue
        if has_header and len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
            long_row_error(errors, line, len(cells), ",".join(cells[len(header) :]), width)
            continue
        values = {}
        for column, position in used.items():
            value = cells[position].strip()
            values[column] = "" if value in na_values else value
        yield Row(line, values, labels)


def short_row_error(errors, line: int, fields: int, header: list[str], width: int, labels: dict[str, str]) -> None:
    first_missing = header[fields]
    errors.add(
        line,
        labels.get(canonical(first_missing), first_missing),
        "",
        f"the row has {fields} fields but the header has {width}: the line is cut short (a truncated file?)",
    )


def long_row_error(errors, line: int, fields: int, extra: str, width: int) -> None:
    """`extra` is the fields past the header's, as written (something in them: blank ones are ignored)."""
    errors.add(line, "", extra, f"the row has {fields} fields but the header has {width}")


class RowCells:
    """Parse one row's cells one at a time; a cell that fails is recorded and the row marked not ok."""

    def __init__(self, row: Row, errors: ErrorList):
        self.row = row
        self.errors = errors
        self.ok = True

    def get(self, column: str, parse: Callable[[str], object] | None = None, *, required: bool = True):
        text = self.row[column]
        if text == "":
            if required:
                self.error(column, "is empty")
            return None
        if parse is None:
            return text
        try:
            return parse(text)
        except ValueError as exc:
            self.error(column, str(exc))
            return None

    def error(self, column: str, message: str, value: str | None = None) -> None:
        self.ok = False
        self.errors.add(self.row.line, self.row.label(column), self.row[column] if value is None else value, message)


def parse_ods_code(text: str) -> str:
    code = text.strip().upper()
    if not ODS_CODE_RE.match(code):
        raise ValueError("not an ODS code (3 to 6 letters or digits, such as RF4 or QOP)")
    return code


def parse_number(text: str) -> float:
    """A number, allowing thousands separators ("1,234") as spreadsheets write them."""
    text = text.strip()
    if _THOUSANDS_RE.match(text):
        text = text.replace(",", "")
    elif not _PLAIN_NUMBER_RE.match(text):
        raise ValueError("not a number")
    return float(text)


def parse_count(text: str) -> float:
    number = parse_number(text)
    if number < 0:
        raise ValueError("a count cannot be negative")
    return number


def parse_month(text: str) -> date:
    """The first day of the month written as YYYY-MM or YYYY-MM-DD (the day must exist)."""
    match = _MONTH_RE.match(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError("not a month (expected YYYY-MM or YYYY-MM-DD)")
    year, month = int(match[1]), int(match[2])
    if match[3] is not None:
        _checked_date(year, month, int(match[3]))
    return date(year, month, 1)


def parse_date(text: str) -> date:
    """A date written as YYYY-MM-DD, YYYYMMDD (ODS) or DD/MM/YYYY (a UK spreadsheet)."""
    text = text.strip()
    for pattern, order in ((_ISO_DATE_RE, (1, 2, 3)), (_COMPACT_DATE_RE, (1, 2, 3)), (_UK_DATE_RE, (3, 2, 1))):
        match = pattern.match(text)
        if match:
            year, month, day = (int(match[i]) for i in order)
            if not 1 <= month <= 12:
                break
            return _checked_date(year, month, day)
    raise ValueError("not a date (expected YYYY-MM-DD)")


def _checked_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"not a date: {year}-{month:02d} has no day {day}") from None


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("not yes or no (expected true/false, yes/no or 1/0)")


def choice_parser(choices) -> Callable[[str], str]:
    """A parser accepting a value or a label of Django `choices` (any case), returning the value."""
    by_text = {}
    for value, label in choices:
        by_text[str(value).lower()] = value
        by_text[str(label).lower()] = value
    values = ", ".join(str(value) for value, _ in choices)

    def parse(text: str) -> str:
        try:
            return by_text[" ".join(text.split()).lower()]
        except KeyError:
            raise ValueError(f"not one of: {values}") from None

    return parse
