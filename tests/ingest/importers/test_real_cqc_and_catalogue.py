"""Dated CQC ratings → QualityRating; the catalogue's analysis cadence, target and applicability."""

from datetime import date

import pytest

from indicators.models import Indicator
from ingest.importers import ImportRefused, detect_format, import_file
from tests.ingest.importers.importer_data import INDICATORS_CSV, REAL
from trusts.models import QualityRating

pytestmark = pytest.mark.django_db

DATED = REAL / "cqc" / "ratings_2013_2019_by_core_service.csv"
LATEST = REAL / "cqc" / "acute_ratings_latest_publication.csv"


def test_the_dated_ratings_load_trust_level_rows_and_list_cqc_location_ids(registers):
    summary = import_file("cqc_ratings", DATED)

    assert summary.read == 8155
    assert summary.created == QualityRating.objects.count() > 1000
    assert set(QualityRating.objects.values_list("question", flat=True)) == {
        "overall",
        "safe",
        "effective",
        "caring",
        "responsive",
        "well_led",
    }
    assert "1-102643363" in summary.not_trusts  # keyed by a CQC location id
    assert not QualityRating.objects.filter(synthetic=True).exists()
    assert summary.read == summary.created + summary.skipped
    again = import_file("cqc_ratings", DATED)
    assert (again.created, again.updated) == (0, 0)


def test_the_latest_publication_gives_overall_and_well_led_on_the_report_date(registers):
    summary = import_file("cqc_ratings", LATEST)

    assert (summary.read, summary.created) == (133, 266)
    # RL4,Good,Good,True,31/05/2017
    assert set(
        QualityRating.objects.filter(organisation__ods_code="RL4").values_list("question", "rating", "rated_on")
    ) == {("overall", "good", date(2017, 5, 31)), ("well_led", "good", date(2017, 5, 31))}
    assert detect_format(LATEST) == detect_format(DATED) == "cqc_ratings"


LATEST_GOOD = (
    "trust_code,cqc_overall,cqc_well_led,cqc_any_below_good,cqc_latest_pub\n"
    "RF4,Requires improvement,Good,True,31/05/2017\n"
    "RGT,Outstanding,Outstanding,False,27/02/2026\n"
)
DATED_GOOD = (
    "\ufeffORG_CODE,DATE,POPULATION,QUESTION,RATING_SCORE\n"
    "RF4,10/02/2015,Overall,Overall,1\n"
    "RF4,10/02/2015,Overall,Well-led,0\n"
    "RF4,10/02/2015,Urgent and emergency services,Safe,1\n"
)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            LATEST_GOOD.replace("31/05/2017", "31/13/2017"),
            'row 2, column "cqc_latest_pub", value "31/13/2017": not a date',
        ),
        (LATEST_GOOD.replace("RGT,Outstanding", "RGT,Superb"), 'row 3, column "cqc_overall", value "Superb"'),
        (LATEST_GOOD.replace("RF4,", "RF 4,"), 'row 2, column "trust_code", value "RF 4": not an ODS code'),
        (LATEST_GOOD.replace("cqc_well_led", "well_led"), 'row 1, column "cqc_well_led", value "": missing column'),
        (LATEST_GOOD[:-20], "cut short"),
        (DATED_GOOD.replace("Overall,Well-led,0", "Overall,Well-led,-1"), 'row 3, column "RATING_SCORE", value "-1"'),
        (DATED_GOOD.replace("Overall,Well-led", "Overall,Kindness"), 'row 3, column "QUESTION", value "Kindness"'),
        (DATED_GOOD.replace("10/02/2015,Overall,Overall", "2015-02-30,Overall,Overall"), 'row 2, column "DATE"'),
    ],
)
def test_a_broken_copy_is_refused_and_nothing_is_written(registers, write_csv, text, expected):
    with pytest.raises(ImportRefused) as refusal:
        import_file("cqc_ratings", write_csv(text))
    errors = [str(error) for error in refusal.value.errors]
    assert any(expected in error for error in errors), errors
    assert not QualityRating.objects.exists()


def test_a_small_dated_copy_keeps_the_trust_level_rows_only(registers, write_csv):
    summary = import_file("cqc_ratings", write_csv(DATED_GOOD))
    assert (summary.read, summary.created, summary.skipped) == (3, 2, 1)
    assert set(QualityRating.objects.values_list("question", "rating")) == {
        ("overall", "requires_improvement"),
        ("well_led", "inadequate"),
    }


def test_the_clear_improver_uses_a_later_real_overall_rating(registers, regimes, write_csv):
    from indicators.recompute import results_recompute, stored_document
    from trusts.models import Organisation, RegimeEpisode

    rf4 = Organisation.objects.get(ods_code="RF4")
    RegimeEpisode.objects.create(
        organisation=rf4, regime=regimes["SMQ"], entered=date(2014, 1, 1), exited=date(2016, 1, 1)
    )
    import_file(
        "cqc_ratings", write_csv("trust_code,cqc_overall,cqc_well_led,cqc_latest_pub\nRF4,Good,Inadequate,01/06/2017\n")
    )
    results_recompute()
    categories = stored_document("performance_categories")["organisations"][str(rf4.pk)]
    assert "clear_improver" in categories


def test_the_bundled_catalogue_sets_analysis_cadence_target_and_applicability(db):
    import_file("indicators", INDICATORS_CSV)
    ed = Indicator.objects.get(code="ed_4hr")
    assert (ed.analysis_cadence, ed.target, ed.applies_to) == ("quarterly", 0.05, ["acute", "acute_community"])
    assert ed.applies_to_kind("acute") and not ed.applies_to_kind("ambulance")
    dtoc = Indicator.objects.get(code="sickness_absence")
    assert (dtoc.analysis_cadence, dtoc.target, dtoc.applies_to) == ("monthly", None, [])
    assert dtoc.applies_to_kind("ambulance")


def test_the_optional_catalogue_columns_default_and_are_checked(db, write_csv):
    header = "code,name,kind,cadence,polarity\n"
    import_file("indicators", write_csv(header + "x1,X one,proportion,quarterly,lower_is_better\n"))
    assert Indicator.objects.get(code="x1").analysis_cadence == "quarterly"  # the cadence by default

    header = "code,name,kind,cadence,polarity,analysis_cadence,target,applies_to\n"
    for row, expected in (
        ("x2,X,proportion,quarterly,lower_is_better,monthly,,", 'column "analysis_cadence", value "monthly": cannot'),
        ("x2,X,proportion,monthly,lower_is_better,,five,", 'column "target", value "five": not a number'),
        (
            "x2,X,proportion,monthly,lower_is_better,,,acute;hospice",
            'column "applies_to", value "acute;hospice": not one of',
        ),
    ):
        with pytest.raises(ImportRefused) as refusal:
            import_file("indicators", write_csv(header + row + "\n"))
        assert any(expected in str(error) for error in refusal.value.errors), refusal.value.errors
    import_file(
        "indicators", write_csv(header + "x2,X,proportion,monthly,lower_is_better,quarterly,0.1,Ambulance;acute\n")
    )
    x2 = Indicator.objects.get(code="x2")
    assert (x2.analysis_cadence, x2.target, x2.applies_to) == ("quarterly", 0.1, ["acute", "ambulance"])
