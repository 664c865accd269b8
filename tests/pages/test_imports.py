"""The upload page: oversight staff only; a refused file shows every row-numbered error and writes nothing.

An upload is stored and imported by a task (in-process in tests), and the page redirects to the
batch's status page, which shows the outcome (issue 11).
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from indicators.constants import BatchStatus
from indicators.models import ImportBatch, Observation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


GOOD = b"org_code,period,indicator,numerator,denominator\nT00,2018-01,ed_4hr,120,1000\nT01,2018-01,ed_4hr,80,900\n"
BAD = (
    b"org_code,period,indicator,numerator,denominator\n"
    b"T00,2018-01,ed_4hr,120,1000\n"
    b"T01,2018-13,ed_4hr,80,900\n"
    b"T02,2018-01,no_such_indicator,5,10\n"
)


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    assert client.get("/imports/").status_code == 302


def test_it_refuses_directors_and_analysts(bob, carol, login):
    assert login(bob).get("/imports/").status_code == 403
    assert login(carol).get("/imports/").status_code == 403
    upload = SimpleUploadedFile("obs.csv", GOOD, content_type="text/csv")
    assert login(carol).post("/imports/", {"file": upload, "format": ""}).status_code == 403
    assert not ImportBatch.objects.exists()


def test_it_shows_the_form_and_history_to_oversight_staff(world, alice, login):
    html = login(alice).get("/imports/").content.decode()
    assert 'enctype="multipart/form-data"' in html and "data-progress" in html
    assert "Import history" in html


def test_a_refused_file_shows_every_row_numbered_error_and_writes_nothing(world, alice, login):
    before = Observation.objects.count()
    upload = SimpleUploadedFile("bad.csv", BAD, content_type="text/csv")
    response = login(alice).post("/imports/", {"file": upload, "format": ""}, follow=True)
    batch = ImportBatch.objects.get()
    assert response.redirect_chain == [(f"/imports/{batch.pk}/", 302)]
    html = response.content.decode()
    assert "The file was refused" in html
    assert "row 3" in html and "2018-13" in html
    assert "row 4" in html and "no_such_indicator" in html
    assert Observation.objects.count() == before
    assert batch.status == BatchStatus.FAILED and batch.rows_created == 0
    assert "bad.csv" in html
    assert "bad.csv" in login(alice).get("/imports/").content.decode()  # the refused batch is in the history


def test_a_good_file_is_imported_and_queues_a_recompute(world, alice, login, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("good.csv", GOOD, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = login(alice).post("/imports/", {"file": upload, "format": "observations"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Imported good.csv as Observations (long CSV): read 2, created 2" in html
    assert len(callbacks) == 1  # recompute_after_import: queued for after the commit
    batch = ImportBatch.objects.get()
    assert batch.status == BatchStatus.SUCCEEDED and batch.uploaded_by == alice
    assert batch.sha256[:12] in html


def test_it_asks_for_the_format_when_the_header_matches_none(world, alice, login):
    upload = SimpleUploadedFile("odd.csv", b"what,is,this\n1,2,3\n", content_type="text/csv")
    response = login(alice).post("/imports/", {"file": upload, "format": ""})
    assert response.status_code == 400
    assert "matches no known format" in response.content.decode()
