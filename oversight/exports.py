"""The one CSV and XLSX writer every export uses (board, API `?format=csv`, audit trail, management commands).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or carriage
return) as a formula, so a trust name or a note like `=HYPERLINK(...)` could attack whoever opens
the export. Following OWASP's CSV-injection guidance, such a text cell is written with a leading
single quote, which spreadsheets show as text. Numbers stay numbers: a float or int is never
touched, and neither is a text cell that is exactly a plain number (`-0.385`, `-12`, `1e-05`),
since exports often carry numbers already formatted. In XLSX every text cell is also typed as a
string, never a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def safe_cell(value):
    """A cell value that no spreadsheet will run: text that could start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(value) for value in values]


class SafeWriter:
    """csv.writer with every cell neutralised; writerow returns what the file's write returned."""

    def __init__(self, out, **options):
        self._writer = csv.writer(out, **options)

    def writerow(self, values: Iterable):
        return self._writer.writerow(safe_row(values))

    def writerows(self, rows: Iterable[Iterable]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):
    """csv.DictWriter with every value neutralised (the header names are ours)."""

    def writerow(self, rowdict):
        return super().writerow({key: safe_cell(value) for key, value in rowdict.items()})


def writer(out, **options) -> SafeWriter:
    """The csv.writer to use for any export."""
    return SafeWriter(out, **options)


def xlsx_bytes(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """A one-sheet workbook: numbers and dates as such, every text cell a string (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)

    def cells(values):
        out = []
        for value in values:
            value = safe_cell(value)
            if isinstance(value, str):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # openpyxl would type a leading "=" as a formula
                out.append(cell)
            else:
                out.append(value)
        return out

    sheet.append(cells(header))
    for row in rows:
        sheet.append(cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
