"""The format registry (ingest.formats) is the one list: the upload page offers what it holds, each layout it
registers is detected as its own format, and a format it does not hold is refused by name."""

import io
import os
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from indicators.constants import ImportFormat
from indicators.models import ImportBatch
from ingest import formats
from ingest.importers import detect_format, import_file
from ingest.importers.command import ImportCommand
from tests.ingest.importers.importer_data import INDICATORS_CSV


def offered_formats(html: str) -> list[str]:
    select = re.search(r'<select name="format".*?</select>', html, re.S).group(0)
    return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]


@pytest.mark.django_db
def test_every_format_the_upload_page_offers_is_in_the_registry(client, alice):
    client.force_login(alice)
    offered = offered_formats(client.get("/imports/").content.decode())
    assert offered and all(name in formats.FORMATS for name in offered)
    assert offered == [name for name, _ in formats.upload_choices()]


def test_every_batch_format_but_the_demo_generators_has_a_registered_importer():
    assert set(formats.FORMATS) == {fmt.value for fmt in ImportFormat} - {ImportFormat.SYNTHETIC.value}
    assert all(
        callable(entry.importer) and entry.label == ImportFormat(entry.name).label for entry in formats.FORMATS.values()
    )


def test_the_registry_says_how_each_format_is_read():
    assert formats.get_format("staff_survey").reads == "xlsx workbook"
    assert formats.get_format("observations").reads == "CSV, streamed"
    assert formats.get_format("rtt").reads == "CSV"


@pytest.mark.parametrize(
    ("name", "columns"),
    [(entry.name, sorted(layout)) for entry in formats.FORMATS.values() for layout in entry.headers],
    ids=lambda value: value if isinstance(value, str) else "+".join(value),
)
def test_each_registered_layout_is_detected_as_its_own_format(name, columns):
    header = ",".join(columns) + "\n"
    assert detect_format(io.BytesIO(header.encode())) == name


def test_both_shmi_layouts_are_registered_and_detected():
    layouts = formats.get_format("shmi").headers
    assert len(layouts) == 2
    for layout in layouts:
        assert detect_format(io.BytesIO((",".join(sorted(layout)) + "\n").encode())) == "shmi"


def test_a_workbook_is_detected_as_the_registered_binary_format():
    assert detect_format(io.BytesIO(b"PK\x03\x04 rest of a zip")) == "staff_survey"


def test_a_header_no_format_has_is_detected_as_none():
    assert detect_format(io.BytesIO(b"colour,flavour\nred,sweet\n")) is None


def test_an_unknown_format_is_refused_by_name_with_the_registered_ones_listed():
    with pytest.raises(formats.UnknownFormat, match=r"cannot import format 'nonsense'; choose one of .*rtt"):
        formats.get_format("nonsense")
    with pytest.raises(ValueError, match="cannot import format 'nonsense'"):
        import_file("nonsense", io.BytesIO(b"org_code,name\n"))


def test_a_format_registered_twice_is_refused():
    with pytest.raises(ValueError, match="'rtt' is registered twice"):
        formats.register(ImportFormat.RTT, lambda text, context: None)
    assert formats.get_format("rtt").importer.__name__ == "import_rtt"


@pytest.mark.django_db
def test_the_upload_page_refuses_an_unknown_format_as_a_form_error_not_a_500(client, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(alice)
    upload = SimpleUploadedFile("x.csv", b"org_code,name\nRF4,Somewhere\n", content_type="text/csv")
    response = client.post("/imports/", {"file": upload, "format": "nonsense"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_command_for_a_format_the_registry_does_not_hold_fails_plainly(tmp_path):
    class Command(ImportCommand):
        format = "nonsense"

    path = tmp_path / "x.csv"
    path.write_text("org_code,name\n")
    with pytest.raises(CommandError, match="cannot import format 'nonsense'"):
        call_command(Command(), str(path), "--quiet")


@pytest.mark.django_db
def test_import_file_detects_each_files_format_or_takes_one_named():
    out = io.StringIO()
    call_command("import_file", str(INDICATORS_CSV), "--quiet", "--no-recompute", stdout=out)
    assert "read 31, created 31" in out.getvalue()
    assert ImportBatch.objects.get().format == "indicators"
    call_command("import_file", str(INDICATORS_CSV), "--format", "indicators", "--quiet", "--no-recompute", stdout=out)
    assert ImportBatch.objects.count() == 2


def test_import_file_refuses_a_file_no_format_matches_and_an_unknown_format(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("colour,flavour\nred,sweet\n")
    with pytest.raises(CommandError, match="odd.csv: its header matches no registered format"):
        call_command("import_file", str(path), "--quiet")
    with pytest.raises(CommandError, match="invalid choice: 'nonsense'"):
        call_command("import_file", str(path), "--format", "nonsense")
    with pytest.raises(CommandError, match="missing.csv: no such file"):
        call_command("import_file", str(tmp_path / "missing.csv"), "--quiet")


def test_the_upload_task_keeps_its_name_so_messages_queued_before_the_move_still_run():
    """A worker starting afresh finds it by autodiscovery (ingest is installed), under its old name."""
    import subprocess
    import sys

    from django.conf import settings

    script = (
        "import django; django.setup()\n"
        "from oversight.celery import app\n"
        "app.loader.import_default_modules()\n"
        "print(app.tasks['indicators.tasks.import_upload'].run.__module__)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "oversight.settings.test"}
    found = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "ingest.tasks"
