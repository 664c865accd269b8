"""SHMI trust-level CSVs exactly as published, in both official layouts.

- NHS Digital (2020s): `INDICATOR_CODE, PROVIDER_CODE, PROVIDER_NAME, SHMI_VALUE, SHMI_BANDING,
  SPELLS, OBSERVED, EXPECTED, PO_LL, PO_UL, OD_LL, OD_UL`, saved as UTF-8 with a BOM;
- HSCIC (2011–2014): `INDICATOR_CODE, PROVIDER, PROVIDER NAME, DENOMINATOR, OBSERVED, EXPECTED,
  VALUE, PO_LL, PO_UL, [PO_BANDING,] OD_LL, OD_UL, OD_BANDING`, the later files ending with a
  blank row and a copyright line (dropped here, only at the end of the file).

Each row becomes one `shmi` observation: numerator = observed deaths, denominator = expected
deaths, value = the published SHMI, lower/upper = the published overdispersed 95% limits
(OD_LL, OD_UL), from which the recompute takes z_adj = 1.959964·ln(SHMI)/ln(OD_UL) (methods §2).

The period. Neither layout states the year it covers; the file name does, as published:
- NHS Digital names the year, e.g. `SHMI_data_at_trust_level_Feb25-Jan26_csv.csv` (Feb 2025 –
  Jan 2026);
- HSCIC named the publication, e.g. `shmi-2013-july.csv`: each publication covered the rolling
  year ending seven months earlier (October 2011 → April 2010–March 2011, July 2013 → the year
  to December 2012).
SHMI is quarterly in the catalogue: a period is the first month of the calendar quarter with
which the rolling year ends. A year ending mid-quarter (the monthly NHS Digital files) is filed
under the last calendar quarter it covers completely: Feb 2025 – Jan 2026 is the 2025-10 period
(the rolling year to December 2025, one month earlier). A name that says neither is refused.
"""

import re
from datetime import date

from indicators.constants import SHMI
from indicators.stats.periods import month_number

from .ae import _MONTHS
from .base import ImportContext, KeyRegister, TrustRegister, catalogued_indicator
from .observation_writes import ObservationRow, observations_upsert
from .reading import parse_count, parse_number, parse_ods_code, read_table

NEW_REQUIRED = ["PROVIDER_CODE", "SHMI_VALUE", "OBSERVED", "EXPECTED", "OD_LL", "OD_UL"]
OLD_REQUIRED = ["PROVIDER", "VALUE", "OBSERVED", "EXPECTED", "OD_LL", "OD_UL"]
OPTIONAL = ["INDICATOR_CODE", "PROVIDER_NAME", "PROVIDER NAME", "SPELLS", "DENOMINATOR", "SHMI_BANDING", "OD_BANDING"]
PUBLICATION_LAG_MONTHS = 7  # HSCIC: a publication covers the year ending 7 months before its month

_YEAR_SPAN_RE = re.compile(r"(?i)(?<![a-z])([a-z]{3})(\d{2})[-_ ]?(?:to[-_ ]?)?([a-z]{3})(\d{2})(?!\d)")
_PUBLICATION_RE = re.compile(r"(?i)shmi[-_ ](\d{4})[-_ ]([a-z]+)")
_COPYRIGHT_RE = re.compile(r'^\s*"?\s*copyright', re.IGNORECASE)


def _quarter_ending_by(end_month: int) -> date:
    """The first month of the last calendar quarter that ends on or before `end_month` (a month number)."""
    year, month0 = divmod(end_month, 12)
    quarter_end = month0 - (month0 % 3) + 2  # third month of end_month's quarter (0-based)
    if quarter_end > month0:
        year, month0 = divmod(end_month - (month0 % 3) - 1, 12)
    return date(year, month0 - month0 % 3 + 1, 1)


def shmi_period(file_name: str) -> date:
    """The quarterly period a SHMI file covers, from its published file name (see the module doc)."""
    span = _YEAR_SPAN_RE.search(file_name)
    if span and span[1].upper() in _MONTHS and span[3].upper() in _MONTHS:
        start = month_number(date(2000 + int(span[2]), _MONTHS[span[1].upper()], 1))
        end = month_number(date(2000 + int(span[4]), _MONTHS[span[3].upper()], 1))
        if end - start != 11:
            raise ValueError(f"the file name says {span[0]}, which is not a rolling year (12 months)")
        return _quarter_ending_by(end)
    publication = _PUBLICATION_RE.search(file_name)
    if publication and publication[2].upper() in _MONTHS:
        published = month_number(date(int(publication[1]), _MONTHS[publication[2].upper()], 1))
        return _quarter_ending_by(published - PUBLICATION_LAG_MONTHS)
    raise ValueError(
        "cannot tell which year the file covers: keep the published file name "
        "(such as SHMI_data_at_trust_level_Feb25-Jan26_csv.csv or shmi-2013-july.csv)"
    )


def _without_trailer(text: str) -> str:
    """The text without the HSCIC trailer: trailing blank, comma-only and copyright lines."""
    lines = text.splitlines(keepends=True)
    while lines and (not lines[-1].replace(",", "").strip() or _COPYRIGHT_RE.match(lines[-1])):
        lines.pop()
    return "".join(lines)


def _positive(text: str) -> float:
    number = parse_number(text)
    if number <= 0:
        raise ValueError("must be greater than 0")
    return number


def import_shmi(text: str, context: ImportContext) -> None:
    indicator = catalogued_indicator(context, SHMI)
    try:
        period = shmi_period(context.batch.file_name)
    except ValueError as exc:
        context.errors.add(None, "file name", context.batch.file_name, str(exc))
        return
    text = _without_trailer(text)
    first_line = text.split("\n", 1)[0].upper()
    old_layout = "PROVIDER_CODE" not in first_line and "PROVIDER" in first_line
    code_column, value_column = ("provider", "value") if old_layout else ("provider_code", "shmi_value")
    table = read_table(text, context.errors, required=OLD_REQUIRED if old_layout else NEW_REQUIRED, optional=OPTIONAL)
    if table is None or indicator is None:
        return
    name_column = "provider name" if table.has("provider name") else "provider_name"
    trusts = TrustRegister(context)
    keys = KeyRegister("provider")
    observations = []
    for row, cells in context.read(table.rows):
        code = cells.get(code_column, parse_ods_code)
        value = cells.get(value_column, _positive)
        observed = cells.get("observed", parse_count)
        expected = cells.get("expected", _positive)
        lower = cells.get("od_ll", _positive)
        upper = cells.get("od_ul", _positive)
        if lower is not None and upper is not None:
            if lower > upper:
                cells.error("od_ll", f"the lower limit is above the upper limit ({row['od_ul']})")
            elif upper <= 1:
                cells.error("od_ul", "an upper 95% limit of SHMI must be above 1")
        if not cells.ok or not keys.claim(cells, (code,), code_column):
            continue
        if not trusts.accepts(code, name=row[name_column]):
            context.summary.skipped += 1
            continue
        observations.append(
            ObservationRow(
                row.line,
                code,
                indicator,
                period,
                numerator=observed,
                denominator=expected,
                value=value,
                lower=lower,
                upper=upper,
            )
        )
    context.refuse_if_errors()
    observations_upsert(context, observations)
