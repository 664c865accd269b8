"""Imports that cannot finish (issue 11): a NUL byte is refused by row, an internal error is logged and told
plainly, and a batch whose process died is marked abandoned."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from indicators.constants import BatchStatus, ImportFormat
from indicators.models import ImportBatch, Observation
from ingest import formats
from ingest.importers import ImportRefused, import_file

pytestmark = pytest.mark.django_db

HEADER = "org_code,period,indicator,numerator,denominator\n"


def test_a_nul_byte_is_refused_naming_its_row_and_nothing_is_loaded(catalogue, make_org, write_csv):
    make_org("RF4")
    path = write_csv(HEADER + "RF4,2019-03,ed_4hr,2879,21289\nRF4,2019-04,ed_4hr,25\x0000,20000\n")
    with pytest.raises(ImportRefused) as refused:
        import_file("observations", path)
    (error,) = refused.value.errors
    assert error.row == 3 and error.value == "NUL" and "NUL byte" in error.message
    assert not Observation.objects.exists()
    assert ImportBatch.objects.latest("pk").status == BatchStatus.FAILED


def test_an_internal_error_is_logged_and_the_batch_says_so_plainly(catalogue, make_org, write_csv, monkeypatch, caplog):
    from django.db import DataError

    make_org("RF4")

    def database_says(text, context):
        raise DataError('invalid byte sequence for encoding "UTF8": 0x00 CONTEXT: COPY indicators_observation')

    registered = formats.FORMATS[ImportFormat.OBSERVATIONS]
    monkeypatch.setitem(formats.FORMATS, registered.name, replace(registered, importer=database_says))
    with pytest.raises(DataError):
        import_file("observations", write_csv(HEADER + "RF4,2019-03,ed_4hr,2879,21289\n"))
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == BatchStatus.FAILED
    assert "internal error" in batch.errors[0]["message"] and "UTF8" not in str(batch.errors)
    assert "invalid byte sequence" in caplog.text  # the administrators' log has the database's text


def test_a_batch_whose_process_died_is_marked_abandoned_by_the_next_import(catalogue, make_org, write_csv, settings):
    make_org("RF4")
    dead = ImportBatch.objects.create(file_name="big.csv", sha256="0" * 64, format="observations")
    alive = ImportBatch.objects.create(file_name="now.csv", sha256="1" * 64, format="observations")
    limit = settings.CELERY_TASK_TIME_LIMIT + 60
    ImportBatch.objects.filter(pk=dead.pk).update(started=timezone.now() - timedelta(seconds=limit + 5))
    import_file("observations", write_csv(HEADER + "RF4,2019-03,ed_4hr,2879,21289\n"))
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == BatchStatus.ABANDONED and dead.finished is not None
    assert alive.status == BatchStatus.RUNNING  # it may still be going
