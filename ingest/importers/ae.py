"""The two A&E formats that feed `ed_4hr`, the share of type 1 attendances over 4 hours.

- the monthly CSV exactly as NHS England publishes it (one month, one row per provider, a TOTAL
  row), which also names each provider and its region;
- the NHS-R tidied series 2016–2019 (`period,org_code,type,attendances,breaches,admissions`).
"""

import re
from datetime import date

from indicators.constants import ED_4HR
from trusts.constants import REGION_BY_PARENT_ORG

from .base import ImportContext, KeyRegister, catalogued_indicator
from .observation_writes import ObservationRow, observations_upsert
from .organisations import OrganisationRecord, organisations_upsert
from .reading import parse_count, parse_month, parse_ods_code, read_table

MONTHLY_PERIOD = "Period"
MONTHLY_CODE = "Org Code"
MONTHLY_PARENT = "Parent Org"
MONTHLY_NAME = "Org name"
MONTHLY_TYPE1 = "A&E attendances Type 1"
MONTHLY_TYPE1_OVER_4H = "Attendances over 4hrs Type 1"
MONTHLY_REQUIRED = [MONTHLY_PERIOD, MONTHLY_CODE, MONTHLY_PARENT, MONTHLY_NAME, MONTHLY_TYPE1, MONTHLY_TYPE1_OVER_4H]

ATTENDANCES_REQUIRED = ["period", "org_code", "type", "attendances", "breaches"]
ATTENDANCES_OPTIONAL = ["admissions"]
ATTENDANCE_TYPES = ("1", "2", "other")

_MONTH_NAMES = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
]
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_MONTHS.update({name[:3]: number for name, number in list(_MONTHS.items())})
_MONTHS["SEPT"] = 9
_MSITAE_RE = re.compile(r"^MSITAE-([A-Z]+)-(\d{4})$")


def _key(column: str) -> str:
    return " ".join(column.split()).lower()


def parse_msitae_period(text: str) -> date:
    """`MSitAE-MAY-2025` → 2025-05-01."""
    match = _MSITAE_RE.match(text.strip().upper())
    if not match or match[1] not in _MONTHS:
        raise ValueError("not an A&E month (expected such as MSitAE-MAY-2025)")
    return date(int(match[2]), _MONTHS[match[1]], 1)


def parse_parent_org(text: str) -> str:
    """The region code of a `Parent Org` such as "NHS ENGLAND NORTH EAST AND YORKSHIRE " (spaces vary)."""
    region = REGION_BY_PARENT_ORG.get(" ".join(text.split()).upper())
    if region is None:
        raise ValueError(f"not an NHS England region (expected one of: {', '.join(sorted(REGION_BY_PARENT_ORG))})")
    return region


def import_ae_monthly(text: str, context: ImportContext) -> None:
    """One published month: providers are created or updated from it, `ed_4hr` stored where type 1 > 0."""
    table = read_table(text, context.errors, required=MONTHLY_REQUIRED)
    indicator = catalogued_indicator(context, ED_4HR)
    if table is None or indicator is None:
        return
    code_key, type1_key, over_key = _key(MONTHLY_CODE), _key(MONTHLY_TYPE1), _key(MONTHLY_TYPE1_OVER_4H)
    keys = KeyRegister("Org Code and Period")
    organisations: dict[str, OrganisationRecord] = {}
    observations = []
    for row, cells in context.read(table.rows):
        if row[code_key].upper() == "TOTAL" or row[_key(MONTHLY_PERIOD)].upper() == "TOTAL":
            context.summary.skipped += 1  # the national total, not a provider
            continue
        period = cells.get(_key(MONTHLY_PERIOD), parse_msitae_period)
        code = cells.get(code_key, parse_ods_code)
        region = cells.get(_key(MONTHLY_PARENT), parse_parent_org)
        name = cells.get(_key(MONTHLY_NAME))
        attendances = cells.get(type1_key, parse_count)
        over_4h = cells.get(over_key, parse_count)
        if attendances is not None and over_4h is not None and over_4h > attendances:
            cells.error(over_key, f"more type 1 attendances over 4 hours than type 1 attendances ({row[type1_key]})")
        if not cells.ok or not keys.claim(cells, (code, period), code_key):
            continue
        organisations[code] = OrganisationRecord(
            line=row.line, code=code, name=name, region=region, has_type_1_department=attendances > 0, cells=cells
        )
        if attendances > 0:
            observations.append(ObservationRow.share(row.line, code, indicator, period, over_4h, attendances))
        else:
            context.summary.skipped += 1  # no type 1 department: no ed_4hr to store
    context.refuse_if_errors()
    created, updated = organisations_upsert(context, list(organisations.values()), code_column=code_key)
    context.summary.organisations_created += created
    context.summary.organisations_updated += updated
    observations_upsert(context, observations)


def import_ae_attendances(text: str, context: ImportContext) -> None:
    """The NHS-R series: type 1 rows become `ed_4hr` (breaches / attendances); other types are skipped."""
    table = read_table(text, context.errors, required=ATTENDANCES_REQUIRED, optional=ATTENDANCES_OPTIONAL)
    indicator = catalogued_indicator(context, ED_4HR)
    if table is None or indicator is None:
        return
    keys = KeyRegister("org_code, period and type")
    observations = []
    for row, cells in context.read(table.rows):
        period = cells.get("period", parse_month)
        code = cells.get("org_code", parse_ods_code)
        attendance_type = cells.get("type", _parse_type)
        attendances = cells.get("attendances", parse_count)
        breaches = cells.get("breaches", parse_count)
        cells.get("admissions", parse_count, required=False)
        if attendances is not None and breaches is not None and breaches > attendances:
            cells.error("breaches", f"more breaches than attendances ({row['attendances']})")
        if not cells.ok or not keys.claim(cells, (code, period, attendance_type), "org_code"):
            continue
        if attendance_type != "1" or attendances == 0:
            context.summary.skipped += 1
            continue
        observations.append(ObservationRow.share(row.line, code, indicator, period, breaches, attendances))
    context.refuse_if_errors()
    observations_upsert(context, observations)


def _parse_type(text: str) -> str:
    value = text.strip().lower()
    if value.endswith(".0"):
        value = value[:-2]
    if value not in ATTENDANCE_TYPES:
        raise ValueError(f"not an A&E type (one of {', '.join(ATTENDANCE_TYPES)})")
    return value
