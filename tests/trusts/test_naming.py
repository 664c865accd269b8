"""Names in the NHS's own casing, and an organisation's sector from the registers and its ODS code."""

import pytest

from trusts.naming import nhs_name, sector_from_code


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("ROYAL SURREY NHS FOUNDATION TRUST", "Royal Surrey NHS Foundation Trust"),
        ("GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Guy's and St Thomas' NHS Foundation Trust"),
        ("UNIVERSITY HOSPITALS OF NORTH MIDLANDS NHS TRUST", "University Hospitals of North Midlands NHS Trust"),
        ("THE ROYAL MARSDEN NHS FOUNDATION TRUST", "The Royal Marsden NHS Foundation Trust"),
        (
            "THE NEWCASTLE UPON TYNE HOSPITALS NHS FOUNDATION TRUST",
            "The Newcastle upon Tyne Hospitals NHS Foundation Trust",
        ),
        (
            "NHS NORTH EAST AND NORTH CUMBRIA INTEGRATED CARE BOARD",
            "NHS North East and North Cumbria Integrated Care Board",
        ),
        ("NHS SOUTH YORKSHIRE ICB", "NHS South Yorkshire ICB"),
        ("2GETHER NHS FOUNDATION TRUST", "2gether NHS Foundation Trust"),
        (
            "BARKING, HAVERING AND REDBRIDGE UNIVERSITY HOSPITALS NHS TRUST",
            "Barking, Havering and Redbridge University Hospitals NHS Trust",
        ),
        ("ROYAL BROMPTON & HAREFIELD NHS FOUNDATION TRUST", "Royal Brompton & Harefield NHS Foundation Trust"),
        (
            "GREAT ORMOND STREET HOSPITAL FOR CHILDREN NHS FOUNDATION TRUST",
            "Great Ormond Street Hospital for Children NHS Foundation Trust",
        ),
        (
            "BIRMINGHAM WOMEN'S AND CHILDREN'S NHS FOUNDATION TRUST",
            "Birmingham Women's and Children's NHS Foundation Trust",
        ),
        ("STOKE-ON-TRENT WALK-IN CENTRE", "Stoke-on-Trent Walk-in Centre"),
        ("WESTON-SUPER-MARE URGENT CARE", "Weston-super-Mare Urgent Care"),
        ("BMI HEALTHCARE (UK) LTD", "BMI Healthcare (UK) Ltd"),
        ("BADGER LTD", "Badger Ltd"),
        ("HCA HEALTHCARE UK", "HCA Healthcare UK"),
        (
            "SOUTH WEST LONDON AND ST GEORGE'S MENTAL HEALTH NHS TRUST",
            "South West London and St George's Mental Health NHS Trust",
        ),
        ("ISLE OF WIGHT NHS TRUST", "Isle of Wight NHS Trust"),
        ("MCKENZIE HEALTHCARE CIC", "McKenzie Healthcare CIC"),
        ("  EAST   KENT HOSPITALS  ", "East Kent Hospitals"),
        ("BARKING HOSPITAL UTC", "Barking Hospital UTC"),
        ("DHU HEALTH CARE C.I.C", "DHU Health Care C.I.C"),
        ("EAST BERKS PRIMARY CARE OOH(WAM)", "East Berks Primary Care OOH(WAM)"),
    ],
)
def test_a_register_name_in_capitals_is_shown_in_nhs_casing(source, shown):
    assert nhs_name(source) == shown


def test_a_name_already_in_mixed_case_is_kept_as_written():
    assert nhs_name("Royal Surrey NHS Foundation Trust") == "Royal Surrey NHS Foundation Trust"
    assert nhs_name("the Christie (a trust)") == "the Christie (a trust)"
    assert nhs_name("") == ""


def test_a_placeholder_name_that_is_the_code_stays_the_code():
    assert nhs_name("QOP", "QOP") == "QOP"
    assert nhs_name("QE1") == "QE1"  # a word with digits is a code
    assert nhs_name("NHS QE1 ICB") == "NHS QE1 ICB"


@pytest.mark.parametrize(
    ("code", "kind", "in_register", "sector"),
    [
        ("RF4", "acute", False, "nhs_trust"),
        ("TAD", "mental_health", False, "nhs_trust"),
        ("R0A", "", False, "nhs_trust"),
        ("QOP", "", False, "icb"),
        ("X24", "icb", False, "icb"),
        ("G6V2S", "", True, "nhs_trust"),  # a new trust's five-character code, in the trust register
        ("G6V2S", "", False, "other"),
        ("NT4", "", False, "other"),  # independent sector
        ("8J094", "", False, "other"),
        ("RYJ01", "", False, "other"),  # a site code, not a trust
        ("AAH", "", False, "other"),
    ],
)
def test_the_sector_comes_from_the_registers_and_the_ods_code(code, kind, in_register, sector):
    assert sector_from_code(code, kind=kind, in_trust_register=in_register) == sector
