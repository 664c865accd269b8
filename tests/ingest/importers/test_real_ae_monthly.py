"""The 13 published monthly A&E files import through the command, one batch each, idempotently."""

import io

import pytest
from django.core.management import call_command

from indicators.models import ImportBatch, Observation
from ingest.importers import import_file
from tests.ingest.importers.importer_data import MONTHLY
from trusts.models import Organisation

pytestmark = pytest.mark.django_db

# Providers with type 1 attendances in each month, June 2024 to June 2025.
TYPE_1_PROVIDERS = [122] * 7 + [121] * 6


def test_it_imports_all_thirteen_monthly_files_one_batch_each(catalogue, registers):
    out = io.StringIO()
    call_command("import_ae_monthly", *MONTHLY, "--quiet", stdout=out)

    batches = list(ImportBatch.objects.filter(format="ae_monthly").order_by("pk"))
    assert [batch.status for batch in batches] == ["succeeded"] * 13
    assert [batch.rows_created for batch in batches] == TYPE_1_PROVIDERS
    assert Observation.objects.count() == sum(TYPE_1_PROVIDERS)
    assert len(out.getvalue().splitlines()) == 13
    guys = Organisation.objects.get(ods_code="RJ1")
    assert (guys.region, guys.kind, guys.verified) == ("Y56", "acute", True)
    # A provider in no register is created from the file itself, verified: it is a published file.
    tetbury = Organisation.objects.get(ods_code="AAH")
    # issue 16: shown in NHS casing, the source spelling kept; an independent provider, not an NHS trust
    assert (tetbury.name, tetbury.region, tetbury.verified) == ("Tetbury Hospital Trust Ltd", "Y58", True)
    assert (tetbury.name_source, tetbury.sector) == ("TETBURY HOSPITAL TRUST LTD", "other")

    out = io.StringIO()
    call_command("import_ae_monthly", *MONTHLY, "--quiet", stdout=out)

    assert all("created 0, updated 0" in line for line in out.getvalue().splitlines())
    assert Observation.objects.count() == sum(TYPE_1_PROVIDERS)


def test_it_skips_the_total_row_and_providers_without_a_type_1_department(catalogue):
    summary = import_file("ae_monthly", MONTHLY[0])  # June 2024: 197 providers and a TOTAL row

    assert (summary.read, summary.created, summary.skipped) == (198, 122, 76)
    assert not Organisation.objects.filter(ods_code="TOTAL").exists()
    assert Organisation.objects.count() == 197
