"""A broken copy of a good file is refused whole: every error names its row and column, nothing is written."""

import pytest

from ingest.importers import ImportRefused, import_file

pytestmark = pytest.mark.django_db

MONTHLY_HEADER = (
    "Period,Org Code,Parent Org,Org name,A&E attendances Type 1,A&E attendances Type 2,"
    "A&E attendances Other A&E Department,Attendances over 4hrs Type 1,Attendances over 4hrs Type 2"
)

GOOD = {
    "observations": (
        "org_code,period,indicator,numerator,denominator\n"
        "RF4,2019-03,ed_4hr,2879,21289\n"
        "RF4,2019-04,ed_4hr,2500,20000\n"
        "RGT,2019-03,ed_4hr,1200,9000\n"
    ),
    "ae_attendances": (
        "period,org_code,type,attendances,breaches,admissions\n"
        "2017-03-01,RF4,1,21289.0,2879.0,5060.0\n"
        "2017-03-01,RF4,2,813.0,22.0,0.0\n"
        "2017-04-01,RF4,1,20000.0,2500.0,5000.0\n"
    ),
    "ae_monthly": (
        f"{MONTHLY_HEADER}\n"
        "MSitAE-MAY-2025,RJ1,NHS ENGLAND LONDON,GUY'S AND ST THOMAS' NHS FOUNDATION TRUST,10382,739,6688,4003,0\n"
        "MSitAE-MAY-2025,RAE,NHS ENGLAND NORTH EAST AND YORKSHIRE ,BRADFORD TEACHING HOSPITALS,9000,0,0,2500,0\n"
        "MSitAE-MAY-2025,RJL,NHS ENGLAND NORTH EAST AND YORKSHIRE ,NORTHERN LINCOLNSHIRE AND GOOLE,9141,0,6548,4715,0\n"
        "TOTAL,TOTAL,TOTAL,TOTAL,28523,739,13236,11218,0\n"
    ),
    "organisations": (
        "org_code,name,kind,region,icb_code,foundation_trust,opened,closed,successor_code\n"
        "RF4,BARKING HAVERING AND REDBRIDGE UNIVERSITY HOSPITALS NHS TRUST,acute,Y56,QMF,no,2001-04-01,,\n"
        "RGT,CAMBRIDGE UNIVERSITY HOSPITALS NHS FOUNDATION TRUST,acute,Y61,QUE,yes,1993-04-01,,\n"
        "RQ8,MID ESSEX HOSPITAL SERVICES NHS TRUST,acute,Y61,Q79,no,1993-04-01,2020-03-31,RAJ\n"
        "RAJ,MID AND SOUTH ESSEX NHS FOUNDATION TRUST,acute,Y61,QH8,yes,1991-04-01,,\n"
    ),
    "ods_etr": (
        '"RF4","BARKING, HAVERING AND REDBRIDGE UNIVERSITY HOSPITALS NHS TRUST","Y56","QMF","QUEEN\'S HOSPITAL",'
        '"ROM VALLEY WAY","","ROMFORD","","RM7 0AG","20010401","","","","","","","","","","","0","","H","","",""\n'
        '"RGT","CAMBRIDGE UNIVERSITY HOSPITALS NHS FOUNDATION TRUST","Y61","QUE","CAMBRIDGE BIOMEDICAL CAMPUS",'
        '"HILLS ROAD","","CAMBRIDGE","","CB2 0QQ","19930401","","","","","","","","","","","0","","F","","",""\n'
        '"RAP","NORTH MIDDLESEX UNIVERSITY HOSPITAL NHS TRUST","Y56","QMJ","NORTH MIDDLESEX HOSPITAL","STERLING WAY",'
        '"","LONDON","","N18 1QX","19910401","20241231","","","","","","","","","","0","","H","","",""\n'
    ),
    "indicators": (
        "code,name,kind,cadence,polarity,unit,description,pre_window_months\n"
        "ae_12hr,A&E patients over 12 hours,proportion,monthly,lower_is_better,proportion,Long waits,18\n"
        "mortality_ratio,Mortality ratio,ratio,quarterly,lower_is_better,ratio,O/E,18\n"
        "engagement,Staff engagement,score,annual,higher_is_better,score,Theme,18\n"
    ),
    "episodes": (
        "org_code,regime,entered,exited,route,reason\n"
        "RF4,SMQ,2014-01-01,2016-01-01,direct,CQC recommendation\n"
        "RF4,SMQ,2017-01-01,,re_entry,\n"
        "RGT,CP,2016-01-01,2017-06-30,,\n"
    ),
}


def _replace(fmt, old, new):
    assert old in GOOD[fmt], (fmt, old)
    return GOOD[fmt].replace(old, new, 1)


def _drop_column(fmt, position):
    lines = GOOD[fmt].splitlines()
    return "\n".join(
        ",".join(cells[:position] + cells[position + 1 :]) for cells in (line.split(",") for line in lines)
    )


def _truncated(fmt, keep_chars):
    return GOOD[fmt].rstrip("\n")[:-keep_chars]


def _duplicated(fmt, line):
    lines = GOOD[fmt].rstrip("\n").split("\n")
    return "\n".join([*lines, lines[line - 1]]) + "\n"


# (case id, format, file text, expected row, expected column, part of the message)
CASES = [
    # Observations (long CSV)
    ("obs-month-13", "observations", _replace("observations", "2019-04", "2019-13"), 3, "period", "not a month"),
    ("obs-no-such-day", "observations", _replace("observations", "2019-04", "2019-02-30"), 3, "period", "no day 30"),
    (
        "obs-unknown-code",
        "observations",
        _replace("observations", "2019-04,ed_4hr", "2019-04,ed_5hr"),
        3,
        "indicator",
        "known codes: cancer_62d",
    ),
    (
        "obs-num-over-den",
        "observations",
        _replace("observations", "2500,20000", "25000,20000"),
        3,
        "numerator",
        "greater than the denominator",
    ),
    (
        "obs-negative",
        "observations",
        _replace("observations", "1200,9000", "-1200,9000"),
        4,
        "numerator",
        "cannot be negative",
    ),
    ("obs-missing-column", "observations", _drop_column("observations", 1), 1, "period", "missing column"),
    ("obs-missing-denominator", "observations", _drop_column("observations", 4), 1, "denominator", "missing column"),
    ("obs-truncated", "observations", _truncated("observations", 10), 4, "numerator", "cut short"),
    ("obs-cut-in-quotes", "observations", GOOD["observations"] + 'RGT,2019-04,ed_4hr,"12', 5, None, "cut short"),
    ("obs-duplicate", "observations", _duplicated("observations", 2), 5, "org_code", "duplicates row 2"),
    ("obs-bad-ods", "observations", _replace("observations", "RGT", "R-F4"), 4, "org_code", "not an ODS code"),
    ("obs-long-ods", "observations", _replace("observations", "RGT", "TOOLONGCODE"), 4, "org_code", "not an ODS code"),
    # NHS-R A&E attendances
    (
        "att-bad-date",
        "ae_attendances",
        _replace("ae_attendances", "2017-04-01", "2017-13-01"),
        4,
        "period",
        "not a month",
    ),
    (
        "att-breaches-over",
        "ae_attendances",
        _replace("ae_attendances", "20000.0,2500.0", "2000.0,2500.0"),
        4,
        "breaches",
        "more breaches than attendances",
    ),
    (
        "att-negative",
        "ae_attendances",
        _replace("ae_attendances", "813.0", "-813.0"),
        3,
        "attendances",
        "cannot be negative",
    ),
    (
        "att-unknown-type",
        "ae_attendances",
        _replace("ae_attendances", "RF4,2,", "RF4,3,"),
        3,
        "type",
        "not an A&E type",
    ),
    ("att-missing-column", "ae_attendances", _drop_column("ae_attendances", 4), 1, "breaches", "missing column"),
    ("att-truncated", "ae_attendances", _truncated("ae_attendances", 20), 4, "breaches", "cut short"),
    ("att-duplicate", "ae_attendances", _duplicated("ae_attendances", 2), 5, "org_code", "duplicates row 2"),
    (
        "att-bad-ods",
        "ae_attendances",
        _replace("ae_attendances", "2017-04-01,RF4", "2017-04-01,R-F4"),
        4,
        "org_code",
        "not an ODS code",
    ),
    # NHS England monthly A&E
    (
        "monthly-bad-period",
        "ae_monthly",
        _replace("ae_monthly", "MSitAE-MAY-2025,RAE", "MSitAE-MAYY-2025,RAE"),
        3,
        "Period",
        "not an A&E month",
    ),
    (
        "monthly-over-4h",
        "ae_monthly",
        _replace("ae_monthly", "9000,0,0,2500", "9000,0,0,9500"),
        3,
        "Attendances over 4hrs Type 1",
        "more type 1 attendances over 4 hours",
    ),
    (
        "monthly-negative",
        "ae_monthly",
        _replace("ae_monthly", "9000,0,0,2500", "-9000,0,0,2500"),
        3,
        "A&E attendances Type 1",
        "cannot be negative",
    ),
    (
        "monthly-region",
        "ae_monthly",
        _replace("ae_monthly", "NHS ENGLAND LONDON", "NHS ENGLAND LUNDON"),
        2,
        "Parent Org",
        "not an NHS England region",
    ),
    (
        "monthly-missing-column",
        "ae_monthly",
        _drop_column("ae_monthly", 7),
        1,
        "Attendances over 4hrs Type 1",
        "missing column",
    ),
    (
        "monthly-truncated",
        "ae_monthly",
        GOOD["ae_monthly"][: GOOD["ae_monthly"].index("TOTAL") - 12],
        4,
        "Attendances over 4hrs Type 1",
        "cut short",
    ),
    ("monthly-duplicate", "ae_monthly", _duplicated("ae_monthly", 2), 6, "Org Code", "duplicates row 2"),
    (
        "monthly-bad-ods",
        "ae_monthly",
        _replace("ae_monthly", ",RAE,", ",TOOLONGCODE,"),
        3,
        "Org Code",
        "not an ODS code",
    ),
    # Organisation registers
    (
        "orgs-bad-date",
        "organisations",
        _replace("organisations", "1993-04-01,,", "1993-02-30,,"),
        3,
        "opened",
        "no day 30",
    ),
    (
        "orgs-unknown-kind",
        "organisations",
        _replace("organisations", "TRUST,acute,Y61,QUE", "TRUST,hospital,Y61,QUE"),
        3,
        "kind",
        "not one of: acute",
    ),
    ("orgs-missing-column", "organisations", _drop_column("organisations", 2), 1, "kind", "missing column"),
    ("orgs-truncated", "organisations", _truncated("organisations", 30), 5, "region", "cut short"),
    ("orgs-duplicate", "organisations", _duplicated("organisations", 2), 6, "org_code", "duplicates row 2"),
    ("orgs-bad-ods", "organisations", _replace("organisations", "RGT,", "R-GT,"), 3, "org_code", "not an ODS code"),
    (
        "orgs-closed-before-opened",
        "organisations",
        _replace("organisations", "2020-03-31", "1990-03-31"),
        4,
        "closed",
        "before the open date",
    ),
    (
        "orgs-unknown-successor",
        "organisations",
        _replace("organisations", "2020-03-31,RAJ", "2020-03-31,RZZ"),
        4,
        "successor_code",
        "no organisation has this code",
    ),
    (
        "etr-bad-date",
        "ods_etr",
        _replace("ods_etr", '"20241231"', '"20241331"'),
        3,
        "close date (column 12)",
        "not a date",
    ),
    ("etr-truncated", "ods_etr", _truncated("ods_etr", 170), 3, None, "ends inside a quoted cell"),
    ("etr-bad-ods", "ods_etr", _replace("ods_etr", '"RGT"', '"R.GT"'), 2, "code (column 1)", "not an ODS code"),
    # Indicator catalogue
    (
        "ind-unknown-kind",
        "indicators",
        _replace("indicators", "ratio,quarterly", "rate,quarterly"),
        3,
        "kind",
        "not one of: proportion",
    ),
    ("ind-missing-column", "indicators", _drop_column("indicators", 3), 1, "cadence", "missing column"),
    ("ind-truncated", "indicators", _truncated("indicators", 30), 4, "unit", "cut short"),
    ("ind-duplicate", "indicators", _duplicated("indicators", 3), 5, "code", "duplicates row 3"),
    (
        "ind-negative-window",
        "indicators",
        _replace("indicators", "O/E,18", "O/E,-18"),
        3,
        "pre_window_months",
        "not a whole number of months",
    ),
    # Regime episodes
    ("ep-bad-date", "episodes", _replace("episodes", "2017-01-01", "2017-02-29"), 3, "entered", "no day 29"),
    ("ep-unknown-regime", "episodes", _replace("episodes", "RGT,CP", "RGT,XYZ"), 4, "regime", "known regimes: CP"),
    ("ep-missing-column", "episodes", _drop_column("episodes", 2), 1, "entered", "missing column"),
    ("ep-truncated", "episodes", _truncated("episodes", 13), 4, "exited", "cut short"),
    ("ep-duplicate", "episodes", _duplicated("episodes", 2), 5, "org_code", "duplicates row 2"),
    ("ep-bad-ods", "episodes", _replace("episodes", "RGT,CP", "RGTXXXX,CP"), 4, "org_code", "not an ODS code"),
    (
        "ep-unknown-org",
        "episodes",
        _replace("episodes", "RGT,CP", "RZZ,CP"),
        4,
        "org_code",
        "import the organisation register first",
    ),
    (
        "ep-exit-before-entry",
        "episodes",
        _replace("episodes", "2017-06-30", "2015-06-30"),
        4,
        "exited",
        "cannot be before the entry date",
    ),
    (
        "ep-outside-validity",
        "episodes",
        _replace("episodes", "2017-01-01,,re_entry", "2022-01-01,,re_entry"),
        3,
        "entered",
        "accepted entries from 2013-07-01 to 2021-06-30",
    ),
    (
        "ep-overlap-in-file",
        "episodes",
        _replace("episodes", "2017-01-01,,re_entry", "2015-06-01,,re_entry"),
        3,
        "entered",
        "overlaps the SMQ episode 2014-01-01–2016-01-01 (row 2)",
    ),
]


@pytest.fixture
def prerequisites(catalogue, make_org):
    """What the good files refer to: the catalogue and two trusts."""
    make_org("RF4", "Barking")
    make_org("RGT", "Cambridge")


@pytest.mark.parametrize(
    ("fmt", "text", "row", "column", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_it_refuses_a_broken_copy_naming_row_and_column(
    prerequisites, write_csv, row_counts, fmt, text, row, column, message
):
    before = row_counts()
    with pytest.raises(ImportRefused) as refusal:
        import_file(fmt, write_csv(text))
    where = f'row {row}, column "{column}"' if column else f"row {row}"
    assert any(str(error).startswith(where) and message in str(error) for error in refusal.value.errors), [
        str(error) for error in refusal.value.errors
    ]
    assert row_counts() == before
    assert refusal.value.batch.status == "failed"


@pytest.mark.parametrize("fmt", sorted(GOOD))
def test_it_imports_the_good_copy_the_broken_ones_come_from(prerequisites, write_csv, fmt):
    summary = import_file(fmt, write_csv(GOOD[fmt]))
    assert summary.created > 0
    assert summary.batch.status == "succeeded"
