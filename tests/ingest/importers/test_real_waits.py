"""RTT and cancer waiting times by provider: NHS trusts load, other providers are listed, broken copies refused."""

import csv
from datetime import date

import pytest

from indicators.models import Observation
from ingest.importers import ImportRefused, detect_format, import_file
from tests.ingest.importers.importer_data import REAL

pytestmark = pytest.mark.django_db

RTT = REAL / "rtt-cancer-2022-26" / "rtt_incomplete_provider_monthly.csv"
CANCER = REAL / "rtt-cancer-2022-26" / "cwt_provider_monthly.csv"


def _rows(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_rtt_file_loads_the_trusts_and_lists_the_rest(catalogue, registers):
    summary = import_file("rtt", RTT)

    rows = _rows(RTT)
    held = set(Observation.objects.filter(indicator__code="rtt_18wk").values_list("organisation__ods_code", flat=True))
    trust_rows = [row for row in rows if row["org_code"] in held and row["level"] == "provider"]
    assert summary.read == len(rows) == 24727
    assert summary.created == 2 * len(trust_rows)  # rtt_18wk and rtt_52wk for each trust-month
    assert summary.skipped == len(rows) - len(trust_rows)
    assert len(held) >= 100
    # Independent providers and ICB rows are listed, not loaded, and not errors.
    assert summary.not_trusts["8KL73"].startswith("in no trust register")
    icb = next(row["org_code"] for row in rows if row["level"] == "icb")
    assert summary.not_trusts[icb] == "an ICB row"
    assert not Observation.objects.filter(organisation__ods_code__in=["8KL73", icb]).exists()
    # One row by hand: numerator = total − within 18 weeks; 52 weeks = w52 / total.
    row = trust_rows[0]
    period = date(int(row["month"][:4]), int(row["month"][5:]), 1)
    over_18 = Observation.objects.get(indicator__code="rtt_18wk", organisation__ods_code=row["org_code"], period=period)
    total, within = float(row["pct18_total"]), float(row["pct18_within_target"])
    assert (over_18.numerator, over_18.denominator) == (total - within, total)
    assert over_18.value == pytest.approx((total - within) / total)
    over_52 = Observation.objects.get(indicator__code="rtt_52wk", organisation__ods_code=row["org_code"], period=period)
    assert (over_52.numerator, over_52.denominator) == (float(row["w52"]), total)

    again = import_file("rtt", RTT)
    assert (again.created, again.updated) == (0, 0)


def test_the_cancer_file_gives_62_day_and_faster_diagnosis_breaches(catalogue, registers):
    summary = import_file("cancer", CANCER)

    rows = _rows(CANCER)
    assert summary.read == len(rows)
    codes = set(
        Observation.objects.filter(indicator__code__in=["cancer_62d", "cancer_fds28"]).values_list(
            "organisation__ods_code", flat=True
        )
    )
    assert Observation.objects.filter(indicator__code="cancer_62d").values("organisation").distinct().count() >= 100
    loaded = [
        row
        for row in rows
        if row["org_code"] in codes
        and row["level"] == "provider"
        and row["standard"] != "CMB31"
        and row["total"] != "0"
    ]
    assert summary.created == len(loaded)
    for standard, code in (("CMB62", "cancer_62d"), ("FDS28", "cancer_fds28")):
        row = next(row for row in loaded if row["standard"] == standard)
        period = date(int(row["month"][:4]), int(row["month"][5:]), 1)
        stored = Observation.objects.get(indicator__code=code, organisation__ods_code=row["org_code"], period=period)
        assert (stored.numerator, stored.denominator) == (
            float(row["total"]) - float(row["within_target"]),
            float(row["total"]),
        )
    assert not Observation.objects.filter(organisation__ods_code="ENG").exists()
    assert not Observation.objects.filter(indicator__code="cancer_62d", organisation__kind="icb").exists()

    again = import_file("cancer", CANCER)
    assert (again.created, again.updated) == (0, 0)


def test_both_files_are_recognised_from_their_header():
    assert detect_format(RTT) == "rtt"
    assert detect_format(CANCER) == "cancer"


RTT_GOOD = (
    "org_code,org_name,level,region,month,pct18_within_target,pct18_total,pct18_performance,pct18_data_status,"
    "waitlist,w52,w65,w78,w104\n"
    "RF4,BARKING,provider,London,2025-04,40000,65000,0.615,final,65000,1500,300,20,0\n"
    "RGT,CAMBRIDGE,provider,East,2025-04,30000,50000,0.6,final,50000,900,100,5,0\n"
    "8KL73,ENDOCARE DIAGNOSTICS,provider,England,2025-04,70,70,1.0,final,70,0,0,0,0\n"
)
CANCER_GOOD = (
    "org_code,org_name,level,region,standard,month,within_target,total,performance,data_status,target\n"
    "RF4,BARKING,provider,London,CMB62,2025-04,100,150,0.667,final,0.85\n"
    "RGT,CAMBRIDGE,provider,East,FDS28,2025-04,800,1000,0.8,final,0.75\n"
    "QMF,NHS NORTH EAST LONDON INTEGRATED CARE BOARD,icb,England,CMB62,2025-04,300,400,0.75,final,0.85\n"
)


def test_a_small_good_copy_loads_the_trusts_and_lists_the_independent_provider(catalogue, registers, write_csv):
    summary = import_file("rtt", write_csv(RTT_GOOD))
    assert (summary.read, summary.created, summary.skipped) == (3, 4, 1)
    assert list(summary.not_trusts) == ["8KL73"]
    summary = import_file("cancer", write_csv(CANCER_GOOD))
    assert (summary.read, summary.created, summary.skipped) == (3, 2, 1)
    assert summary.not_trusts == {"QMF": "an ICB row"}


@pytest.mark.parametrize(
    "fmt, text, expected",
    [
        (
            "rtt",
            RTT_GOOD.replace("2025-04,30000", "2025-13,30000"),
            'row 3, column "month", value "2025-13": not a month',
        ),
        ("rtt", RTT_GOOD.replace("RGT,", "R G T,"), 'row 3, column "org_code", value "R G T": not an ODS code'),
        ("rtt", RTT_GOOD.replace(",900,", ",-900,"), 'row 3, column "w52", value "-900": a count cannot be negative'),
        ("rtt", RTT_GOOD.replace("40000,65000", "70000,65000"), 'row 2, column "pct18_within_target", value "70000"'),
        ("rtt", RTT_GOOD.replace(",w52,", ",w_52,"), 'row 1, column "w52", value "": missing column'),
        ("rtt", RTT_GOOD[:-25], 'row 4, column "pct18_total", value "": the row has 6 fields but the header has 14'),
        ("rtt", RTT_GOOD.replace("provider,East", "trust,East"), 'row 3, column "level", value "trust": not a level'),
        ("cancer", CANCER_GOOD.replace("CMB62,2025-04,100", "CMB99,2025-04,100"), 'column "standard", value "CMB99"'),
        ("cancer", CANCER_GOOD.replace("800,1000", "800,-1000"), 'row 3, column "total", value "-1000"'),
        ("cancer", CANCER_GOOD.replace("2025-04,800", "April 2025,800"), 'row 3, column "month", value "April 2025"'),
        ("cancer", CANCER_GOOD.replace(",total,", ",all,"), 'row 1, column "total", value "": missing column'),
        ("cancer", CANCER_GOOD[:-30], "cut short"),
    ],
)
def test_a_broken_copy_is_refused_and_nothing_is_written(catalogue, registers, write_csv, fmt, text, expected):
    with pytest.raises(ImportRefused) as refusal:
        import_file(fmt, write_csv(text))
    errors = [str(error) for error in refusal.value.errors]
    assert any(expected in error for error in errors), errors
    assert not Observation.objects.exists()


def test_the_import_page_accepts_the_file_and_lists_the_providers_that_are_not_trusts(
    catalogue, registers, alice, client, write_csv, monkeypatch
):
    monkeypatch.setattr("indicators.tasks.recompute_after_import", lambda **kwargs: None)
    client.force_login(alice)
    with write_csv(RTT_GOOD, name="rtt.csv").open("rb") as upload:
        response = client.post("/imports/", {"file": upload, "format": ""}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "RTT incomplete pathways by provider" in html and "not NHS trusts, not loaded: 8KL73" in html
    assert Observation.objects.filter(indicator__code="rtt_18wk").count() == 2
