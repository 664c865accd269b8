"""The upload page hands import_file a file object, binary or text; the batch takes the upload's name."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ingest.importers import import_file

pytestmark = pytest.mark.django_db

TEXT = "org_code,name,kind\nRF4,BARKING,acute\n"


def test_it_imports_an_uploaded_file_and_records_who_sent_it(alice):
    upload = SimpleUploadedFile("register.csv", TEXT.encode("cp1252"), content_type="text/csv")

    summary = import_file("organisations", upload, user=alice)

    assert summary.created == 1
    assert (summary.batch.file_name, summary.batch.uploaded_by) == ("register.csv", alice)


@pytest.mark.parametrize("upload", [io.BytesIO(TEXT.encode()), io.StringIO(TEXT)], ids=["binary", "text"])
def test_it_imports_a_file_object_under_the_name_given(upload):
    summary = import_file("organisations", upload, file_name="from-the-form.csv")

    assert (summary.created, summary.batch.file_name) == (1, "from-the-form.csv")


def test_it_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="cannot import format"):
        import_file("synthetic", io.BytesIO(TEXT.encode()))
