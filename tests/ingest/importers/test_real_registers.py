"""The two bundled organisation registers import, merge, and do nothing the second time."""

from datetime import date

import pytest

from ingest.importers import import_file
from tests.ingest.importers.importer_data import ETR_2025, TRUSTS_2021
from trusts.models import Organisation

pytestmark = pytest.mark.django_db


def test_it_imports_the_2021_trust_list_with_regions_and_icbs():
    summary = import_file("organisations", TRUSTS_2021)

    assert (summary.read, summary.created, summary.updated, summary.skipped) == (228, 228, 0, 0)
    assert summary.batch.format == "organisations"
    trusts = Organisation.objects.exclude(kind="icb")
    assert trusts.count() == 228
    assert summary.organisations_created == Organisation.objects.filter(kind="icb").count() > 0
    barking = Organisation.objects.get(ods_code="RF4")
    assert (barking.region, barking.parent_icb.ods_code, barking.kind) == ("Y56", "QMF", "acute")
    assert barking.verified and not barking.foundation_trust
    assert Organisation.objects.get(ods_code="R0A").foundation_trust
    assert Organisation.objects.get(ods_code="RX9").kind == "ambulance"
    # Welsh trusts carry W00, which is no NHS England region: they are held with no region.
    assert Organisation.objects.get(ods_code="RT4").region == ""


def test_it_detects_the_etr_extract_and_reads_its_dates():
    summary = import_file("organisations", ETR_2025)

    assert (summary.read, summary.created) == (210, 210)
    assert summary.batch.format == "ods_etr"
    north_middlesex = Organisation.objects.get(ods_code="RAP")
    assert (north_middlesex.opened, north_middlesex.closed) == (date(1991, 4, 1), date(2024, 12, 31))
    north_london = Organisation.objects.get(ods_code="G6V2S")  # issue 16: NHS casing, a trust by its register
    assert (north_london.name, north_london.name_source, north_london.sector) == (
        "North London NHS Foundation Trust",
        "NORTH LONDON NHS FOUNDATION TRUST",
        "nhs_trust",
    )


def test_it_never_lets_a_later_register_erase_a_known_field_with_a_blank():
    import_file("organisations", ETR_2025)
    summary = import_file("organisations", TRUSTS_2021)  # no dates at all

    assert summary.created == 19  # trusts of 2021 closed or merged by 2025
    assert Organisation.objects.exclude(kind="icb").count() == 229
    north_middlesex = Organisation.objects.get(ods_code="RAP")
    assert (north_middlesex.opened, north_middlesex.closed) == (date(1991, 4, 1), date(2024, 12, 31))


@pytest.mark.parametrize("register", [TRUSTS_2021, ETR_2025], ids=["trust-list-2021", "etr-2025"])
def test_it_changes_nothing_when_a_register_is_imported_twice(register):
    import_file("organisations", register)
    count = Organisation.objects.count()

    summary = import_file("organisations", register)

    assert (summary.created, summary.updated, summary.organisations_created) == (0, 0, 0)
    assert Organisation.objects.count() == count
