"""The reconciliation of published with recomputed segments, and the league table with distance to the next segment."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

REAL = Path(__file__).resolve().parents[2] / "data" / "real"
NOF_SEGMENTS = REAL / "nof-2025-26" / "trust_segments_2026-03.csv"


@pytest.fixture
def published(db):
    from ingest.importers import import_file

    import_file("organisations", REAL / "ods_trusts_etr_2025.csv")
    import_file("nof_segments", NOF_SEGMENTS)


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_real_file_reconciles_127_of_150_and_explains_every_difference(login, alice, published):
    from trusts.models import SegmentAssignment

    before = sorted(SegmentAssignment.objects.values_list("pk", "segment", "version"))
    response = login(alice).get("/segments/reconciliation/")
    assert response.status_code == 200
    assert "127 of 150" in response.content.decode()

    rows = _csv(login(alice).get("/segments/reconciliation/?format=csv"))
    assert len(rows) == 150
    reasons = {}
    for row in rows:
        reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
    # Every difference is a boundary drawn over the full category: 129 of >= 134 acute trusts,
    # 20 of >= 57 non-acute and 1 of >= 9 ambulance trusts are in the file.
    assert reasons == {"agrees": 127, "boundaries_over_missing_trusts": 23}
    assert all(row["agrees"] == "yes" for row in rows if row["reason"] == "agrees")
    # The published boundaries give the published segment of all but two: the lone ambulance trust
    # (no boundaries to infer) and RAT, 2.08 in segment 3 with both deficit flags blank (a cap the
    # file does not record, most likely), which the rule over the file also puts in 3.
    by_bounds = [row for row in rows if row["segment_by_published_bounds"]]
    assert len(by_bounds) == 149
    off = [row["org_code"] for row in by_bounds if row["segment_by_published_bounds"] != row["published_segment"]]
    assert off == ["RAT"]
    rwh = next(row for row in rows if row["org_code"] == "RWH")
    assert (rwh["published_segment"], rwh["recomputed_segment"]) == ("2", "1")
    assert "1|2 boundary falls at 2.16 over the file alone, at 2.06 in the published table" in rwh["detail"]
    # Nothing was written: the published segments are the record.
    assert sorted(SegmentAssignment.objects.values_list("pk", "segment", "version")) == before


def _assignment(framework, code, score, segment, *, deficit=False, category="acute", rank=None, **fields):
    from trusts.models import Organisation, SegmentAssignment

    organisation = Organisation.objects.create(ods_code=code, name=f"Trust {code}", kind="acute", region="Y56")
    return SegmentAssignment.objects.create(
        organisation=organisation,
        framework=framework,
        segment=segment,
        effective_from=date(2026, 3, 1),
        category=category,
        rank=rank,
        average_score=score,
        in_deficit=deficit,
        **fields,
    )


def test_each_kind_of_difference_gets_its_reason():
    from indicators.framework import segments_reconcile
    from trusts.models import FrameworkVersion

    framework = FrameworkVersion.objects.get(code="nof-2025-26")
    # Eight trusts, scores chosen so the quartile rule gives 1 1 2 2 3 3 4 4 before the cap.
    _assignment(framework, "RA1", 1.20, 1, rank=1)
    _assignment(framework, "RA2", 1.50, 3, deficit=True, rank=5)  # capped: agrees
    _assignment(framework, "RA3", 1.80, 2, rank=2)
    # Published 3: the league flag says no deficit (recomputed 2), the finance flag says deficit (→ 3).
    _assignment(framework, "RA4", 2.00, 3, rank=4, finance_in_deficit=True)
    _assignment(framework, "RA5", 2.20, 3, rank=6)
    _assignment(framework, "RA6", 2.50, 5, rank=8)  # PIP overlay on 4
    _assignment(framework, "RA7", 2.80, 4, rank=7)
    _assignment(framework, "RA8", 3.10, 4, rank=9)

    result = segments_reconcile(framework)
    reasons = {row.assignment.organisation.ods_code: row.reason for row in result.rows}
    assert reasons == {
        "RA1": "agrees",
        "RA2": "agrees",
        "RA3": "agrees",
        "RA4": "deficit_flag_differs",
        "RA5": "agrees",
        "RA6": "judgement_overlay",
        "RA7": "agrees",
        "RA8": "agrees",
    }
    assert result.equal == 6


def test_equal_scores_published_in_two_segments_read_as_a_rank_tie():
    from indicators.framework import segments_reconcile
    from trusts.models import FrameworkVersion

    framework = FrameworkVersion.objects.get(code="nof-2025-26")
    for i, (score, segment) in enumerate(
        [(1.2, 1), (1.6, 1), (1.6, 2), (2.0, 2), (2.4, 3), (2.5, 3), (2.8, 4), (3.0, 4)]
    ):
        _assignment(framework, f"RT{i}", score, segment, rank=i + 1)
    rows = {row.assignment.organisation.ods_code: row for row in segments_reconcile(framework).rows}
    # n = 8: both 1.60s have one trust better, 1 + floor(4/8) = 1; published 2 for RT2 is the tie.
    assert (rows["RT2"].recomputed, rows["RT2"].reason) == (1, "rank_tie_at_boundary")
    assert rows["RT1"].reason == "agrees"


def test_the_reconciliation_is_for_oversight_staff_and_analysts_only(login, alice, carol, bob, published):
    assert login(alice).get("/segments/reconciliation/").status_code == 200
    assert login(carol).get("/segments/reconciliation/?format=csv").status_code == 200
    assert login(bob).get("/segments/reconciliation/").status_code == 403
    assert login(bob).get("/segments/reconciliation/?format=csv").status_code == 403


def test_the_reconciliation_needs_a_login(client, published):
    response = client.get("/segments/reconciliation/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_league_table_shows_distance_to_the_next_segment_by_hand(login, carol, published):
    from indicators.framework import league_table
    from trusts.models import FrameworkVersion

    table = league_table(FrameworkVersion.objects.get(code="nof-2025-26"), "acute")
    assert len(table.rows) == 129
    # Published acute bounds: the worst score that held 1, 2 and 3 (2.06, 2.35, 2.69).
    assert table.bounds == [2.06, 2.35, 2.69]
    row = next(r for r in table.rows if r.assignment.organisation.ods_code == "R0A")
    # Manchester, segment 3 at 2.36: −0.01 reaches 2.35 (segment 2); +0.33 before 2.69 is passed.
    assert row.distance.to_better == pytest.approx(0.01)
    assert row.distance.to_worse == pytest.approx(0.33)
    assert row.distance.nearest == ("better", pytest.approx(0.01))
    # Its domains 3 2 1 2 4: people and workforce (4) is furthest worse than the acute median.
    assert row.furthest[0] == "people_workforce"
    assert row.movement is None and table.previous_published_on is None

    page = login(carol).get("/segments/league-table/?category=acute")
    text = page.content.decode()
    assert page.status_code == 200
    assert "No earlier real publication is held" in text
    assert "−0.01 to reach 2" in text and "+0.33 margin before 4" in text
    assert login(carol).get("/segments/league-table/?category=non_acute").status_code == 200
    assert login(carol).get("/segments/league-table/?category=hospice").status_code == 400


def test_movement_is_against_the_previous_real_publication(login, carol, published):
    from indicators.framework import league_table
    from trusts.models import FrameworkVersion, Organisation, SegmentAssignment

    framework = FrameworkVersion.objects.get(code="nof-2025-26")
    manchester = Organisation.objects.get(ods_code="R0A")
    SegmentAssignment.objects.create(
        organisation=manchester, framework=framework, segment=4, effective_from=date(2025, 12, 1), category="acute"
    )
    table = league_table(framework, "acute")
    row = next(r for r in table.rows if r.assignment.organisation_id == manchester.pk)
    assert row.movement == 1  # from 4 to 3: up one
    assert table.previous_published_on == date(2025, 12, 1)
    assert "up 1" in login(carol).get("/segments/league-table/?category=acute").content.decode()


def test_the_league_table_uploads_on_the_imports_page_detected_from_its_header(login, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ingest.importers import import_file
    from trusts.models import SegmentAssignment

    import_file("organisations", REAL / "ods_trusts_etr_2025.csv")
    page = login(alice).get("/imports/").content.decode()
    assert 'value="nof_segments"' in page
    upload = SimpleUploadedFile("trust_segments_2026-03.csv", NOF_SEGMENTS.read_bytes(), content_type="text/csv")
    response = login(alice).post("/imports/", {"file": upload, "format": ""})
    assert response.status_code == 302
    assert SegmentAssignment.objects.filter(synthetic=False, framework__code="nof-2025-26").count() == 150


def test_a_new_year_is_data_a_fixed_threshold_edition_recomputes_with_its_own_thresholds(write_nof_file):
    from indicators.framework import segments_reconcile
    from ingest.importers import import_file
    from trusts.models import FrameworkVersion, SegmentAssignment

    # 2027/28 does not exist in code: it is one row, with its thresholds as data.
    FrameworkVersion.objects.filter(code="nof-2026-27").update(effective_to=date(2027, 3, 31))
    edition = FrameworkVersion.objects.create(
        code="nof-2027-28",
        name="NHS Oversight Framework 2027/28",
        effective_from=date(2027, 4, 1),
        segment_meanings={str(k): f"segment {k}" for k in range(1, 5)},
        boundary_rule="fixed_thresholds",
        rule_parameters={"thresholds": [1.8, 2.2, 2.6], "deficit_cap": 3},
    )
    # score → threshold segment: 1.80 → 1 (on the threshold), 2.00 → 2 but in deficit → 3, 2.50 → 3, 2.61 → 4.
    path = write_nof_file(
        [("RA1", 1.80, 1, 0), ("RA2", 2.00, 3, 1), ("RA3", 2.50, 2, 0), ("RA4", 2.61, 4, 0)], month="2027-06"
    )
    summary = import_file("nof_segments", path)
    assert summary.created == 4 and summary.unverified_codes == ["RA1", "RA2", "RA3", "RA4"]
    assert set(SegmentAssignment.objects.values_list("framework__code", flat=True)) == {"nof-2027-28"}

    result = segments_reconcile(edition)
    got = {row.assignment.organisation.ods_code: (row.recomputed, row.reason) for row in result.rows}
    assert got["RA1"] == (1, "agrees") and got["RA2"] == (3, "agrees") and got["RA4"] == (4, "agrees")
    assert got["RA3"][0] == 3 and got["RA3"][1] != "agrees"  # published 2 where the thresholds say 3
    assert result.equal == 3


@pytest.fixture
def write_nof_file(tmp_path):
    header = (
        "org_code,org_name,data_month,Region,Trust_type,Trust_subtype,lt_segment,lt_in_deficit,league_segment,"
        "league_rank,league_avg_score,overall_adjusted_segment,domain_segment_access,"
        "domain_segment_effectiveness_experience,domain_segment_finance_productivity,domain_segment_patient_safety,"
        "domain_segment_people_workforce,fin_in_deficit"
    )

    def write(rows, month):
        lines = [header]
        for rank, (code, score, segment, deficit) in enumerate(rows, start=1):
            lines.append(
                f"{code},TRUST {code},{month},London,Acute trust,Acute - Large,{segment}.0,{deficit}.0,{segment}.0,"
                f"{rank}.0,{score},{segment}.0,2.0,2.0,2.0,2.0,2.0,{deficit}.0"
            )
        path = tmp_path / "segments.csv"
        path.write_text("\n".join(lines) + "\n")
        return path

    return write
