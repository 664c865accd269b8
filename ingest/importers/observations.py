"""Observations as a long CSV: `org_code,period,indicator` and then, by the indicator's kind,
`numerator,denominator` (proportions) or `value[,lower,upper]` (ratios and scores)."""

from indicators.constants import Cadence, IndicatorKind
from indicators.models import Indicator

from . import staging
from .base import ImportContext, KeyRegister
from .observation_writes import ObservationRow, observations_upsert
from .reading import parse_count, parse_month, parse_number, parse_ods_code, read_table

REQUIRED = ["org_code", "period", "indicator"]
OPTIONAL = ["numerator", "denominator", "value", "lower", "upper"]
QUARTER_STARTS = (1, 4, 7, 10)


CHUNK_ROWS = 5000  # rows checked and written at a time: memory is bounded by this, not by the file


def import_observations(text, context: ImportContext) -> None:
    """Read, check and write the rows a chunk at a time (the file may be millions of rows).

    On PostgreSQL the rows are COPYed into a staging table and checked there (`staging`), with the
    same errors; the simple path below runs on SQLite.

    Chunks are written while the file has no error; the first error stops the writing (the rest
    is still checked, to list every problem) and the transaction rolls back what was written.
    """
    table = read_table(text, context.errors, required=REQUIRED, optional=OPTIONAL, lazy=True)
    if table is None:
        return
    if not (table.has("value") or (table.has("numerator") and table.has("denominator"))):
        absent = "denominator" if table.has("numerator") else "numerator" if table.has("denominator") else "value"
        context.errors.add(
            table.header_line,
            absent,
            "",
            "missing column: give numerator and denominator (proportions) or value (ratios and scores)",
        )
        return
    indicators = {indicator.code: indicator for indicator in Indicator.objects.all()}
    known_codes = ", ".join(sorted(indicators)) or "none: import the indicator catalogue first"
    if staging.applies():
        staging.import_observations_staged(table, context, indicators, known_codes, text)
        return
    keys = KeyRegister("org_code, indicator and period", compact=True)
    rows = []
    for row, cells in context.read(table.rows):
        org_code = cells.get("org_code", parse_ods_code)
        period = cells.get("period", parse_month)
        indicator_code = cells.get("indicator")
        indicator = indicators.get(indicator_code.strip().lower()) if indicator_code else None
        if indicator_code and indicator is None:
            cells.error("indicator", f"unknown indicator code; known codes: {known_codes}")
        if indicator is None:
            continue
        if period and indicator.cadence == Cadence.QUARTERLY and period.month not in QUARTER_STARTS:
            cells.error(
                "period",
                f"{indicator.code} is quarterly: a period is the first month of a quarter "
                "(YYYY-01, YYYY-04, YYYY-07 or YYYY-10)",
            )
        needed = ("numerator", "denominator") if indicator.kind == IndicatorKind.PROPORTION else ("value",)
        absent = [column for column in needed if not table.has(column)]
        if absent:
            cells.error(
                absent[0], f"{indicator.code} is a {indicator.kind}: the file needs the column(s) {', '.join(needed)}"
            )
            continue
        observation = _observation(cells, indicator)
        if cells.ok and keys.claim(cells, (org_code, indicator.code, period), "org_code"):
            observation.line, observation.org_code, observation.period = row.line, org_code, period
            rows.append(observation)
            if len(rows) >= CHUNK_ROWS:
                if not context.errors:
                    observations_upsert(context, rows)
                rows = []
    context.refuse_if_errors()
    observations_upsert(context, rows)


import_observations.streaming = True


def _observation(cells, indicator: Indicator) -> ObservationRow:
    """The numbers of one row, checked against the indicator's kind."""
    observation = ObservationRow(line=0, org_code="", indicator=indicator, period=None)
    proportion = indicator.kind == IndicatorKind.PROPORTION
    observation.numerator = cells.get("numerator", parse_count, required=proportion)
    observation.denominator = cells.get("denominator", parse_count, required=proportion)
    observation.lower = cells.get("lower", parse_number, required=False)
    observation.upper = cells.get("upper", parse_number, required=False)
    numerator, denominator = observation.numerator, observation.denominator
    if proportion:
        if numerator is not None and denominator is not None:
            if numerator > denominator:
                cells.error("numerator", f"the numerator is greater than the denominator ({cells.row['denominator']})")
            elif denominator == 0:
                cells.error("denominator", "the denominator is 0, so the proportion is undefined")
            else:
                observation.value = numerator / denominator
    else:
        observation.value = cells.get("value", parse_number)
        if indicator.kind == IndicatorKind.RATIO and observation.value is not None and observation.value < 0:
            cells.error("value", "a ratio cannot be negative")
    if observation.lower is not None and observation.upper is not None and observation.lower > observation.upper:
        cells.error("lower", f"the lower limit is above the upper limit ({cells.row['upper']})")
    return observation
