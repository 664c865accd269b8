"""The NHS Staff Survey organisational results workbook (xlsx) exactly as published.

Two sheets are read: `THEMES` (staff engagement and morale) and `PEOPLE PROMISE ELEMENTS`
(PP1–PP7). Each has a title block above its header; the header is the row whose first cell is
"ODS code". Every organisation row gives its code, name, **benchmarking group** and, per theme
or element, a 0–10 score and its response base. Each headline theme and element becomes one
annual observation (period 1 January of the survey year, value = the score, denominator = the
base); sub-scores (E_1, PP1_1…) are not loaded. The survey year is read from the title
("NHS Staff Survey 2024 - WEIGHTED Results"). The benchmarking group of every NHS trust is
stored (SurveyBenchmarkGroup), so the staff-survey comparison deviates from its group's mean.

Errors name the sheet's row as Excel numbers it, the column's header and the value.
"""

import io
import re
import zipfile
from datetime import date

from indicators.models import Indicator, SurveyBenchmarkGroup
from trusts.models import Organisation

from .base import ImportContext, KeyRegister, TrustRegister
from .observation_writes import ObservationRow, observations_upsert
from .reading import Row, parse_ods_code

HEADER_FIRST_CELL = "ods code"
CODE, NAME, GROUP = "ods code", "organisation name", "benchmarking group"
SHEETS = {
    "THEMES": {
        "Staff Engagement - score": "staff_survey_engagement",
        "Morale - score": "staff_survey_morale",
    },
    "PEOPLE PROMISE ELEMENTS": {f"PP{n} - score": f"staff_survey_pp{n}" for n in range(1, 8)},
}
BASE = "base (number of responses)"
HEADER_SEARCH_ROWS = 30
_YEAR_RE = re.compile(r"staff survey (\d{4})", re.IGNORECASE)


def _key(text) -> str:
    return " ".join(str(text or "").split()).lower()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _score(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a score") from None
    if not 0 <= value <= 10:
        raise ValueError("a staff survey score lies between 0 and 10")
    return value


def _base(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("not a number of responses") from None
    if value < 0 or not value.is_integer():
        raise ValueError("a number of responses is a whole number, not negative")
    return value


def import_staff_survey(data: bytes, context: ImportContext) -> None:
    from openpyxl import load_workbook  # a dependency only this importer needs

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        context.errors.add(None, "", "", f"not a readable Excel workbook (.xlsx): {exc} (a truncated or renamed file?)")
        return
    codes = [code for sheet in SHEETS.values() for code in sheet.values()]
    indicators = {indicator.code: indicator for indicator in Indicator.objects.filter(code__in=codes)}
    for code in codes:
        if code not in indicators:
            context.errors.add(
                None, "", "", f'the indicator "{code}" is not in the catalogue: import data/indicators.csv first'
            )
    missing_sheets = [name for name in SHEETS if name not in workbook.sheetnames]
    for name in missing_sheets:
        context.errors.add(None, "sheet", name, f"missing sheet (the workbook has: {', '.join(workbook.sheetnames)})")
    if context.errors:
        return
    trusts = TrustRegister(context)
    groups: dict[str, tuple[int, str]] = {}
    observations = []
    year = None
    for sheet_name, wanted in SHEETS.items():
        rows = list(workbook[sheet_name].iter_rows(values_only=True))
        title = " ".join(_text(cell) for row in rows[:3] for cell in row if cell)
        found = _YEAR_RE.search(title)
        if not found:
            context.errors.add(
                1, f"{sheet_name} title", title[:80], 'no survey year in the title (expected "NHS Staff Survey 2024 …")'
            )
            continue
        sheet_year = int(found[1])
        if not 2003 <= sheet_year <= date.today().year:
            context.errors.add(1, f"{sheet_name} title", found[0], "not a plausible survey year")
            continue
        if year is not None and sheet_year != year:
            context.errors.add(1, f"{sheet_name} title", found[0], f"the THEMES sheet is for {year}")
            continue
        year = sheet_year
        header_index = next(
            (i for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if row and _key(row[0]) == HEADER_FIRST_CELL), None
        )
        if header_index is None:
            context.errors.add(
                None,
                f"{sheet_name} header",
                "",
                f'no header row (one whose first cell is "ODS code") in the first '
                f"{HEADER_SEARCH_ROWS} rows of the sheet",
            )
            continue
        header = [_key(cell) for cell in rows[header_index]]
        positions = {}
        for column in (CODE, NAME, GROUP, *(_key(name) for name in wanted)):
            if column not in header:
                context.errors.add(header_index + 1, column, "", f"missing column in sheet {sheet_name}")
            else:
                positions[column] = header.index(column)
        if len(positions) < 3 + len(wanted):
            continue
        keys = KeyRegister("ODS code")
        for index, cells_in_row in enumerate(rows[header_index + 1 :], start=header_index + 2):
            values = [_text(cell) for cell in cells_in_row]
            if not any(values):
                continue
            labels = {_key(name): f"{name} ({sheet_name})" for name in wanted}
            cells_by_column = {column: values[p] if p < len(values) else "" for column, p in positions.items()}
            for name in wanted:
                base_position = positions[_key(name)] + 1
                cells_by_column[f"{_key(name)} base"] = values[base_position] if base_position < len(values) else ""
                labels[f"{_key(name)} base"] = f"{BASE} of {name} ({sheet_name})"
            row = Row(index, cells_by_column, {CODE: "ODS code", GROUP: "Benchmarking group", **labels})
            if sheet_name == "THEMES":
                context.summary.read += 1
            cells = context.cells(row)
            code = cells.get(CODE, parse_ods_code)
            group = cells.get(GROUP)
            parsed = []
            for name, indicator_code in wanted.items():
                # Fewer than 10 responses: the published cell is blank ("-"), no observation.
                if row[_key(name)] in ("", "-"):
                    continue
                score = cells.get(_key(name), _score)
                base = cells.get(f"{_key(name)} base", _base)
                parsed.append((indicator_code, score, base))
            if not cells.ok or not keys.claim(cells, (code,), CODE):
                continue
            if not trusts.accepts(code, name=row[NAME]):
                if sheet_name == "THEMES":
                    context.summary.skipped += 1
                continue
            groups[code] = (index, group)
            for indicator_code, score, base in parsed:
                observations.append(
                    ObservationRow(
                        index, code, indicators[indicator_code], date(year, 1, 1), denominator=base, value=score
                    )
                )
    context.refuse_if_errors()
    observations_upsert(context, observations)
    _groups_upsert(context, year, {code: group for code, (_, group) in groups.items()})


import_staff_survey.binary = True


def _groups_upsert(context: ImportContext, year: int, groups: dict[str, str]) -> None:
    ids = dict(Organisation.objects.filter(ods_code__in=groups).values_list("ods_code", "pk"))
    stored = {row.organisation_id: row for row in SurveyBenchmarkGroup.objects.filter(year=year)}
    creating, updating = [], []
    for code, group in groups.items():
        held = stored.get(ids[code])
        if held is None:
            creating.append(
                SurveyBenchmarkGroup(organisation_id=ids[code], year=year, group=group, batch=context.batch)
            )
        elif held.group != group:
            held.group, held.batch = group, context.batch
            updating.append(held)
    SurveyBenchmarkGroup.objects.bulk_create(creating)
    SurveyBenchmarkGroup.objects.bulk_update(updating, ["group", "batch"])
    context.summary.created += len(creating)
    context.summary.updated += len(updating)
