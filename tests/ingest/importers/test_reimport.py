"""Importing is an upsert: the same file again changes nothing; a changed value is one update."""

import pytest

from indicators.models import Observation
from ingest.importers import import_file

pytestmark = pytest.mark.django_db

HEADER = "org_code,period,indicator,numerator,denominator\n"
MARCH = "RF4,2019-03,ed_4hr,2879,21289\n"
APRIL = "RF4,2019-04,ed_4hr,2500,20000\n"


def test_it_reports_nothing_created_or_updated_the_second_time(catalogue, make_org, write_csv):
    make_org("RF4")
    path = write_csv(HEADER + MARCH + APRIL)
    import_file("observations", path)

    again = import_file("observations", path)

    assert (again.read, again.created, again.updated, again.skipped) == (2, 0, 0, 0)
    assert str(again) == "read 2, created 0, updated 0, skipped 0"
    assert (again.batch.rows_created, again.batch.rows_updated) == (0, 0)


def test_it_counts_a_changed_value_as_one_update_and_stamps_the_new_batch(catalogue, write_csv):
    first = import_file("observations", write_csv(HEADER + MARCH + APRIL))

    revised = import_file("observations", write_csv(HEADER + MARCH + APRIL.replace("2500", "2600")))

    assert (revised.created, revised.updated) == (0, 1)
    april = Observation.objects.get(period__month=4)
    assert (april.numerator, april.value, april.batch) == (2600, 2600 / 20000, revised.batch)
    assert Observation.objects.get(period__month=3).batch == first.batch
