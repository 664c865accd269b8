"""Files saved by Excel read the same: UTF-8 with a BOM, Windows-1252, UTF-16."""

import pytest

from ingest.importers import import_file
from trusts.models import Organisation

pytestmark = pytest.mark.django_db

REGISTER = "org_code,name,kind\nRF4,Barking’s Café Trust,acute\n"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-16", "utf-8"])
def test_it_reads_the_register_in_each_encoding(write_csv, encoding):
    summary = import_file("organisations", write_csv(REGISTER, encoding=encoding))

    assert summary.created == 1
    assert Organisation.objects.get(ods_code="RF4").name == "Barking’s Café Trust"


def test_it_finds_the_first_column_behind_a_byte_order_mark(catalogue, write_csv):
    text = "org_code,period,indicator,numerator,denominator\r\nRF4,2019-03,ed_4hr,2879,21289\r\n"

    summary = import_file("observations", write_csv(text, encoding="utf-8-sig"))

    assert summary.created == 1
