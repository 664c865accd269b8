"""/api/v1/spc/: one row per charted SPC point with its chart's limits and icons, as export_spc writes them."""

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators.exports import SPC_COLUMNS
from indicators.models import SpcSummary
from tests.api.world import bearer
from tests.indicators.builders import month, organisations, panel, shifted_dtoc


@pytest.fixture
def charts(world):
    # Trust S00 gets worse from month 30: its latest points are special cause.
    indicator, _ = shifted_dtoc(6)
    return indicator


def _rows(client, tokens, query=""):
    response = client.get(f"/api/v1/spc/?page_size=1000{query}", **bearer(tokens["read"]))
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_it_lists_every_charted_point_with_its_charts_limits_and_icons(client, tokens, charts):
    rows = _rows(client, tokens, "&indicator=dtoc")
    stored = {chart.organisation.ods_code: chart for chart in SpcSummary.objects.select_related("organisation")}
    assert len(rows) == sum(len(chart.points) for chart in stored.values()) == 6 * 36
    assert set(rows[0]) == set(SPC_COLUMNS) | {"indicator", "synthetic"}
    for row in rows:
        chart = stored[row["org_code"]]
        assert (row["mean"], row["lpl"], row["upl"]) == (chart.mean, chart.lower, chart.upper)
        assert row["variation"] == chart.points[-1]["point_type"]  # the last point's type, on every row
        assert row["assurance"] in {"consistent_pass", "consistent_fail", "inconsistent"}
    worse = [row for row in rows if row["org_code"] == "S00"]
    assert worse[-1]["point_type"] == "special_cause_concern"


def test_it_filters_by_organisation_and_period(client, tokens, charts):
    rows = _rows(client, tokens, "&organisation=s01&period_from=2023-06-01&period_to=2023-08-01")
    assert [(row["org_code"], row["period"]) for row in rows] == [
        ("S01", "2023-06-01"),
        ("S01", "2023-07-01"),
        ("S01", "2023-08-01"),
    ]


def test_it_refuses_a_malformed_date_naming_the_field(client, tokens, charts):
    response = client.get("/api/v1/spc/?period_from=June", **bearer(tokens["read"]))
    assert response.status_code == 400
    assert "period_from" in response.content.decode()


def test_it_needs_a_token(client, charts):
    assert client.get("/api/v1/spc/").status_code in (401, 403)


def test_the_query_count_does_not_grow_with_the_charts(client, tokens, charts):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            _rows(client, tokens)
        return len(captured)

    queries()
    before = queries()
    more = organisations(4, prefix="Q")
    panel(charts, more, month(2021, 1), 40, seed=5)
    call_command("recompute", verbosity=0)
    assert queries() == before


def test_the_export_command_writes_the_same_rows(client, tokens, charts, tmp_path):
    out = tmp_path / "spc.csv"
    call_command("export_spc", indicator="dtoc", out=str(out))
    exported = list(csv.DictReader(out.open()))
    assert list(exported[0]) == SPC_COLUMNS
    served = _rows(client, tokens, "&indicator=dtoc")
    assert [(row["org_code"], row["period"], row["point_type"]) for row in exported] == [
        (row["org_code"], row["period"], row["point_type"]) for row in served
    ]
    # Independent: a trust's mean and limits by hand from its 36 charted values.
    import numpy as np

    values = np.array([float(row["value"]) for row in exported if row["org_code"] == "S03"])
    ranges = np.abs(np.diff(values))
    mean_mr = ranges[ranges < 3.267 * ranges.mean()].mean()
    first = next(row for row in exported if row["org_code"] == "S03")
    assert float(first["mean"]) == pytest.approx(values.mean(), rel=1e-9)
    assert float(first["upl"]) == pytest.approx(values.mean() + 2.66 * mean_mr, rel=1e-9)
    assert float(first["lpl"]) == pytest.approx(values.mean() - 2.66 * mean_mr, rel=1e-9)


def test_the_export_command_writes_to_standard_output(charts, capsys):
    call_command("export_spc", indicator="dtoc", out="-")
    lines = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert lines[0] == SPC_COLUMNS and len(lines) == 1 + 6 * 36
