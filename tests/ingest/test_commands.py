"""The import commands: a summary line on stdout, every error on its own line on stderr, non-zero exit."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from indicators.models import ImportBatch, Observation
from tests.ingest.importers.importer_data import INDICATORS_CSV, MONTHLY

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_it_prints_the_one_line_summary():
    out, err, failure = run("import_indicators", str(INDICATORS_CSV), "--quiet")

    assert failure is None
    assert out == "read 31, created 31, updated 0, skipped 0\n"


def test_it_prints_every_error_and_fails(catalogue, write_csv):
    path = write_csv(
        "org_code,period,indicator,numerator,denominator\nRF4,2019-13,ed_4hr,1,2\nRF4,2019-04,ed_4hr,3,2\n"
    )

    out, err, failure = run("import_observations", str(path))

    assert failure is not None and "nothing imported" in str(failure)
    assert err.splitlines() == [
        'row 2, column "period", value "2019-13": not a month (expected YYYY-MM or YYYY-MM-DD)',
        'row 3, column "numerator", value "3": the numerator is greater than the denominator (2)',
    ]
    assert out == ""
    assert Observation.objects.count() == 0


def test_it_imports_the_good_monthly_files_and_refuses_the_bad_one(catalogue, write_csv):
    broken = write_csv(MONTHLY[1].read_text().replace("MSitAE-JULY-2024,RJL", "MSitAE-JULY-2024,R-JL"), "july.csv")

    out, err, failure = run("import_ae_monthly", str(MONTHLY[0]), str(broken), str(MONTHLY[2]), "--quiet")

    assert failure is not None and "july.csv" in str(failure)
    assert 'july.csv: row 199, column "Org Code", value "R-JL": not an ODS code' in err
    assert [line.split(":")[0] for line in out.splitlines()] == [str(MONTHLY[0]), str(MONTHLY[2])]
    assert list(ImportBatch.objects.order_by("pk").values_list("status", flat=True))[-3:] == [
        "succeeded",
        "failed",
        "succeeded",
    ]


def test_the_episodes_command_lives_with_the_trusts(make_org, write_csv):
    make_org("RF4")
    path = write_csv("org_code,regime,entered,exited\nRF4,SMQ,2014-01-01,2016-01-01\n")

    out, err, failure = run("import_episodes", str(path))

    assert failure is None
    assert out.startswith("read 1, created 1")


def test_it_says_when_the_file_does_not_exist(tmp_path):
    out, err, failure = run("import_indicators", str(tmp_path / "missing.csv"))

    assert "no such file" in str(failure)
