"""The published NOF 2025/26 league table imports whole, once, and a broken copy imports nothing."""

import csv
import io

import pytest
from django.core.management import call_command

from indicators.models import ImportBatch
from ingest.importers import ImportRefused, detect_format, import_file
from tests.ingest.importers.importer_data import REAL
from trusts.models import Organisation, SegmentAssignment

pytestmark = pytest.mark.django_db

NOF_SEGMENTS = REAL / "nof-2025-26" / "trust_segments_2026-03.csv"


def _rows():
    with open(NOF_SEGMENTS, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _broken(write_csv, change):
    """A copy of the file with `change(rows)` applied; returns its path."""
    rows = _rows()
    change(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_csv(out.getvalue(), name="trust_segments_broken.csv")


def test_it_recognises_the_league_table_by_its_header():
    assert detect_format(NOF_SEGMENTS) == "nof_segments"


def test_it_loads_the_150_published_segments_under_the_2025_26_framework(registers):
    out = io.StringIO()
    call_command("import_segments", str(NOF_SEGMENTS), "--no-recompute", "--quiet", stdout=out)

    assert out.getvalue().strip() == "read 150, created 150, updated 0, skipped 0"
    held = SegmentAssignment.objects.filter(synthetic=False)
    assert held.count() == 150
    assert set(held.values_list("framework__code", "published", "effective_from__year", "effective_from__month")) == {
        ("nof-2025-26", True, 2026, 3)
    }
    assert {c: held.filter(category=c).count() for c in ("acute", "non_acute", "ambulance")} == {
        "acute": 129,
        "non_acute": 20,
        "ambulance": 1,
    }
    manchester = held.get(organisation__ods_code="R0A")
    assert (manchester.segment, manchester.rank, manchester.average_score) == (3, 65, 2.36)
    assert (manchester.in_deficit, manchester.finance_in_deficit, manchester.pre_adjustment_segment) == (
        False,
        False,
        3,
    )
    assert [getattr(manchester, f) for f in SegmentAssignment.DOMAIN_FIELDS.values()] == [3, 2, 1, 2, 4]
    # A community trust with blank deficit and pre-adjustment cells keeps them blank, not false.
    shropshire = held.get(organisation__ods_code="R1D")
    assert (shropshire.in_deficit, shropshire.pre_adjustment_segment, shropshire.category) == (None, None, "non_acute")
    batch = ImportBatch.objects.get(format="nof_segments")
    assert manchester.batch == batch and batch.rows_created == 150


def test_a_second_import_of_the_same_file_changes_nothing(registers):
    import_file("nof_segments", NOF_SEGMENTS)
    history = SegmentAssignment.history.count()
    versions = sorted(SegmentAssignment.objects.values_list("pk", "version"))

    summary = import_file("nof_segments", NOF_SEGMENTS)

    assert (summary.read, summary.created, summary.updated) == (150, 0, 0)
    assert SegmentAssignment.history.count() == history
    assert sorted(SegmentAssignment.objects.values_list("pk", "version")) == versions


def _refused(path) -> ImportRefused:
    with pytest.raises(ImportRefused) as refusal:
        import_file("nof_segments", path)
    return refusal.value


@pytest.mark.parametrize(
    ("change", "row", "column", "value", "message"),
    [
        (
            lambda rows: rows[9].update(overall_adjusted_segment="7.0"),
            11,
            "overall_adjusted_segment",
            "7.0",
            "not a segment",
        ),
        (lambda rows: rows[0].update(league_avg_score="4.5"), 2, "league_avg_score", "4.5", "not an average score"),
        (lambda rows: rows[41].update(Region="Atlantis"), 43, "Region", "Atlantis", "not an NHS England region"),
        (lambda rows: rows[3].update(Trust_type="Hospice"), 5, "Trust_type", "Hospice", "not a trust type"),
        (lambda rows: rows[5].update(lt_in_deficit="yes"), 7, "lt_in_deficit", "yes", "not a number"),
        (lambda rows: rows[7].update(league_rank=""), 9, "league_rank", "", "is empty"),
        (lambda rows: rows[2].update(data_month="2019-03"), 4, "data_month", "2019-03", "no NHS Oversight Framework"),
        (
            lambda rows: rows[1].update(overall_adjusted_segment="2.0"),
            3,
            "overall_adjusted_segment",
            "2.0",
            "differs from league_segment (1)",
        ),
        (lambda rows: rows.append(dict(rows[0])), 152, "org_code", "R0A", "duplicates row 2"),
    ],
)
def test_a_broken_copy_is_refused_naming_row_column_and_value_and_nothing_is_written(
    registers, write_csv, change, row, column, value, message
):
    refusal = _refused(_broken(write_csv, change))

    assert len(refusal.errors) == 1
    error = refusal.errors[0]
    assert (error.row, error.column, error.value) == (row, column, value)
    assert message in error.message
    assert f'row {row}, column "{column}", value "{value}"' in str(error)
    assert SegmentAssignment.objects.count() == 0
    assert ImportBatch.objects.get(format="nof_segments").status == "failed"


def test_a_file_missing_a_domain_column_is_refused_before_any_row(registers, write_csv):
    text = NOF_SEGMENTS.read_text().replace("domain_segment_patient_safety", "patient_safety_maybe")
    refusal = _refused(write_csv(text))
    assert (refusal.errors[0].row, refusal.errors[0].column) == (1, "domain_segment_patient_safety")
    assert SegmentAssignment.objects.count() == 0


def test_a_trust_in_no_register_is_created_from_its_row_but_held_unverified_and_listed(registers, write_csv):
    path = _broken(write_csv, lambda rows: rows[0].update(org_code="RZZ9", org_name="A TRUST NOBODY REGISTERED"))
    summary = import_file("nof_segments", path)

    assert summary.unverified_codes == ["RZZ9"]
    unknown = Organisation.objects.get(ods_code="RZZ9")
    assert (unknown.name, unknown.region, unknown.kind, unknown.verified) == (
        "A TRUST NOBODY REGISTERED",
        "Y62",
        "acute",
        False,
    )
    assert SegmentAssignment.objects.get(organisation=unknown).segment == 3


def test_a_later_edition_of_the_month_updates_in_place_keeping_the_history(registers, write_csv):
    import_file("nof_segments", NOF_SEGMENTS)
    path = _broken(write_csv, lambda rows: rows[0].update(league_rank="66.0"))
    summary = import_file("nof_segments", path)

    assert (summary.created, summary.updated) == (0, 1)
    manchester = SegmentAssignment.objects.get(organisation__ods_code="R0A", synthetic=False)
    assert (manchester.rank, manchester.version) == (66, 2)
    assert [h.rank for h in manchester.history.order_by("history_date")] == [65, 66]
