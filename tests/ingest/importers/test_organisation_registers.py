"""Our organisation CSV: stated kinds win over guesses, ICBs and successors link up, blanks keep what is known."""

from datetime import date

import pytest

from ingest.importers import ImportRefused, import_file
from trusts.models import Organisation

pytestmark = pytest.mark.django_db

HEADER = "org_code,name,kind,region,icb_code,foundation_trust,opened,closed,successor_code\n"


def test_it_links_trusts_to_icbs_and_successors_named_in_the_same_file(write_csv):
    text = HEADER + (
        "RQ8,MID ESSEX HOSPITAL SERVICES NHS TRUST,acute,East of England,QH8,no,1993-04-01,2020-03-31,RAJ\n"
        "RAJ,MID AND SOUTH ESSEX NHS FOUNDATION TRUST,acute,Y61,QH8,,1991-04-01,,\n"
        "QH8,NHS MID AND SOUTH ESSEX INTEGRATED CARE BOARD,icb,Y61,,,2022-07-01,,\n"
    )

    summary = import_file("organisations", write_csv(text))

    assert (summary.created, summary.organisations_created) == (3, 0)
    mid_essex = Organisation.objects.get(ods_code="RQ8")
    assert (mid_essex.successor.ods_code, mid_essex.parent_icb.ods_code, mid_essex.region) == ("RAJ", "QH8", "Y61")
    assert Organisation.objects.get(ods_code="RAJ").foundation_trust  # blank: read from the name
    icb = Organisation.objects.get(ods_code="QH8")  # issue 16: shown in NHS casing, source spelling kept
    assert (icb.name, icb.name_source) == (
        "NHS Mid and South Essex Integrated Care Board",
        "NHS MID AND SOUTH ESSEX INTEGRATED CARE BOARD",
    )


def test_it_creates_an_icb_named_by_its_code_when_nobody_has_named_it(write_csv):
    summary = import_file("organisations", write_csv(HEADER + "RF4,BARKING,acute,Y56,QMF,,,,\n"))

    icb = Organisation.objects.get(ods_code="QMF")
    assert (icb.name, icb.kind, icb.region) == ("QMF", "icb", "Y56")
    assert summary.organisations_created == 1


def test_a_stated_kind_survives_a_register_that_only_guesses(write_csv):
    import_file("organisations", write_csv(HEADER + "RXQ,BUCKINGHAMSHIRE HEALTHCARE NHS TRUST,acute_community,,,,,,\n"))
    etr = (
        '"RXQ","BUCKINGHAMSHIRE HEALTHCARE NHS TRUST","Y59","QU9","AMERSHAM HOSPITAL","WHIELDEN STREET","",'
        '"AMERSHAM","","HP7 0JD","20030401","","","","","","","","","","","0","","J","","",""\n'
    )

    summary = import_file("organisations", write_csv(etr))

    trust = Organisation.objects.get(ods_code="RXQ")
    assert (trust.kind, trust.region, trust.opened) == ("acute_community", "Y59", date(2003, 4, 1))
    assert summary.updated == 1


def test_a_blank_cell_keeps_what_an_earlier_file_said(write_csv):
    import_file("organisations", write_csv(HEADER + "RF4,BARKING,acute,Y56,QMF,no,2001-04-01,,\n"))

    summary = import_file("organisations", write_csv(HEADER + "RF4,BARKING,acute,,,,,,\n"))

    assert summary.updated == 0
    trust = Organisation.objects.get(ods_code="RF4")
    assert (trust.region, trust.parent_icb.ods_code, trust.opened) == ("Y56", "QMF", date(2001, 4, 1))


def test_it_refuses_a_region_it_does_not_know(write_csv):
    with pytest.raises(ImportRefused, match='row 2, column "region", value "Wales": not an NHS England region'):
        import_file("organisations", write_csv(HEADER + "RT4,WELSH AMBULANCE,ambulance,Wales,,,,,\n"))


def test_it_refuses_an_etr_import_of_a_file_with_a_header(write_csv):
    with pytest.raises(ImportRefused, match="not an ODS etr extract"):
        import_file("ods_etr", write_csv(HEADER + "RF4,BARKING,acute,,,,,,\n"))
