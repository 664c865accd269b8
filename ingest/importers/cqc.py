"""Dated CQC ratings → QualityRating (overall and the key questions; the overall rating feeds the
"later rated good or outstanding" of the clear-improver category).

Two layouts, told apart by their header:
- ratings by population/core service, 2013–2019: `ORG_CODE, DATE, POPULATION, QUESTION,
  RATING_SCORE` (score 0 inadequate – 3 outstanding, dates DD/MM/YYYY). Only the trust-level
  rows (POPULATION "Overall") are loaded, one rating per key question; core-service rows are
  skipped. Rows keyed by a CQC location id (`1-102643363`) rather than an ODS code are not NHS
  trusts as the product knows them: counted and listed, not errors.
- the latest publication per acute trust: `trust_code, cqc_overall, cqc_well_led, …,
  cqc_latest_pub` (the date of the latest report).
A rating is keyed by organisation, question and date, so a second import changes nothing.
"""

import re

from trusts.models import Organisation, QualityRating

from .base import BULK_BATCH_SIZE, ImportContext, KeyRegister, TrustRegister
from .reading import parse_date, parse_ods_code, read_table

RATINGS = ("inadequate", "requires_improvement", "good", "outstanding")  # by score 0–3
QUESTIONS = {
    "overall": "overall",
    "safe": "safe",
    "effective": "effective",
    "caring": "caring",
    "responsive": "responsive",
    "well-led": "well_led",
    "well led": "well_led",
    "well_led": "well_led",
}
DATED_REQUIRED = ["ORG_CODE", "DATE", "POPULATION", "QUESTION", "RATING_SCORE"]
LATEST_REQUIRED = ["trust_code", "cqc_overall", "cqc_well_led", "cqc_latest_pub"]
LATEST_OPTIONAL = ["cqc_any_below_good"]
_CQC_LOCATION_RE = re.compile(r"^1-\d{5,}$")


def parse_rating(text: str) -> str:
    """A rating written as a word ("Requires improvement") or a score 0 (inadequate) – 3 (outstanding)."""
    if text.strip() in {"0", "1", "2", "3"}:
        return RATINGS[int(text)]
    value = "_".join(text.strip().lower().replace("-", " ").split())
    if value in RATINGS:
        return value
    raise ValueError("not a CQC rating (inadequate, requires improvement, good, outstanding, or a score 0–3)")


def _parse_question(text: str) -> str:
    try:
        return QUESTIONS[" ".join(text.strip().lower().split())]
    except KeyError:
        raise ValueError("not a CQC key question (Overall, Safe, Effective, Caring, Responsive, Well-led)") from None


def import_cqc_ratings(text: str, context: ImportContext) -> None:
    first_line = text.lstrip("\ufeff").split("\n", 1)[0].lower()
    dated = "rating_score" in first_line or "population" in first_line
    if dated:
        table = read_table(text, context.errors, required=DATED_REQUIRED)
    else:
        table = read_table(text, context.errors, required=LATEST_REQUIRED, optional=LATEST_OPTIONAL)
    if table is None:
        return
    trusts = TrustRegister(context)
    keys = KeyRegister("organisation, question and date")
    ratings = []  # (line, code, question, rated_on, rating)
    for row, cells in context.read(table.rows):
        code_column = "org_code" if dated else "trust_code"
        if _CQC_LOCATION_RE.match(row[code_column]):
            context.summary.not_trusts.setdefault(row[code_column], "a CQC location id, not an ODS code")
            context.summary.skipped += 1
            continue
        code = cells.get(code_column, parse_ods_code)
        if dated:
            rated_on = cells.get("date", parse_date)
            population = cells.get("population")
            question = cells.get("question", _parse_question)
            rating = cells.get("rating_score", parse_rating)
            found = [(question, rating)]
        else:
            rated_on = cells.get("cqc_latest_pub", parse_date)
            population = "overall"
            found = [
                ("overall", cells.get("cqc_overall", parse_rating)),
                ("well_led", cells.get("cqc_well_led", parse_rating)),
            ]
        if not cells.ok:
            continue
        if population.strip().lower() != "overall":
            context.summary.skipped += 1  # a core service's rating, not the trust's
            continue
        if not keys.claim(cells, (code, found[0][0], rated_on), code_column):
            continue
        if not trusts.accepts(code):
            context.summary.skipped += 1
            continue
        for question, rating in found:
            ratings.append((code, question, rated_on, rating))
    context.refuse_if_errors()
    _ratings_upsert(context, ratings)


def _ratings_upsert(context: ImportContext, ratings: list[tuple]) -> None:
    if not ratings:
        return
    ids = dict(Organisation.objects.filter(ods_code__in={r[0] for r in ratings}).values_list("ods_code", "pk"))
    stored = {
        (rating.organisation_id, rating.question, rating.rated_on): rating
        for rating in QualityRating.objects.filter(organisation_id__in=ids.values(), synthetic=False)
    }
    creating, updating = [], []
    for code, question, rated_on, value in ratings:
        held = stored.get((ids[code], question, rated_on))
        if held is None:
            creating.append(
                QualityRating(
                    organisation_id=ids[code], question=question, rated_on=rated_on, rating=value, batch=context.batch
                )
            )
        elif held.rating != value:
            held.rating, held.batch = value, context.batch
            updating.append(held)
    QualityRating.objects.bulk_create(creating, batch_size=BULK_BATCH_SIZE)
    QualityRating.objects.bulk_update(updating, ["rating", "batch"], batch_size=BULK_BATCH_SIZE)
    context.summary.created += len(creating)
    context.summary.updated += len(updating)
