"""NHS Oversight Framework league-table results, as NHS England publishes them (2025/26 onwards).

One row per trust: `org_code, org_name, data_month, Region, Trust_type, Trust_subtype, lt_segment,
lt_in_deficit, league_segment, league_rank, league_avg_score, overall_adjusted_segment`, the five
`domain_segment_…` columns and `fin_in_deficit` (shared/data/README.md). Each row becomes one
published, real SegmentAssignment from the first day of `data_month`, under the framework edition
in force that month, with its category, rank, average score, deficit flags, the segment before
the deficit adjustment and the domain segments, exactly as the file gives them.

- The segment is `overall_adjusted_segment`; it must equal `league_segment`, except that segment 5
  (PIP, a judgement) may overlay a league segment of 4.
- A trust the registers do not hold is created from the row (name, region, kind) but held as
  unverified and listed in the summary: a league table is not an organisation register.
- Importing the file again changes nothing; a later edition of the same month updates the rows in
  place (their history keeps the earlier values). A trust's earlier open real assignment is ended
  the day before the new one starts.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q

from trusts.constants import REGIONS, OrganisationKind
from trusts.models import FrameworkVersion, Organisation, SegmentAssignment, SegmentCategory

from .base import ImportContext, KeyRegister, create_with_history, update_with_history
from .reading import parse_month, parse_number, parse_ods_code, read_table

DOMAIN_COLUMNS = {
    "domain_segment_access": "domain_access",
    "domain_segment_effectiveness_experience": "domain_effectiveness_experience",
    "domain_segment_finance_productivity": "domain_finance_productivity",
    "domain_segment_patient_safety": "domain_patient_safety",
    "domain_segment_people_workforce": "domain_people_workforce",
}
REQUIRED = [
    "org_code",
    "org_name",
    "data_month",
    "Region",
    "Trust_type",
    "league_segment",
    "league_rank",
    "league_avg_score",
    "overall_adjusted_segment",
    *DOMAIN_COLUMNS,
]
OPTIONAL = ["Trust_subtype", "lt_segment", "lt_in_deficit", "fin_in_deficit"]

CATEGORY_BY_TRUST_TYPE = {
    "acute trust": SegmentCategory.ACUTE,
    "mental health and community trust": SegmentCategory.NON_ACUTE,
    "ambulance trust": SegmentCategory.AMBULANCE,
}
KIND_BY_CATEGORY = {
    SegmentCategory.ACUTE: OrganisationKind.ACUTE,
    SegmentCategory.NON_ACUTE: OrganisationKind.MENTAL_HEALTH_COMMUNITY,
    SegmentCategory.AMBULANCE: OrganisationKind.AMBULANCE,
}
# NHS England's league tables name regions in words; "East" is the East of England.
REGION_BY_NAME = {name.lower(): code for code, name in REGIONS.items()} | {"east": "Y61"}

STORED_FIELDS = [
    "segment",
    "category",
    "rank",
    "average_score",
    "in_deficit",
    "finance_in_deficit",
    "pre_adjustment_segment",
    *DOMAIN_COLUMNS.values(),
]


def _whole(low: int, high: int, what: str):
    def parse(text: str) -> int:
        number = parse_number(text)  # the published file writes whole numbers as "3.0"
        if number != int(number) or not low <= number <= high:
            raise ValueError(f"not {what} (a whole number {low} to {high})")
        return int(number)

    return parse


parse_segment = _whole(1, 5, "a segment")
parse_domain_segment = _whole(1, 4, "a domain segment")
parse_rank = _whole(1, 32767, "a rank")


def parse_score(text: str) -> float:
    number = parse_number(text)
    if not 1.0 <= number <= 4.0:
        raise ValueError("not an average score (1.00 best to 4.00 worst)")
    return number


def parse_flag(text: str) -> bool:
    number = parse_number(text)
    if number not in (0, 1):
        raise ValueError("not a deficit flag (0 or 1)")
    return bool(number)


def parse_region(text: str) -> str:
    code = REGION_BY_NAME.get(" ".join(text.split()).lower())
    if code is None:
        raise ValueError(f"not an NHS England region (one of: {', '.join(sorted(REGIONS.values()))})")
    return code


def parse_category(text: str) -> str:
    category = CATEGORY_BY_TRUST_TYPE.get(" ".join(text.split()).lower())
    if category is None:
        raise ValueError("not a trust type of the league tables (Acute trust, Mental health and community trust, …)")
    return category


@dataclass
class _Row:
    line: int
    code: str
    name: str
    region: str
    month: date
    values: dict


def import_nof_segments(text: str, context: ImportContext) -> None:
    table = read_table(text, context.errors, required=REQUIRED, optional=OPTIONAL)
    if table is None:
        return
    frameworks = list(FrameworkVersion.objects.all())
    keys = KeyRegister("org_code and data_month")
    rows: list[_Row] = []
    framework_of: dict[date, FrameworkVersion] = {}
    for row, cells in context.read(table.rows):
        code = cells.get("org_code", parse_ods_code)
        name = cells.get("org_name")
        month = cells.get("data_month", parse_month)
        region = cells.get("region", parse_region)
        category = cells.get("trust_type", parse_category)
        league = cells.get("league_segment", parse_segment)
        segment = cells.get("overall_adjusted_segment", parse_segment)
        values = {
            "segment": segment,
            "category": category,
            "rank": cells.get("league_rank", parse_rank),
            "average_score": cells.get("league_avg_score", parse_score),
            "in_deficit": cells.get("lt_in_deficit", parse_flag, required=False),
            "finance_in_deficit": cells.get("fin_in_deficit", parse_flag, required=False),
            "pre_adjustment_segment": cells.get("lt_segment", parse_segment, required=False),
        }
        for column, field in DOMAIN_COLUMNS.items():
            values[field] = cells.get(column, parse_domain_segment, required=False)
        if segment is not None and league is not None and segment != league and not (segment == 5 and league == 4):
            cells.error(
                "overall_adjusted_segment",
                f"differs from league_segment ({league}): only segment 5 (PIP) may overlay a league segment of 4",
            )
        if month is not None and month not in framework_of:
            version = next(
                (
                    v
                    for v in frameworks
                    if v.effective_from <= month and (v.effective_to is None or month <= v.effective_to)
                ),
                None,
            )
            if version is None:
                cells.error("data_month", "no NHS Oversight Framework edition is in force in this month")
            else:
                framework_of[month] = version
        if month in framework_of and segment is not None and segment > framework_of[month].max_segment:
            cells.error(
                "overall_adjusted_segment",
                f"{framework_of[month].code} has segments 1 to {framework_of[month].max_segment}",
            )
        if cells.ok and keys.claim(cells, (code, month), "org_code"):
            rows.append(_Row(row.line, code, name, region, month, values))
    context.refuse_if_errors()
    if not rows:
        return

    organisations = _organisation_ids(context, rows)
    stored = {
        (s.organisation_id, s.framework_id, s.effective_from): s
        for s in SegmentAssignment.objects.filter(
            synthetic=False, organisation_id__in=organisations.values(), framework__in=framework_of.values()
        )
    }
    creating, updating = [], []
    for row in rows:
        framework = framework_of[row.month]
        key = (organisations[row.code], framework.pk, row.month)
        held = stored.get(key)
        if held is None:
            creating.append(
                SegmentAssignment(
                    organisation_id=key[0],
                    framework=framework,
                    effective_from=row.month,
                    published=True,
                    synthetic=False,
                    source=f"NHS England NOF league table {row.month:%Y-%m} ({context.batch.file_name})"[:200],
                    batch=context.batch,
                    **row.values,
                )
            )
        elif any(getattr(held, field) != value for field, value in row.values.items()) or not held.published:
            for field, value in row.values.items():
                setattr(held, field, value)
            held.published, held.batch, held.version = True, context.batch, held.version + 1
            updating.append(held)
    create_with_history(context, creating)
    update_with_history(context, updating, [*STORED_FIELDS, "published", "batch", "version"])
    context.summary.created += len(creating)
    context.summary.updated += len(updating)
    _end_earlier_assignments(context, rows, organisations)


def _organisation_ids(context: ImportContext, rows: list[_Row]) -> dict[str, int]:
    """Ids of the file's trusts; a code in no register is created from its row, unverified, and listed."""
    found = dict(Organisation.objects.filter(ods_code__in={row.code for row in rows}).values_list("ods_code", "pk"))
    missing = {row.code: row for row in rows if row.code not in found}
    if missing:
        create_with_history(
            context,
            [
                Organisation(
                    ods_code=code,
                    name=row.name[:200],
                    region=row.region,
                    kind=KIND_BY_CATEGORY[row.values["category"]],
                    verified=False,
                )
                for code, row in sorted(missing.items())
            ],
        )
        context.summary.organisations_created += len(missing)
        found.update(Organisation.objects.filter(ods_code__in=missing).values_list("ods_code", "pk"))
    unverified = set(
        Organisation.objects.filter(ods_code__in=found.keys(), verified=False).values_list("ods_code", flat=True)
    )
    context.summary.unverified_codes = sorted(unverified | set(context.summary.unverified_codes))
    return found


def _end_earlier_assignments(context: ImportContext, rows: list[_Row], organisations: dict[str, int]) -> None:
    """A trust's earlier real assignment still open ends the day before its newest one from this file."""
    newest: dict[int, date] = {}
    for row in rows:
        organisation_id = organisations[row.code]
        newest[organisation_id] = max(row.month, newest.get(organisation_id, row.month))
    ending = []
    for held in SegmentAssignment.objects.filter(
        Q(effective_to__isnull=True), synthetic=False, organisation_id__in=newest
    ):
        start = newest[held.organisation_id]
        if held.effective_from < start:
            held.effective_to, held.version = start - timedelta(days=1), held.version + 1
            ending.append(held)
    update_with_history(context, ending, ["effective_to", "version"])
