"""The evaluation report reproduces the stored Table 23 rows exactly, and rebuilds time in regime at a cut-off."""

import csv
import html
import io
import re
import zlib
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from indicators.exports import export_effects
from indicators.models import Indicator, PooledEffect
from indicators.recompute import results_recompute, stored_document
from tests.pages.world import build_world

FIELDS = ("n", "estimate", "se", "ci_low", "ci_high", "tau2", "i2")


def table_23_rows(page: str) -> dict:
    """{(group, indicator, quantity): {field: value}} read back from the report's data attributes."""
    rows = {}
    for table in re.finditer(r'<table class="data table23" data-group="([^"]+)">(.*?)</table>', page, re.S):
        group = html.unescape(table.group(1))
        for row in re.finditer(r"<tr ([^>]*data-quantity[^>]*)>", table.group(2)):
            attributes = dict(re.findall(r'data-([\w-]+)="([^"]*)"', row.group(1)))
            key = (group, attributes["indicator"], attributes["quantity"])
            rows[key] = {name: attributes[name.replace("_", "-")] for name in FIELDS}
    return rows


def stored(value) -> str:
    return repr(value)


@pytest.fixture
def client(db, alice):
    """A six-trust world over 36 months from 2015, recomputed, and alice signed in."""
    build_world(6, 36, start=date(2015, 1, 1))
    results_recompute(triggered_by="test")
    signed_in = Client()
    signed_in.force_login(alice)
    return signed_in


def expected_rows(confidential_ok: bool) -> dict:
    expected = {}
    for effect in PooledEffect.objects.select_related("indicator").order_by("confidential"):
        if not confidential_ok and effect.confidential:
            continue
        key = (effect.regime_group, effect.indicator.code, effect.quantity)
        # Where a group holds the row over every fit and over the visible fits, the fullest visible one is shown.
        expected[key] = {name: stored(getattr(effect, name)) for name in FIELDS}
    return expected


def test_the_report_reproduces_the_stored_table_23_exactly(client, carol, tmp_path):
    page = client.get("/analytics/report/?cutoff=2030-01-01")
    assert page.status_code == 200
    shown = table_23_rows(page.content.decode())
    assert shown and shown == expected_rows(confidential_ok=True)
    assert {group for group, _, _ in shown} >= {"SMQ+CP", "SMQ", "CP"}
    # The same numbers as the export command's CSV (SMQ+CP, every fit).
    indicator = Indicator.objects.get(code="ed_4hr")
    out = io.StringIO()
    export_effects(indicator, out, "SMQ+CP")
    for line in csv.DictReader(io.StringIO(out.getvalue())):
        row = shown[("SMQ+CP", "ed_4hr", line["quantity"])]
        assert int(row["n"]) == int(line["n"])
        if line["estimate"]:
            # The CSV writes the stored float to its own precision.
            assert float(row["estimate"]) == pytest.approx(float(line["estimate"]), rel=1e-9, abs=1e-12)
    # carol has no confidential access: no group defined by the confidential regime, and the SMQ rows
    # are those pooled over the fits she may see.
    client.force_login(carol)
    shown = table_23_rows(client.get("/analytics/report/").content.decode())
    assert shown == {
        key: value for key, value in expected_rows(confidential_ok=False).items() if key[0] in ("SMQ", "NOF4")
    }
    # The command writes the same rows.
    target = tmp_path / "report.html"
    call_command("evaluation_report", "--cutoff", "2030-01-01", "--out", str(target))
    assert table_23_rows(target.read_text()) == expected_rows(confidential_ok=True)


def test_time_in_regime_is_rebuilt_at_the_cutoff(client):
    today = client.get(f"/analytics/report/?cutoff={stored_document('time_in_regime')['cutoff']}").content.decode()
    smq_today = stored_document("time_in_regime")["regimes"]["SMQ"]["n"]
    assert re.search(rf'<th scope="row">SMQ</th><td>{smq_today}</td>', today)
    # Before the first SMQ entry in this world (month 8 after Jan 2015) there is no SMQ row at all.
    early = client.get("/analytics/report/?cutoff=2015-06-01").content.decode()
    assert '<th scope="row">SMQ</th>' not in early
    assert client.get("/analytics/report/?cutoff=June").status_code == 400


def pdf_text(pdf: bytes) -> str:
    """The text drawn on every page: fpdf2 compresses each content stream and writes text as (…) Tj."""
    shown = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            stream = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        shown += [m.decode("latin-1") for m in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", stream)]
    return "\n".join(text.replace("\\(", "(").replace("\\)", ")") for text in shown)


def test_the_report_as_pdf_prints_the_stored_table_23_and_respects_rights(client, carol, tmp_path):
    response = client.get("/analytics/report/?cutoff=2030-01-01&download=pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = pdf_text(response.content)
    assert "Table 13: overview of trusts in each regime" in text and "Table 23" in text
    # Every stored pooled row the page shows is printed at the page's precision, in its group's table.
    effects = PooledEffect.objects.filter(regime_group="SMQ+CP", indicator__code="ed_4hr").exclude(estimate=None)
    assert effects.exists()
    for effect in effects:
        assert f"{effect.estimate:.4f}" in text
        assert f"{effect.ci_low:.4f} to {effect.ci_high:.4f}" in text
    assert "(CP)" in text  # alice has confidential access: the CP group's table is there
    # carol has none: no confidential regime's group, in the PDF as on the page.
    client.force_login(carol)
    hidden = pdf_text(client.get("/analytics/report/?download=pdf").content)
    assert "Table 23" in hidden and "(CP)" not in hidden and "(SMQ+CP)" not in hidden
    # The command writes the same document by the file's extension, and refuses another extension.
    target = tmp_path / "report.pdf"
    call_command("evaluation_report", "--cutoff", "2030-01-01", "--out", str(target))
    assert pdf_text(target.read_bytes()) == text
    with pytest.raises(CommandError, match="must end in .html, .htm or .pdf"):
        call_command("evaluation_report", "--cutoff", "2030-01-01", "--out", str(tmp_path / "report.docx"))
