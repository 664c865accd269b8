"""Waiting times by provider and month: RTT incomplete pathways and cancer waiting times.

Both are NHS England's monthly statistics as tidied per organisation (one row per provider or
ICB and month; shared/data/README.md). Only NHS trusts load (base.TrustRegister): independent
providers, ICB and national rows are counted as skipped and listed in the summary.

- RTT: `rtt_18wk` = (pct18_total − pct18_within_target) / pct18_total, the share of incomplete
  pathways waiting over 18 weeks; `rtt_52wk` = w52 / pct18_total.
- Cancer: `cancer_62d` from the CMB62 standard and `cancer_fds28` from FDS28, each
  (total − within_target) / total, the share of patients outside the standard. CMB31 is skipped.
"""

from indicators.constants import CANCER_62D, CANCER_FDS28, RTT_18WK, RTT_52WK

from .base import ImportContext, KeyRegister, TrustRegister, catalogued_indicator
from .observation_writes import ObservationRow, observations_upsert
from .reading import parse_count, parse_month, parse_ods_code, read_table

LEVELS = ("provider", "icb", "national")
RTT_REQUIRED = ["org_code", "level", "month", "pct18_within_target", "pct18_total", "w52"]
RTT_OPTIONAL = ["org_name", "region", "waitlist"]
CANCER_REQUIRED = ["org_code", "level", "standard", "month", "within_target", "total"]
CANCER_OPTIONAL = ["org_name", "region"]
CANCER_STANDARDS = {"CMB62": CANCER_62D, "FDS28": CANCER_FDS28, "CMB31": None}


def _parse_level(text: str) -> str:
    level = text.strip().lower()
    if level not in LEVELS:
        raise ValueError(f"not a level (one of {', '.join(LEVELS)})")
    return level


def _parse_standard(text: str) -> str:
    standard = text.strip().upper()
    if standard not in CANCER_STANDARDS:
        raise ValueError(f"not a cancer standard (one of {', '.join(CANCER_STANDARDS)})")
    return standard


def _read_wait(cells, within_column: str, total_column: str, *, standard: bool = False) -> tuple:
    """The cells both layouts share, read in the file's order: code, level, [standard,] month, within, total."""
    code = cells.get("org_code", parse_ods_code)
    level = cells.get("level", _parse_level)
    standard = cells.get("standard", _parse_standard) if standard else None
    period = cells.get("month", parse_month)
    return code, level, standard, period, cells.get(within_column, parse_count), cells.get(total_column, parse_count)


def _breaches(cells, total_column: str, within_column: str, total, within) -> float | None:
    if total is None or within is None:
        return None
    if within > total:
        cells.error(within_column, f"more within the standard than in total ({cells.row[total_column]})")
        return None
    return total - within


def _not_loaded(trusts: TrustRegister, row, code: str, level: str, total: int) -> bool:
    """A checked row skipped: national, of a provider that is not an NHS trust (listed), or with no one waiting."""
    return level == "national" or not trusts.accepts(code, name=row["org_name"], level=level) or total == 0


def import_rtt(text: str, context: ImportContext) -> None:
    table = read_table(text, context.errors, required=RTT_REQUIRED, optional=RTT_OPTIONAL)
    over_18 = catalogued_indicator(context, RTT_18WK)
    over_52 = catalogued_indicator(context, RTT_52WK)
    if table is None or over_18 is None or over_52 is None:
        return
    trusts = TrustRegister(context)
    keys = KeyRegister("org_code and month")
    observations = []
    for row, cells in context.read(table.rows):
        code, level, _, period, within, total = _read_wait(cells, "pct18_within_target", "pct18_total")
        w52 = cells.get("w52", parse_count)
        breaches = _breaches(cells, "pct18_total", "pct18_within_target", total, within)
        if w52 is not None and total is not None and w52 > total:
            cells.error("w52", f"more waiting over 52 weeks than waiting in total ({row['pct18_total']})")
        if not cells.ok or not keys.claim(cells, (code, period), "org_code"):
            continue
        if _not_loaded(trusts, row, code, level, total):
            context.summary.skipped += 1
            continue
        observations.append(ObservationRow.share(row.line, code, over_18, period, breaches, total))
        observations.append(ObservationRow.share(row.line, code, over_52, period, w52, total))
    context.refuse_if_errors()
    observations_upsert(context, observations)


def import_cancer(text: str, context: ImportContext) -> None:
    table = read_table(text, context.errors, required=CANCER_REQUIRED, optional=CANCER_OPTIONAL)
    indicators = {standard: catalogued_indicator(context, code) for standard, code in CANCER_STANDARDS.items() if code}
    if table is None or None in indicators.values():
        return
    trusts = TrustRegister(context)
    keys = KeyRegister("org_code, standard and month")
    observations = []
    for row, cells in context.read(table.rows):
        code, level, standard, period, within, total = _read_wait(cells, "within_target", "total", standard=True)
        breaches = _breaches(cells, "total", "within_target", total, within)
        if not cells.ok or not keys.claim(cells, (code, standard, period), "org_code"):
            continue
        indicator = indicators.get(standard)
        if indicator is None or _not_loaded(trusts, row, code, level, total):
            context.summary.skipped += 1
            continue
        observations.append(ObservationRow.share(row.line, code, indicator, period, breaches, total))
    context.refuse_if_errors()
    observations_upsert(context, observations)
