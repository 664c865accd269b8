"""Uploads imported by a task (issue 11): stored, queued, imported in-process without a broker, followed on
a status page; internal errors told plainly; dead batches abandoned; the recompute never dropped."""

from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from indicators.constants import BatchStatus, ImportFormat
from indicators.models import ImportBatch, Observation, RecomputeRequest
from ingest import formats
from tests.processes import needs_a_broker, recompute_lock_held

pytestmark = pytest.mark.django_db

HEADER = b"org_code,period,indicator,numerator,denominator\n"
GOOD = HEADER + b"RF4,2019-03,ed_4hr,2879,21289\nRF4,2019-04,ed_4hr,2500,20000\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def rf4(make_org, catalogue):
    return make_org("RF4")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def upload(client, content: bytes, name="obs.csv", fmt="observations"):
    return client.post("/imports/", {"file": SimpleUploadedFile(name, content, content_type="text/csv"), "format": fmt})


def test_an_upload_redirects_to_its_status_page_which_shows_the_counts(alice_client, alice, rf4, media):
    response = upload(alice_client, GOOD)
    batch = ImportBatch.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    assert batch.status == BatchStatus.SUCCEEDED and batch.uploaded_by == alice
    assert (batch.rows_read, batch.rows_created) == (2, 2) and Observation.objects.count() == 2
    assert batch.stored_file == "" and not any((media / "uploads").iterdir())  # the stored file is removed
    html = alice_client.get(response["Location"]).content.decode()
    assert "Imported obs.csv as Observations (long CSV): read 2, created 2, updated 0, skipped 0" in html
    assert batch.sha256 in html
    state = alice_client.get(f"/imports/{batch.pk}/status.json").json()
    assert state["done"] is True and state["status"] == "succeeded" and state["rows_read"] == 2
    assert state["summary"].startswith("read 2, created 2")


def test_a_running_batch_shows_its_progress_and_refreshes_itself(alice_client, alice):
    batch = ImportBatch.objects.create(
        file_name="big.csv", sha256="", format="observations", status=BatchStatus.RUNNING, rows_read=15000
    )
    html = alice_client.get(f"/imports/{batch.pk}/").content.decode()
    assert "15000" in html and 'http-equiv="refresh"' in html and "import-status.js" in html
    state = alice_client.get(f"/imports/{batch.pk}/status.json").json()
    assert state == {**state, "done": False, "status": "running", "rows_read": 15000}


def test_only_oversight_staff_see_a_batch(client, bob, carol):
    batch = ImportBatch.objects.create(file_name="x.csv", sha256="", format="observations")
    assert client.get(f"/imports/{batch.pk}/status.json").status_code == 302  # to the login page
    for user in (bob, carol):
        client.force_login(user)
        assert client.get(f"/imports/{batch.pk}/").status_code == 403
        assert client.get(f"/imports/{batch.pk}/status.json").status_code == 403


def test_a_refused_upload_shows_its_row_numbered_errors_on_the_status_page(alice_client, rf4):
    bad = HEADER + b"RF4,2019-03,ed_4hr,2879,21289\nRF4,2019-13,ed_4hr,1,2\nRF4,2019-05,nope,1,2\n"
    response = upload(alice_client, bad)
    html = alice_client.get(response["Location"]).content.decode()
    assert "The file was refused" in html
    assert "row 3" in html and "2019-13" in html and "row 4" in html and "nope" in html
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == BatchStatus.FAILED and not Observation.objects.exists()


def test_a_nul_byte_is_a_plain_message_and_the_batch_failed(alice_client, rf4):
    """On PostgreSQL the NUL would reach the database as an encoding error; it is refused before."""
    response = upload(alice_client, HEADER + b"RF4,2019-03,ed_4hr,2879,21289\nRF4,2019-04,ed_4hr,25\x0000,20000\n")
    assert response.status_code == 302
    page = alice_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "row 3" in html and "NUL byte" in html
    assert "invalid byte sequence" not in html and "UTF8" not in html
    assert ImportBatch.objects.latest("pk").status == BatchStatus.FAILED and not Observation.objects.exists()


def test_an_internal_error_is_logged_and_told_plainly_never_a_500(alice_client, rf4, monkeypatch, caplog):
    from django.db import DataError

    def database_says(text, context):
        raise DataError('invalid byte sequence for encoding "UTF8": 0x00 CONTEXT: COPY indicators_observation')

    registered = formats.FORMATS[ImportFormat.OBSERVATIONS]
    monkeypatch.setitem(formats.FORMATS, registered.name, replace(registered, importer=database_says))
    response = upload(alice_client, GOOD)
    assert response.status_code == 302
    html = alice_client.get(response["Location"]).content.decode()
    assert "internal error" in html and "logged" in html
    assert "invalid byte sequence" not in html and "indicators_observation" not in html
    assert "invalid byte sequence" in caplog.text
    assert ImportBatch.objects.latest("pk").status == BatchStatus.FAILED


def test_a_broker_that_does_not_answer_fails_the_batch_plainly(alice_client, rf4, monkeypatch):
    from kombu.exceptions import OperationalError

    from ingest.tasks import import_upload

    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(import_upload, "delay", refuse)
    response = upload(alice_client, GOOD)
    html = alice_client.get(response["Location"]).content.decode()
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == BatchStatus.FAILED and "could not be queued" in html and "6379" not in html


def test_dead_batches_are_marked_abandoned_when_the_import_page_looks(alice_client, settings):
    now = timezone.now()
    limit = settings.CELERY_TASK_TIME_LIMIT + 60

    def batch(name, status, started, heartbeat=None):
        made = ImportBatch.objects.create(file_name=name, sha256="", format="observations", status=status)
        ImportBatch.objects.filter(pk=made.pk).update(started=started, heartbeat=heartbeat)
        return made

    too_long = batch("too-long.csv", BatchStatus.RUNNING, now - timedelta(seconds=limit + 5))
    silent = batch("silent.csv", BatchStatus.RUNNING, now - timedelta(minutes=20), now - timedelta(minutes=16))
    lost = batch("lost.csv", BatchStatus.QUEUED, now - timedelta(seconds=3 * limit + 5))
    busy = batch("busy.csv", BatchStatus.RUNNING, now - timedelta(minutes=20), now - timedelta(seconds=10))
    waiting = batch("waiting.csv", BatchStatus.QUEUED, now - timedelta(minutes=20))
    html = alice_client.get(f"/imports/{silent.pk}/").content.decode()
    statuses = dict(ImportBatch.objects.values_list("file_name", "status"))
    assert statuses == {
        "too-long.csv": "abandoned",
        "silent.csv": "abandoned",
        "lost.csv": "abandoned",
        "busy.csv": "running",
        "waiting.csv": "queued",
    }
    assert "The import was abandoned" in html and "process ended before it finished" in html
    assert all(ImportBatch.objects.get(pk=b.pk).finished for b in (too_long, lost))
    assert busy and waiting


def test_the_task_run_twice_imports_the_file_once(alice_client, rf4):
    from ingest.tasks import import_upload

    upload(alice_client, GOOD)
    batch = ImportBatch.objects.latest("pk")
    again = import_upload.apply(args=[batch.pk]).get()
    assert again == {"status": "succeeded", "batch_id": batch.pk, "claimed": False}
    assert Observation.objects.count() == 2


def test_the_upload_queues_the_follow_up_recompute(alice_client, rf4, django_capture_on_commit_callbacks):
    from indicators import tasks

    queued = []
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(alice_client, GOOD)
    assert len(callbacks) == 1
    original = tasks.recompute_all.delay
    tasks.recompute_all.delay = lambda **kwargs: queued.append(kwargs)
    try:
        callbacks[0]()
    finally:
        tasks.recompute_all.delay = original
    batch = ImportBatch.objects.latest("pk")
    assert queued == [{"triggered_by": f"upload {batch.pk} by alice", "incremental": True}]


def test_an_upload_during_a_recompute_is_recorded_as_its_follow_up(
    alice_client, rf4, django_capture_on_commit_callbacks
):
    """The import's recompute finds the lock held: it becomes a RecomputeRequest the running run picks up."""
    with recompute_lock_held(), django_capture_on_commit_callbacks(execute=True):
        upload(alice_client, GOOD)
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == BatchStatus.SUCCEEDED
    assert RecomputeRequest.objects.filter(triggered_by=f"upload {batch.pk} by alice").exists()


def test_a_broker_down_after_the_import_leaves_the_recompute_requested(
    rf4, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from indicators import tasks

    def refuse(**kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.recompute_all, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.recompute_after_import(triggered_by="upload 7 by alice")
    assert RecomputeRequest.objects.filter(triggered_by="upload 7 by alice").exists()


def test_progress_is_seen_by_other_processes_while_the_import_transaction_is_open(transactional_db):
    """PostgreSQL: through a second connection, at once. SQLite (one writer): once outside the transaction."""
    from django.db import transaction

    from ingest.importers.base import BatchHeartbeat

    batch = ImportBatch.objects.create(file_name="big.csv", sha256="", format="observations")
    beat = BatchHeartbeat(batch.pk)
    try:
        with transaction.atomic():
            ImportBatch.objects.create(file_name="other.csv", sha256="", format="observations")  # the import writes
            beat(5000)
            if connection.vendor == "postgresql":
                seen = ImportBatch.objects.values_list("rows_read", "heartbeat").get(pk=batch.pk)
                assert seen[0] == 5000 and seen[1] is not None
        beat(7000)
    finally:
        beat.close()
    assert ImportBatch.objects.get(pk=batch.pk).rows_read == 7000


@needs_a_broker
def test_a_real_celery_worker_imports_an_upload(child_env, catalogue, make_org, alice, client, celery_worker, media):
    from ingest.tasks import import_upload
    from ingest.uploads import upload_store

    make_org("RF4")
    batch = upload_store(upload=SimpleUploadedFile("obs.csv", GOOD), fmt="observations", user=alice)
    with celery_worker({**child_env, "MEDIA_ROOT": str(media)}, "upload-test"):
        outcome = import_upload.delay(batch.pk).get(timeout=120)
    assert outcome["status"] == "succeeded"
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUCCEEDED and batch.rows_created == 2
    client.force_login(alice)
    assert "read 2, created 2" in client.get(f"/imports/{batch.pk}/").content.decode()
