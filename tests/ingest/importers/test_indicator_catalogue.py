"""The catalogue imports from data/indicators.csv, updates what changed, and protects stored observations."""

import pytest

from indicators.models import Indicator, Observation
from ingest.importers import ImportRefused, import_file
from tests.ingest.importers.importer_data import INDICATORS_CSV

pytestmark = pytest.mark.django_db

HEADER = "code,name,kind,cadence,polarity\n"


def test_it_imports_the_bundled_catalogue_once():
    first = import_file("indicators", INDICATORS_CSV)
    again = import_file("indicators", INDICATORS_CSV)

    assert (first.read, first.created) == (31, 31)
    assert (again.created, again.updated) == (0, 0)
    shmi = Indicator.objects.get(code="shmi")
    assert (shmi.kind, shmi.cadence, shmi.polarity, shmi.pre_window_months) == (
        "ratio",
        "quarterly",
        "lower_is_better",
        18,
    )
    assert Indicator.objects.get(code="cancer_62d").pre_window_months == 24


def test_it_updates_a_renamed_indicator_and_keeps_what_a_blank_cell_leaves_out(catalogue, write_csv):
    text = "code,name,kind,cadence,polarity,unit\ned_4hr,ED four hours,proportion,monthly,lower_is_better,\n"

    summary = import_file("indicators", write_csv(text))

    assert (summary.created, summary.updated) == (0, 1)
    indicator = Indicator.objects.get(code="ed_4hr")
    assert (indicator.name, indicator.unit) == ("ED four hours", "proportion")


def test_each_row_stores_its_own_change_when_rows_change_different_fields(catalogue, write_csv):
    text = (
        "code,name,kind,cadence,polarity,unit,target\n"
        "ed_4hr,ED four hours,proportion,monthly,lower_is_better,,\n"
        "rtt_18wk,RTT incomplete pathways over 18 weeks,proportion,monthly,lower_is_better,share,0.1\n"
    )

    summary = import_file("indicators", write_csv(text))

    assert (summary.created, summary.updated) == (0, 2)
    ed, rtt = Indicator.objects.get(code="ed_4hr"), Indicator.objects.get(code="rtt_18wk")
    assert (ed.name, ed.unit, ed.target) == ("ED four hours", "proportion", 0.05)
    assert (rtt.name, rtt.unit, rtt.target) == ("RTT incomplete pathways over 18 weeks", "share", 0.1)


def test_it_refuses_to_change_the_kind_of_an_indicator_with_observations(catalogue, make_org, write_csv):
    Observation.objects.create(
        organisation=make_org(), indicator=Indicator.objects.get(code="ed_4hr"), period="2019-03-01", value=0.1
    )

    with pytest.raises(ImportRefused) as refusal:
        import_file("indicators", write_csv(HEADER + "ed_4hr,ED,ratio,monthly,lower_is_better\n"))

    assert 'row 2, column "kind", value "ratio": ed_4hr is proportion and has 1 observations stored' in str(
        refusal.value
    )
