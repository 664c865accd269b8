"""A register that reads like one: NHS trusts by default, other providers and ICBs one filter away."""

import pytest

from ingest.importers import import_file
from trusts.models import Organisation

pytestmark = pytest.mark.django_db

REGISTER = (
    "org_code,name,kind\n"
    "RTK,ASHFORD AND ST PETER'S HOSPITALS NHS FOUNDATION TRUST,acute\n"
    "RA2,ROYAL SURREY NHS FOUNDATION TRUST,acute\n"
    "QXU,NHS SURREY HEARTLANDS INTEGRATED CARE BOARD,icb\n"
    "NT4,BADGER LTD,other\n"
    "8HE12,SURREY WALK-IN CENTRE,other\n"
)


@pytest.fixture
def register(db, tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(REGISTER)
    import_file("organisations", path)


def test_imported_organisations_carry_their_sector_and_both_spellings(register):
    sectors = dict(Organisation.objects.values_list("ods_code", "sector"))
    assert sectors == {"RTK": "nhs_trust", "RA2": "nhs_trust", "QXU": "icb", "NT4": "other", "8HE12": "other"}
    surrey = Organisation.objects.get(ods_code="RA2")
    assert (surrey.name, surrey.name_source) == (
        "Royal Surrey NHS Foundation Trust",
        "ROYAL SURREY NHS FOUNDATION TRUST",
    )


def test_the_list_defaults_to_nhs_trusts_with_proper_names(register, carol, login):
    html = login(carol).get("/trusts/").content.decode()
    assert "Royal Surrey NHS Foundation Trust" in html
    assert "Ashford and St Peter&#x27;s Hospitals NHS Foundation Trust" in html
    assert "ROYAL SURREY" not in html
    assert "Badger Ltd" not in html and "Surrey Walk-in Centre" not in html and "Surrey Heartlands" not in html


def test_other_providers_and_icbs_are_one_filter_away(register, carol, login):
    client = login(carol)
    others = client.get("/trusts/?sector=other").content.decode()
    assert "Badger Ltd" in others and "Surrey Walk-in Centre" in others and "Royal Surrey" not in others
    assert "NHS Surrey Heartlands Integrated Care Board" in client.get("/trusts/?sector=icb").content.decode()
    everyone = client.get("/trusts/?sector=all").content.decode()
    assert "Badger Ltd" in everyone and "Royal Surrey" in everyone


def test_search_finds_nhs_trusts_first_and_offers_the_rest(register, carol, login):
    client = login(carol)
    html = client.get("/search/?q=surrey").content.decode()
    assert "Royal Surrey NHS Foundation Trust" in html and "Badger" not in html
    assert "Walk-in" not in html.split("<table", 1)[-1].split("</table>", 1)[0]
    assert "Include 2 other providers" in html and "sector=all" in html
    everyone = client.get("/search/?q=surrey&sector=all").content.decode()
    assert "Surrey Walk-in Centre" in everyone
    # The source spelling finds the organisation too, and an exact code opens any organisation.
    assert "Royal Surrey" in client.get("/search/?q=ROYAL SURREY NHS").content.decode()
    assert client.get("/search/?q=NT4").status_code == 302


def test_the_api_list_defaults_to_nhs_trusts_and_still_serves_any_code(register, alice, login):
    client = login(alice)
    codes = [row["ods_code"] for row in client.get("/api/v1/organisations/").json()["results"]]
    assert sorted(codes) == ["RA2", "RTK"]
    codes = [row["ods_code"] for row in client.get("/api/v1/organisations/?sector=all").json()["results"]]
    assert sorted(codes) == ["8HE12", "NT4", "QXU", "RA2", "RTK"]
    badger = client.get("/api/v1/organisations/NT4/").json()
    assert (badger["name"], badger["name_source"], badger["sector"]) == ("Badger Ltd", "BADGER LTD", "other")
