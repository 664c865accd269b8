"""A refused file leaves a failed ImportBatch in the history, with its errors, and lists at most 50 of them."""

import hashlib

import pytest

from indicators.models import ImportBatch, Observation
from ingest.importers import ImportRefused, import_file

pytestmark = pytest.mark.django_db


def test_it_keeps_the_refused_batch_with_each_error_as_row_column_value_message(catalogue, write_csv):
    text = "org_code,period,indicator,numerator,denominator\nRF4,2019-13,ed_4hr,1,2\n"
    path = write_csv(text, name="march.csv")

    with pytest.raises(ImportRefused) as refusal:
        import_file("observations", path)

    batch = ImportBatch.objects.get(pk=refusal.value.batch.pk)
    assert (batch.status, batch.file_name, batch.format) == ("failed", "march.csv", "observations")
    assert batch.sha256 == hashlib.sha256(text.encode()).hexdigest()
    assert batch.errors == [
        {
            "row": 2,
            "column": "period",
            "value": "2019-13",
            "message": "not a month (expected YYYY-MM or YYYY-MM-DD)",
        }
    ]
    assert (batch.rows_read, batch.rows_created, batch.rows_updated) == (1, 0, 0)
    assert batch.finished is not None
    assert str(refusal.value.errors[0]) == (
        'row 2, column "period", value "2019-13": not a month (expected YYYY-MM or YYYY-MM-DD)'
    )


def test_it_collects_every_error_but_lists_the_first_fifty(catalogue, write_csv):
    rows = "".join(f"RF4,2019-{month},ed_4hr,1,2\n" for month in range(13, 73))  # 60 impossible months

    with pytest.raises(ImportRefused) as refusal:
        import_file("observations", write_csv("org_code,period,indicator,numerator,denominator\n" + rows))

    assert refusal.value.total == 60
    assert len(refusal.value.errors) == 50
    assert refusal.value.lines()[-1] == "and 10 more"
    assert refusal.value.batch.errors[-1]["message"] == "and 10 more"
    assert len(refusal.value.batch.errors) == 51


def test_it_writes_none_of_a_file_whose_last_row_is_bad(catalogue, write_csv):
    rows = "".join(f"RF4,20{year}-01,ed_4hr,1,2\n" for year in range(10, 20)) + "RF4,2020-01,ed_4hr,3,2\n"

    with pytest.raises(ImportRefused):
        import_file("observations", write_csv("org_code,period,indicator,numerator,denominator\n" + rows))

    assert Observation.objects.count() == 0
