"""detect_format tells each supported file from its first row, so an upload needs no format chosen."""

import io

import pytest

from ingest.importers import detect_format
from tests.ingest.importers.importer_data import (
    AE_ATTENDANCES,
    ETR_2025,
    INDICATORS_CSV,
    MONTHLY,
    TRUSTS_2021,
)

pytestmark = []


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        (AE_ATTENDANCES, "ae_attendances"),
        (ETR_2025, "ods_etr"),
        (TRUSTS_2021, "organisations"),
        (INDICATORS_CSV, "indicators"),
        (MONTHLY[0], "ae_monthly"),
        (MONTHLY[3], "ae_monthly"),  # September 2024: extra blank columns
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_it_recognises_the_bundled_files(path, fmt):
    assert detect_format(path) == fmt


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        ("org_code,name,kind\n", "organisations"),
        ("org_code,period,indicator,value\n", "observations"),
        ("org_code,regime,entered,exited\n", "episodes"),
        ("\ufeffOrg_Code , Period,Indicator,numerator,denominator\n", "observations"),
        ("a,b,c\n1,2,3\n", None),
        ("", None),
    ],
)
def test_it_recognises_headers_from_a_file_object_and_leaves_it_where_it_was(header, fmt):
    upload = io.BytesIO(header.encode("utf-8"))

    assert detect_format(upload) == fmt
    assert upload.tell() == 0
