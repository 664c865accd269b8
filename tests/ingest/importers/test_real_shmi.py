"""The SHMI files as published: both layouts load, a rerun changes nothing, z_adj comes from the published limits."""

import csv
import math
from datetime import date

import pytest

from indicators.models import ImportBatch, Observation, ZScore
from indicators.recompute import results_recompute
from indicators.stats.constants import Z95
from ingest.importers import ImportRefused, import_file
from ingest.importers.shmi import shmi_period
from tests.ingest.importers.importer_data import REAL

pytestmark = pytest.mark.django_db

SHMI_2025 = REAL / "shmi" / "SHMI_data_at_trust_level_Feb25-Jan26_csv.csv"
HSCIC = sorted((REAL / "shmi" / "hscic-2011-2014").glob("shmi-*.csv"))


@pytest.fixture
def loaded(catalogue, registers):
    return import_file("shmi", SHMI_2025)


def test_the_2025_26_file_loads_every_trust_with_its_counts_and_limits(loaded):
    assert (loaded.read, loaded.created, loaded.updated, loaded.skipped) == (118, 118, 0, 0)
    assert not loaded.not_trusts
    row = Observation.objects.get(indicator__code="shmi", organisation__ods_code="RCF")
    # RCF,AIREDALE NHS FOUNDATION TRUST,0.9396,2,32845,985,1045,0.9072,1.0992,0.8463,1.1816
    assert (row.period, row.numerator, row.denominator, row.value, row.lower, row.upper) == (
        date(2025, 10, 1),
        985,
        1045,
        0.9396,
        0.8463,
        1.1816,
    )
    assert row.batch.format == "shmi" and not row.batch.synthetic


def test_a_second_import_changes_nothing(loaded):
    again = import_file("shmi", SHMI_2025)
    assert (again.read, again.created, again.updated) == (118, 0, 0)
    assert Observation.objects.filter(indicator__code="shmi").count() == 118


def test_every_trust_z_adj_is_the_one_its_published_upper_limit_gives(loaded):
    results_recompute(indicator_codes=["shmi"])
    with SHMI_2025.open(encoding="utf-8-sig", newline="") as handle:
        published = {row["PROVIDER_CODE"]: row for row in csv.DictReader(handle)}
    z = dict(ZScore.objects.filter(indicator__code="shmi").values_list("organisation__ods_code", "z_adjusted"))
    assert set(z) == set(published)
    for code, row in published.items():
        expected = Z95 * math.log(float(row["SHMI_VALUE"])) / math.log(float(row["OD_UL"]))
        assert z[code] == pytest.approx(expected, rel=1e-12, abs=1e-12), code


def test_the_hscic_files_load_with_their_trailer_and_list_the_providers_that_are_not_trusts(catalogue, registers):
    summaries = [import_file("shmi", path) for path in HSCIC]
    periods = sorted(set(Observation.objects.filter(indicator__code="shmi").values_list("period", flat=True)))
    assert len(HSCIC) == 11 and len(periods) == 11
    assert periods[0] == date(2011, 1, 1) and periods[-1] == date(2013, 7, 1)  # years to Mar 2011 … Sep 2013
    july_2013 = dict(zip([path.name for path in HSCIC], summaries, strict=True))["shmi-2013-july.csv"]
    assert july_2013.read == 142  # the copyright line and the blank row are not read as rows
    assert july_2013.read == july_2013.created + july_2013.skipped
    # A primary care trust and trusts closed before the registers: counted, listed, not loaded.
    october_2011 = summaries[[path.name for path in HSCIC].index("shmi-2011-october.csv")]
    assert "5QT" in october_2011.not_trusts and october_2011.skipped == len(october_2011.not_trusts)
    assert not Observation.objects.filter(organisation__ods_code="5QT").exists()
    assert ImportBatch.objects.get(pk=october_2011.batch.pk).excluded_codes == sorted(october_2011.not_trusts)
    assert "not NHS trusts, not loaded: 5QT" in str(october_2011)


@pytest.mark.parametrize(
    "name, period",
    [
        ("SHMI_data_at_trust_level_Feb25-Jan26_csv.csv", date(2025, 10, 1)),  # year to Jan 2026: last full quarter
        ("SHMI_data_at_trust_level_Jan25-Dec25_csv.csv", date(2025, 10, 1)),
        ("SHMI_data_at_trust_level_Apr24-Mar25_csv.csv", date(2025, 1, 1)),
        ("shmi-2011-october.csv", date(2011, 1, 1)),  # April 2010 – March 2011
        ("shmi-2013-july.csv", date(2012, 10, 1)),  # January – December 2012
        ("shmi-2014-april.csv", date(2013, 7, 1)),  # October 2012 – September 2013
    ],
)
def test_the_period_is_the_rolling_year_the_file_name_gives(name, period):
    assert shmi_period(name) == period


def _refused(path):
    with pytest.raises(ImportRefused) as refusal:
        import_file("shmi", path)
    return [str(error) for error in refusal.value.errors]


GOOD = SHMI_2025.read_text(encoding="utf-8-sig")


def _copy(write_csv, text, name=SHMI_2025.name):
    return write_csv(text, name=name)


@pytest.mark.parametrize(
    "case, text, name, expected",
    [
        (
            "bad-period",
            GOOD,
            "shmi_latest.csv",
            'column "file name", value "shmi_latest.csv": cannot tell which year the file covers',
        ),
        (
            "span-not-a-year",
            GOOD,
            "SHMI_data_at_trust_level_Feb25-Jun26_csv.csv",
            "not a rolling year",
        ),
        (
            "malformed-code",
            GOOD.replace("I00699,RCF,", "I00699,R-CF,", 1),
            SHMI_2025.name,
            'row 2, column "PROVIDER_CODE", value "R-CF": not an ODS code',
        ),
        (
            "negative-observed",
            GOOD.replace(",32845,985,1045,", ",32845,-985,1045,", 1),
            SHMI_2025.name,
            'row 2, column "OBSERVED", value "-985": a count cannot be negative',
        ),
        (
            "upper-not-above-one",
            GOOD.replace("0.8463,1.1816", "0.8463,0.9816", 1),
            SHMI_2025.name,
            'row 2, column "OD_UL", value "0.9816": an upper 95% limit of SHMI must be above 1',
        ),
        (
            "missing-column",
            GOOD.replace(",OD_UL", ",OD_UPPER", 1),
            SHMI_2025.name,
            'row 1, column "OD_UL", value "": missing column',
        ),
        (
            "truncated",
            GOOD[: GOOD.index("\n", 2000) - 12],
            SHMI_2025.name,
            "cut short",
        ),
    ],
)
def test_a_broken_copy_is_refused_naming_row_column_and_value_and_nothing_is_written(
    catalogue, registers, write_csv, case, text, name, expected
):
    before = Observation.objects.count()
    errors = _refused(_copy(write_csv, text, name))
    assert any(expected in error for error in errors), errors
    assert Observation.objects.count() == before


def test_an_hscic_file_refused_for_a_bad_value_names_its_row(catalogue, registers, write_csv):
    text = HSCIC[0].read_text(encoding="cp1252").replace("I00699,RA2,", "I00699,RA2!,", 1)
    errors = _refused(write_csv(text, name="shmi-2011-october.csv"))
    assert errors == [
        'row 3, column "PROVIDER", value "RA2!": not an ODS code (3 to 6 letters or digits, such as RF4 or QOP)'
    ]
