"""Organisation registers: our CSV, the ODS etr extract and the 2021 trust list, told apart by their first row.

Registers only add knowledge: a blank cell never erases what an earlier register said, and a
kind guessed from a name never replaces a kind someone stated.
"""

import re
from dataclasses import dataclass
from datetime import date

from indicators.constants import ImportFormat
from trusts.constants import REGIONS, OrganisationKind, Sector
from trusts.models import Organisation
from trusts.naming import nhs_name, sector_from_code

from .base import ImportContext, KeyRegister, create_with_history, update_with_history
from .reading import (
    ODS_CODE_RE,
    ErrorList,
    canonical,
    choice_parser,
    csv_records,
    parse_bool,
    parse_date,
    parse_ods_code,
    read_table,
)

OURS, ETR, TRUST_LIST_2021, SUCCESSORS = "organisations", "ods_etr", "trust_list_2021", "ods_successors"

OUR_REQUIRED = ["org_code", "name", "kind"]
OUR_OPTIONAL = ["region", "icb_code", "foundation_trust", "opened", "closed", "successor_code", "sector"]
# ODS successor links (shared/data/ods_successors_2017_2019.csv): one merger per row.
SUCCESSORS_REQUIRED = ["predecessor_code", "successor_code", "effective"]
SUCCESSORS_OPTIONAL = ["predecessor_name", "successor_name"]
# The etr extract has no header: columns by position, as ODS publishes them (housekeeping columns ignored).
ETR_COLUMNS = [
    "code",
    "name",
    "region code",
    "icb code",
    "address line 1",
    "address line 2",
    "address line 3",
    "address line 4",
    "address line 5",
    "postcode",
    "open date",
    "close date",
]
LIST_2021_REQUIRED = ["org_code", "name", "national_grouping", "high_level_health_geography"]
_REGION_CODE_RE = re.compile(r"^[A-Z]\d\d$")
NAME_MAX_LENGTH = Organisation._meta.get_field("name").max_length

UPDATED_FIELDS = [
    "name",
    "name_source",
    "sector",
    "kind",
    "region",
    "foundation_trust",
    "opened",
    "closed",
    "verified",
    "parent_icb_id",
    "successor_id",
]


def infer_kind(name: str) -> str:
    """A first guess at an organisation's kind from its name; `other` when the name does not say.

    The order matters: an ambulance or mental health trust may also say "university" or
    "partnership". Only NHS names get the mental health heuristics, so an independent
    "urgent care centre" is not taken for a mental health trust.
    """
    padded = " " + " ".join(name.upper().replace("&", " AND ").replace(",", " ").split()) + " "

    def says(*phrases: str) -> bool:
        return any(f" {phrase} " in padded for phrase in phrases)

    nhs = says("NHS", "NATIONAL HEALTH SERVICE")
    if says("INTEGRATED CARE BOARD"):
        return OrganisationKind.ICB
    if says("AMBULANCE"):
        return OrganisationKind.AMBULANCE
    if nhs and says("MENTAL HEALTH"):
        return OrganisationKind.MENTAL_HEALTH
    if says("COMMUNITY"):
        return OrganisationKind.COMMUNITY
    if nhs:
        if says("INTEGRATED CARE"):
            return OrganisationKind.ACUTE_COMMUNITY
        if says("CARE ALLIANCE"):  # Northern Care Alliance: a group of acute hospitals
            return OrganisationKind.ACUTE
        if says("CARE SERVICES"):
            return OrganisationKind.COMMUNITY
        if says("PARTNERSHIP"):
            return OrganisationKind.MENTAL_HEALTH
        if says("CARE"):  # "health and care", "Mersey Care", "Pennine Care"; not "healthcare"
            return OrganisationKind.MENTAL_HEALTH_COMMUNITY
    if says("HOSPITAL", "HOSPITALS", "CHILDREN'S", "WOMEN'S", "CANCER"):
        return OrganisationKind.ACUTE
    if nhs and says("UNIVERSITY") and says("TRUST"):
        return OrganisationKind.ACUTE
    return OrganisationKind.OTHER


def infer_foundation_trust(name: str) -> bool:
    return "FOUNDATION TRUST" in " ".join(name.upper().split())


def register_variant(text: str) -> str:
    """Which register a file is, from its first row: a header names the 2021 list or ours; the etr has none."""
    first = next(csv_records(text, ErrorList()), None)
    if first is None:
        return OURS
    cells = first[1]
    header = {canonical(cell) for cell in cells}
    if {"predecessor_code", "successor_code"} <= header:
        return SUCCESSORS
    if {"org_code", "national_grouping"} <= header:
        return TRUST_LIST_2021
    if header & {"org_code", "name", "kind"}:
        return OURS
    if (
        len(cells) >= 4
        and ODS_CODE_RE.match(cells[0].strip().upper())
        and _REGION_CODE_RE.match(cells[2].strip().upper())
    ):
        return ETR
    return OURS


@dataclass
class OrganisationRecord:
    """What one row of a register (or of an A&E file) says about an organisation; blank means unknown."""

    line: int
    code: str
    name: str = ""
    kind: str = ""
    region: str = ""
    icb_code: str = ""
    foundation_trust: bool | None = None
    opened: date | None = None
    closed: date | None = None
    successor_code: str = ""
    has_type_1_department: bool = False  # an A&E file says so: a name that does not say reads as acute
    sector: str = ""  # stated (our CSV); otherwise from the register and the code's shape
    trust_register: bool = False  # the row comes from a register of NHS trusts (etr, 2021 list, successors)
    cells: object = None


def import_organisations(text: str, context: ImportContext) -> None:
    """Any of the three registers; the batch records the etr format when the file is one."""
    variant = register_variant(text)
    if variant == ETR:
        import_etr(text, context)
        return
    if variant == SUCCESSORS:
        import_successors(text, context)
        return
    records = _read_2021_list(text, context) if variant == TRUST_LIST_2021 else _read_ours(text, context)
    _import_records(records, context, "org_code")


def import_successors(text: str, context: ImportContext) -> None:
    """ODS successor links: each predecessor points at its successor and closes the day before it took over.

    Both codes are NHS trusts (the file lists trust mergers); codes not yet held are created
    with the names the file gives. Analyses then follow each lineage under its last successor.
    """
    context.batch.format = ImportFormat.ODS_SUCCESSORS
    table = read_table(text, context.errors, required=SUCCESSORS_REQUIRED, optional=SUCCESSORS_OPTIONAL)
    if table is None:
        return
    records: dict[str, OrganisationRecord] = {}
    for row, cells in context.read(table.rows):
        predecessor = cells.get("predecessor_code", parse_ods_code)
        successor = cells.get("successor_code", parse_ods_code)
        effective = cells.get("effective", parse_date)
        predecessor_name = cells.get("predecessor_name", _parse_name, required=False) or ""
        successor_name = cells.get("successor_name", _parse_name, required=False) or ""
        if not cells.ok:
            continue
        if predecessor in records and records[predecessor].successor_code:
            cells.error("predecessor_code", f"already merged into {records[predecessor].successor_code} above")
            continue
        closed = date.fromordinal(effective.toordinal() - 1)
        records[predecessor] = OrganisationRecord(
            line=row.line,
            code=predecessor,
            name=predecessor_name,
            closed=closed,
            successor_code=successor,
            trust_register=True,
            cells=cells,
        )
        if successor not in records:
            # The successor's own row carries no cells of its own: errors about it name this row.
            records[successor] = OrganisationRecord(
                line=row.line, code=successor, name=successor_name, trust_register=True, cells=_Shadow(cells)
            )
    _import_records(list(records.values()), context, "predecessor_code")


class _Shadow:
    """The cells of the row that introduced a successor code, so its errors name that row."""

    def __init__(self, cells):
        self._cells = cells
        self.row = cells.row

    @property
    def ok(self):
        return self._cells.ok

    def error(self, column, message, value=None):
        column = "successor_code" if column in ("org_code", "predecessor_code") else column
        self._cells.error(column, message, value)


def import_etr(text: str, context: ImportContext) -> None:
    context.batch.format = ImportFormat.ODS_ETR
    if register_variant(text) != ETR:
        first = next(csv_records(text, ErrorList()), (1, []))
        context.errors.add(
            first[0], "", ",".join(first[1])[:80], "this is not an ODS etr extract (code, name, region code, …)"
        )
        return
    _import_records(_read_etr(text, context), context, "code")


def _import_records(records: list[OrganisationRecord] | None, context: ImportContext, code_column: str) -> None:
    if records is None:
        return
    context.refuse_if_errors()
    created, updated = organisations_upsert(context, records, code_column=code_column)
    context.summary.created += created
    context.summary.updated += updated


def _collect(table, context: ImportContext, build) -> list[OrganisationRecord]:
    """One record per register row, built by the register's own `build(row, cells)`; rows with errors left out."""
    records = []
    for row, cells in context.read(table.rows):
        record = build(row, cells)
        if cells.ok:
            records.append(record)
    return records


def _read_ours(text: str, context: ImportContext) -> list[OrganisationRecord] | None:
    table = read_table(text, context.errors, required=OUR_REQUIRED, optional=OUR_OPTIONAL)
    if table is None:
        return None
    parse_kind = choice_parser(OrganisationKind.choices)

    def build(row, cells) -> OrganisationRecord:
        return OrganisationRecord(
            line=row.line,
            code=cells.get("org_code", parse_ods_code),
            name=cells.get("name", _parse_name) or "",
            kind=cells.get("kind", parse_kind) or "",
            region=cells.get("region", _parse_region, required=False) or "",
            icb_code=cells.get("icb_code", parse_ods_code, required=False) or "",
            foundation_trust=cells.get("foundation_trust", parse_bool, required=False),
            opened=cells.get("opened", parse_date, required=False),
            closed=cells.get("closed", parse_date, required=False),
            successor_code=cells.get("successor_code", parse_ods_code, required=False) or "",
            sector=cells.get("sector", parse_sector, required=False) or "",
            cells=cells,
        )

    return _collect(table, context, build)


parse_sector = choice_parser(Sector.choices)


def _read_etr(text: str, context: ImportContext) -> list[OrganisationRecord] | None:
    table = read_table(text, context.errors, required=ETR_COLUMNS, names=ETR_COLUMNS)
    return None if table is None else _collect(table, context, _trust_register_build(ETR_READS))


def _read_2021_list(text: str, context: ImportContext) -> list[OrganisationRecord] | None:
    # Written from R: missing values are the letters NA.
    table = read_table(text, context.errors, required=LIST_2021_REQUIRED, na_values={"NA"})
    return None if table is None else _collect(table, context, _trust_register_build(LIST_2021_READS))


@dataclass(frozen=True)
class _TrustRegisterColumns:
    """Where a register of NHS trusts gives each fact (blank: it does not give it)."""

    code: str
    name: str
    region: str
    icb_code: str
    opened: str = ""
    closed: str = ""


ETR_READS = _TrustRegisterColumns("code", "name", "region code", "icb code", "open date", "close date")
LIST_2021_READS = _TrustRegisterColumns("org_code", "name", "national_grouping", "high_level_health_geography")


def _trust_register_build(columns: _TrustRegisterColumns):
    """The `build(row, cells)` of a register of NHS trusts (the etr extract, the 2021 list)."""

    def build(row, cells) -> OrganisationRecord:
        return OrganisationRecord(
            line=row.line,
            code=cells.get(columns.code, parse_ods_code),
            name=cells.get(columns.name, _parse_name) or "",
            region=_register_region(cells.get(columns.region, required=False)),
            icb_code=cells.get(columns.icb_code, parse_ods_code, required=False) or "",
            opened=cells.get(columns.opened, parse_date, required=False) if columns.opened else None,
            closed=cells.get(columns.closed, parse_date, required=False) if columns.closed else None,
            trust_register=True,
            cells=cells,
        )

    return build


def _parse_name(text: str) -> str:
    name = " ".join(text.split())
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"longer than {NAME_MAX_LENGTH} characters")
    return name


def _parse_region(text: str) -> str:
    value = " ".join(text.split()).upper()
    if value in REGIONS:
        return value
    for code, name in REGIONS.items():
        if value == name.upper():
            return code
    raise ValueError(f"not an NHS England region (one of {', '.join(REGIONS)} or its name)")


def _register_region(text: str | None) -> str:
    # Registers also carry Welsh (W00) and retired (Y55) codes: those trusts get no English region.
    value = (text or "").strip().upper()
    return value if value in REGIONS else ""


def organisations_upsert(
    context: ImportContext, records: list[OrganisationRecord], *, code_column: str
) -> tuple[int, int]:
    """Create or update the organisations the records describe; returns (created, updated).

    ICB codes the records refer to but nobody has named yet become ICB organisations named by
    their code (counted in the summary's organisations_created). Errors (a duplicate code, a
    close date before the open date, an unknown successor) are recorded and the file refused
    before anything is written.
    """
    keys = KeyRegister("org_code")
    records = [record for record in records if keys.claim(record.cells, (record.code,), code_column)]
    in_file = {record.code: record for record in records}
    referenced = {record.icb_code for record in records if record.icb_code} | {
        record.successor_code for record in records if record.successor_code
    }
    stored = {org.ods_code: org for org in Organisation.objects.filter(ods_code__in=in_file.keys() | referenced)}

    targets = {}
    for record in records:
        target = _merged(record, stored.get(record.code))
        targets[record.code] = target
        cells = record.cells
        if target["opened"] and target["closed"] and target["closed"] < target["opened"]:
            column = "closed" if "closed" in cells.row.cells else "close date"
            cells.error(column, f"the close date is before the open date ({target['opened'].isoformat()})")
        if record.successor_code:
            if record.successor_code == record.code:
                cells.error("successor_code", "an organisation cannot be its own successor")
            elif record.successor_code not in in_file and record.successor_code not in stored:
                cells.error("successor_code", "no organisation has this code, in the file or already held")
    context.refuse_if_errors()

    placeholders = {}
    for record in records:
        code = record.icb_code
        if code and code not in in_file and code not in stored and code not in placeholders:
            placeholders[code] = Organisation(
                ods_code=code, name=code, kind=OrganisationKind.ICB, sector=Sector.ICB, region=record.region
            )
    new_records = [record for record in records if record.code not in stored]
    # Organisations others point at are created first, so most links can be set on creation.
    first = [record for record in new_records if record.code in referenced]
    rest = [record for record in new_records if record.code not in referenced]
    ids = {code: org.pk for code, org in stored.items()}

    def links(record: OrganisationRecord, current: Organisation | None) -> dict:
        return {
            "parent_icb_id": ids.get(record.icb_code) if record.icb_code else getattr(current, "parent_icb_id", None),
            "successor_id": (
                ids.get(record.successor_code) if record.successor_code else getattr(current, "successor_id", None)
            ),
        }

    def create(organisations: list[Organisation]) -> None:
        if organisations:
            create_with_history(context, organisations)
            codes = [org.ods_code for org in organisations]
            ids.update(Organisation.objects.filter(ods_code__in=codes).values_list("ods_code", "pk"))

    context.summary.organisations_created += len(placeholders)
    create(
        [*placeholders.values()] + [Organisation(ods_code=r.code, **targets[r.code], **links(r, None)) for r in first]
    )
    create([Organisation(ods_code=r.code, **targets[r.code], **links(r, None)) for r in rest])

    # Links among the organisations created first could only be set once all of them existed.
    changed = []
    linked_late = {org.ods_code: org for org in Organisation.objects.filter(ods_code__in=[r.code for r in first])}
    for record in first:
        org = linked_late[record.code]
        wanted = links(record, None)
        if any(getattr(org, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(org, name, value)
            changed.append(org)
    updated = 0
    for record in records:
        org = stored.get(record.code)
        if org is None:
            continue
        wanted = {**targets[record.code], **links(record, org)}
        if any(getattr(org, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(org, name, value)
            org.version += 1
            changed.append(org)
            updated += 1
    update_with_history(context, changed, [*UPDATED_FIELDS, "version"])
    return len(new_records), updated


def _merged(record: OrganisationRecord, current: Organisation | None) -> dict:
    """The organisation's fields once this record is applied: blanks keep what is known.

    The register's spelling is kept as `name_source`; `name` is it in the NHS's own casing. A
    sector is what the row states, else a trust register's word, else what is known, else the
    code's shape.
    """
    if record.name:
        name_source, name = record.name, nhs_name(record.name, record.code)
    elif current is not None:
        name_source, name = current.name_source or current.name, current.name
    else:
        name_source, name = "", record.code
    if record.kind:
        kind = record.kind
    elif current is not None and current.kind != OrganisationKind.OTHER:
        kind = current.kind
    else:
        kind = infer_kind(record.name) if record.name else OrganisationKind.OTHER
        if kind == OrganisationKind.OTHER and record.has_type_1_department:
            kind = OrganisationKind.ACUTE
    if record.foundation_trust is not None:
        foundation_trust = record.foundation_trust
    elif record.name:
        foundation_trust = infer_foundation_trust(record.name)
    else:
        foundation_trust = current.foundation_trust if current else False
    if record.sector:
        sector = record.sector
    elif record.trust_register and kind != OrganisationKind.ICB:
        sector = Sector.NHS_TRUST
    elif current is not None and current.sector:
        sector = current.sector
    else:
        sector = sector_from_code(record.code, kind=kind)
    return {
        "name": name,
        "name_source": name_source,
        "sector": sector,
        "kind": kind,
        "region": record.region or (current.region if current else ""),
        "foundation_trust": foundation_trust,
        "opened": record.opened or (current.opened if current else None),
        "closed": record.closed or (current.closed if current else None),
        "verified": True,
    }
