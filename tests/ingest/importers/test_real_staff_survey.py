"""The NHS Staff Survey workbook: header found below the title, scores and benchmarking groups stored, and
Table 24 deviating from the benchmarking-group mean (a hand calculation)."""

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook

from indicators.compute import compute_staff_survey
from indicators.models import Observation, SurveyBenchmarkGroup
from indicators.stats.spells import Spell
from ingest.importers import ImportRefused, detect_format, import_file
from tests.ingest.importers.importer_data import REAL

pytestmark = pytest.mark.django_db

WORKBOOK = REAL / "staff-survey-2024" / "NSS24_detailed_spreadsheets_organisational_results.xlsx"
THEMES = ["Staff Engagement", "Morale"]
ELEMENTS = [f"PP{n}" for n in range(1, 8)]


def test_the_published_workbook_loads_every_trust_with_its_benchmarking_group(catalogue, registers):
    summary = import_file("staff_survey", WORKBOOK)

    assert summary.read == 263
    trusts = SurveyBenchmarkGroup.objects.filter(year=2024).count()
    assert trusts >= 200 and summary.skipped == 263 - trusts
    assert (
        Observation.objects.filter(indicator__code="staff_survey_engagement", period=date(2024, 1, 1)).count() == trusts
    )
    assert summary.created == trusts * 9 + trusts  # nine scores and one group per trust
    # ICBs and commissioning support units are listed, not loaded.
    assert "QOP" in summary.not_trusts  # an ICB
    assert "0AR" in summary.not_trusts
    # RCF (Airedale) by hand from the workbook: an acute trust.
    group = SurveyBenchmarkGroup.objects.get(organisation__ods_code="RCF", year=2024)
    assert group.group == "Acute and Acute & Community Trusts"
    engagement = Observation.objects.get(indicator__code="staff_survey_engagement", organisation__ods_code="RCF")
    assert 0 < engagement.value < 10 and engagement.denominator > 100

    again = import_file("staff_survey", WORKBOOK)
    assert (again.created, again.updated) == (0, 0)


def test_the_workbook_is_recognised_as_the_staff_survey():
    assert detect_format(WORKBOOK) == "staff_survey"


def _workbook(
    title="NHS Staff Survey 2024 - WEIGHTED Results",
    rows=None,
    header_row=5,
    drop_column=None,
):
    """A small workbook laid out as the published one: title block, header on row `header_row`."""
    book = Workbook()
    book.remove(book.active)
    rows = rows or [
        ("RF4", "Barking Trust", "Acute and Acute & Community Trusts", 7.0, 900),
        ("RGT", "Cambridge Trust", "Acute and Acute & Community Trusts", 6.0, 800),
    ]
    for sheet_name, names in (("THEMES", THEMES), ("PEOPLE PROMISE ELEMENTS", ELEMENTS)):
        sheet = book.create_sheet(sheet_name)
        sheet.append([title])
        for _ in range(header_row - 2):
            sheet.append([])
        header = ["ODS code", "Organisation name", "Benchmarking group", "Region", "ICS", "Weighting"]
        for name in names:
            header += [f"{name} - score", "Base (number of responses)"]
        if drop_column:
            header = [cell for cell in header if cell != drop_column]
        sheet.append(header)
        for code, name, group, score, base in rows:
            line = [code, name, group, "London", "ICS", "Occupation Group"]
            for _ in names:
                line += [score, base]
            sheet.append(line[: len(header)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_small_workbook_with_its_header_on_row_5_loads(catalogue, registers, write_csv):
    summary = import_file("staff_survey", write_csv(_workbook(), name="survey.xlsx"))
    assert (summary.read, summary.created) == (2, 2 * 9 + 2)
    assert Observation.objects.get(indicator__code="staff_survey_pp3", organisation__ods_code="RGT").value == 6.0


@pytest.mark.parametrize(
    "case, content, expected",
    [
        ("no-year", _workbook(title="NHS Staff Survey - WEIGHTED Results"), "no survey year in the title"),
        (
            "score-over-10",
            _workbook(rows=[("RF4", "B", "Acute", 11.0, 900)]),
            'row 6, column "Staff Engagement - score (THEMES)", value "11": a staff survey score lies between 0 and 10',
        ),
        (
            "negative-base",
            _workbook(rows=[("RF4", "B", "Acute", 7.0, -9)]),
            'row 6, column "base (number of responses) of Staff Engagement - score (THEMES)", value "-9"',
        ),
        (
            "malformed-code",
            _workbook(rows=[("RF-4", "B", "Acute", 7.0, 900)]),
            'row 6, column "ODS code", value "RF-4": not an ODS code',
        ),
        (
            "missing-column",
            _workbook(drop_column="Benchmarking group"),
            'row 5, column "benchmarking group", value "": missing column',
        ),
        ("truncated", _workbook()[:3000], "not a readable Excel workbook"),
        ("header-lost", _workbook(header_row=40), "no header row"),
    ],
)
def test_a_broken_workbook_is_refused_and_nothing_is_written(catalogue, registers, write_csv, case, content, expected):
    with pytest.raises(ImportRefused) as refusal:
        import_file("staff_survey", write_csv(content, name="survey.xlsx"))
    errors = [str(error) for error in refusal.value.errors]
    assert any(expected in error for error in errors), errors
    assert not Observation.objects.exists() and not SurveyBenchmarkGroup.objects.exists()


def test_table_24_deviates_from_the_benchmarking_group_mean_by_hand():
    # Four organisations, two groups, entry year 2016 and exit year 2018. Org 1 (group A) is in a
    # regime 2016–2018. Group means: A 2016 (5 + 7) / 2 = 6, A 2018 (6 + 8) / 2 = 7;
    # B 2016 (9 + 9) / 2 = 9, B 2018 (9 + 9) / 2 = 9. Org 2 (group B) in a regime too.
    values = {
        (1, 2016): 5.0, (2, 2016): 9.0, (3, 2016): 7.0, (4, 2016): 9.0,
        (1, 2018): 6.0, (2, 2018): 9.0, (3, 2018): 8.0, (4, 2018): 9.0,
    }  # fmt: skip
    frame = pd.DataFrame(
        [{"organisation_id": org, "period": pd.Timestamp(year, 1, 1), "value": v} for (org, year), v in values.items()]
    )
    groups = {(org, year): ("A" if org in (1, 3) else "B") for org, year in values}
    spells = {
        1: [Spell(entered=date(2016, 3, 1), exited=date(2018, 5, 1), regimes=("SMQ",))],
        2: [Spell(entered=date(2016, 6, 1), exited=date(2018, 9, 1), regimes=("SMQ",))],
    }

    result = compute_staff_survey({"staff_survey_engagement": frame}, spells, {}, groups)["themes"][0]

    # Deviations: org 1: entry 5 − 6 = −1, exit 6 − 7 = −1; org 2: 9 − 9 = 0 and 0.
    assert result["comparator"] == "benchmarking group"
    assert result["mean_entry"] == pytest.approx((-1 + 0) / 2)
    assert result["mean_exit"] == pytest.approx((-1 + 0) / 2)
    # Against the national mean it would have been: 2016 mean 7.5 → org 1 −2.5, org 2 +1.5.
    national = compute_staff_survey({"staff_survey_engagement": frame}, spells, {})["themes"][0]
    assert national["comparator"] == "national"
    assert national["mean_entry"] == pytest.approx((-2.5 + 1.5) / 2)


def test_the_recompute_takes_the_stored_benchmarking_groups(catalogue, make_org, regimes):
    from indicators.models import ImportBatch, Indicator
    from indicators.recompute import results_recompute, stored_document
    from trusts.models import RegimeEpisode

    # The same four trusts and scores as the hand calculation above, through the database.
    orgs = {number: make_org(f"RS{number}") for number in (1, 2, 3, 4)}
    engagement = Indicator.objects.get(code="staff_survey_engagement")
    batch = ImportBatch.objects.create(file_name="survey.xlsx", sha256="2" * 64, format="staff_survey")
    values = {1: (5.0, 6.0), 2: (9.0, 9.0), 3: (7.0, 8.0), 4: (9.0, 9.0)}
    for number, (entry, exit_) in values.items():
        for year, value in ((2016, entry), (2018, exit_)):
            Observation.objects.create(
                organisation=orgs[number], indicator=engagement, period=date(year, 1, 1), value=value, batch=batch
            )
            SurveyBenchmarkGroup.objects.create(
                organisation=orgs[number], year=year, group="A" if number in (1, 3) else "B"
            )
    RegimeEpisode.objects.create(
        organisation=orgs[1], regime=regimes["SMQ"], entered=date(2016, 3, 1), exited=date(2018, 5, 1)
    )
    RegimeEpisode.objects.create(
        organisation=orgs[2], regime=regimes["SMQ"], entered=date(2016, 6, 1), exited=date(2018, 9, 1)
    )

    results_recompute()

    theme = next(t for t in stored_document("staff_survey")["themes"] if t["code"] == "staff_survey_engagement")
    assert theme["comparator"] == "benchmarking group"
    assert (theme["n"], theme["mean_entry"], theme["mean_exit"]) == (2, pytest.approx(-0.5), pytest.approx(-0.5))


def test_the_workbook_uploads_on_the_imports_page_and_its_format_is_detected(
    catalogue, registers, alice, client, write_csv, monkeypatch
):
    monkeypatch.setattr("indicators.tasks.recompute_after_import", lambda **kwargs: None)
    client.force_login(alice)
    with write_csv(_workbook(), name="survey.xlsx").open("rb") as upload:
        response = client.post("/imports/", {"file": upload, "format": ""}, follow=True)
    assert response.status_code == 200
    assert "NHS Staff Survey organisational workbook" in response.content.decode()
    assert SurveyBenchmarkGroup.objects.count() == 2
