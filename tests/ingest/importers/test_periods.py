"""Periods are the first day of the month, or of the quarter for quarterly indicators."""

from datetime import date

import pytest

from indicators.models import Observation
from ingest.importers import ImportRefused, import_file

pytestmark = pytest.mark.django_db


def test_it_stores_a_day_in_the_month_as_the_first_of_the_month(catalogue, write_csv):
    import_file(
        "observations", write_csv("org_code,period,indicator,numerator,denominator\nRF4,2019-03-15,ed_4hr,1,2\n")
    )

    assert Observation.objects.get().period == date(2019, 3, 1)


def test_it_stores_ratios_with_their_limits_on_quarter_starts(catalogue, write_csv):
    text = "org_code,period,indicator,value,lower,upper\nRF4,2019-04,shmi,1.08,0.89,1.12\n"

    import_file("observations", write_csv(text))

    shmi = Observation.objects.get()
    assert (shmi.period, shmi.value, shmi.lower, shmi.upper, shmi.numerator) == (
        date(2019, 4, 1),
        1.08,
        0.89,
        1.12,
        None,
    )


def test_it_refuses_a_quarterly_period_that_does_not_start_a_quarter(catalogue, write_csv):
    with pytest.raises(ImportRefused) as refusal:
        import_file("observations", write_csv("org_code,period,indicator,value\nRF4,2019-05,shmi,1.08\n"))

    assert str(refusal.value.errors[0]).startswith('row 2, column "period", value "2019-05": shmi is quarterly')


def test_it_refuses_a_proportion_given_only_as_a_value(catalogue, write_csv):
    with pytest.raises(ImportRefused) as refusal:
        import_file("observations", write_csv("org_code,period,indicator,value\nRF4,2019-03,ed_4hr,0.1\n"))

    assert "ed_4hr is a proportion: the file needs the column(s) numerator, denominator" in str(refusal.value)


def test_it_refuses_a_zero_denominator(catalogue, write_csv):
    with pytest.raises(ImportRefused, match="the denominator is 0"):
        import_file(
            "observations", write_csv("org_code,period,indicator,numerator,denominator\nRF4,2019-03,ed_4hr,0,0\n")
        )
