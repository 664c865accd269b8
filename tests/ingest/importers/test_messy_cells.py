"""What spreadsheets do to CSVs is accepted: thousands separators, stray spaces, blank lines, empty columns."""

from datetime import date

import pytest

from indicators.models import Observation
from ingest.importers import import_file

pytestmark = pytest.mark.django_db


def test_it_reads_thousands_separators_in_quoted_cells(catalogue, write_csv):
    text = 'period,org_code,type,attendances,breaches,admissions\n2017-03-01,RF4,1,"21,289","2,879","5,060"\n'

    import_file("ae_attendances", write_csv(text))

    observation = Observation.objects.get()
    assert (observation.numerator, observation.denominator) == (2879, 21289)


def test_it_ignores_spaces_around_cells_and_headers_blank_lines_and_empty_columns(catalogue, write_csv):
    text = (
        " org_code , Period ,indicator,numerator ,denominator,,\r\n"
        "\r\n"
        " rf4 , 2019-03 , ed_4hr , 2879 , 21289 ,,\r\n"
        ",,,,,,\r\n"
        "RGT,2019-03,ED_4HR,1200,9000,,\r\n"
        "\r\n"
    )

    summary = import_file("observations", write_csv(text))

    assert (summary.read, summary.created) == (2, 2)
    assert Observation.objects.filter(organisation__ods_code="RF4", period=date(2019, 3, 1)).exists()


def test_it_refuses_a_thousands_separator_in_the_wrong_place(catalogue, write_csv):
    text = 'period,org_code,type,attendances,breaches\n2017-03-01,RF4,1,"21,28,9",10\n'

    with pytest.raises(Exception, match="not a number"):
        import_file("ae_attendances", write_csv(text))
