"""A code in no register is loaded as an unverified organisation named by its code, and listed."""

import pytest

from ingest.importers import import_file
from trusts.models import Organisation

pytestmark = pytest.mark.django_db


def test_it_creates_unverified_organisations_for_unknown_codes_and_lists_them(catalogue, make_org, write_csv):
    make_org("RF4")
    text = "org_code,period,indicator,numerator,denominator\nRF4,2019-03,ed_4hr,1,2\nrw3,2019-03,ed_4hr,1,4\n"

    summary = import_file("observations", write_csv(text))

    assert summary.unverified_codes == ["RW3"]
    assert "1 code in no register, held as unverified: RW3" in str(summary)
    predecessor = Organisation.objects.get(ods_code="RW3")
    assert (predecessor.name, predecessor.verified, predecessor.kind) == ("RW3", False, "other")


def test_a_register_naming_the_code_later_verifies_it(catalogue, write_csv):
    import_file("observations", write_csv("org_code,period,indicator,numerator,denominator\nRW3,2019-03,ed_4hr,1,4\n"))

    import_file("organisations", write_csv("org_code,name,kind\nRW3,CENTRAL MANCHESTER UNIVERSITY HOSPITALS,acute\n"))

    trust = Organisation.objects.get(ods_code="RW3")
    assert (trust.name, trust.verified) == ("Central Manchester University Hospitals", True)  # issue 16: NHS casing
    assert trust.name_source == "CENTRAL MANCHESTER UNIVERSITY HOSPITALS"
