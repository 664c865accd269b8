"""Observation's organisation and indicator stay real without database foreign-key constraints.

The constraints were dropped for the speed of a long import (indicators.models.Observation): the
importer's own checks guard what is written, Django's collector (and on PostgreSQL a delete
trigger) what is deleted. Each import test runs on both paths of the long observations import.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from indicators.models import Indicator, Observation
from ingest.importers import ImportRefused, base, import_file, observation_writes, staging
from ingest.importers.reading import RowError
from trusts.models import Organisation

pytestmark = pytest.mark.django_db

HEADER = "org_code,period,indicator,numerator,denominator\n"
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger and lock")


@pytest.fixture
def stored(catalogue, write_csv):
    """One observation of RF4's ed_4hr, imported."""
    import_file("observations", write_csv(HEADER + "RF4,2024-01,ed_4hr,1,2\n"))
    return Observation.objects.select_related("organisation", "indicator").get()


def test_an_import_naming_an_unknown_indicator_is_refused_by_row_and_writes_nothing(
    path, catalogue, write_csv, row_counts
):
    before = row_counts()

    with pytest.raises(ImportRefused) as refused:
        import_file("observations", write_csv(HEADER + "RF4,2024-01,ed_4hr,1,2\nRF4,2024-01,no_such,1,2\n"))

    error = refused.value.errors[0]
    assert (refused.value.total, error.row, error.column, error.value) == (1, 3, "indicator", "no_such")
    assert error.message.startswith("unknown indicator code")
    assert row_counts() == before  # not even the good row, nor RF4 as an unverified organisation


def test_an_import_naming_a_malformed_organisation_code_is_refused_and_writes_nothing(
    path, catalogue, write_csv, row_counts
):
    before = row_counts()

    with pytest.raises(ImportRefused) as refused:
        import_file("observations", write_csv(HEADER + "R!,2024-01,ed_4hr,1,2\n"))

    assert refused.value.errors == [
        RowError(2, "org_code", "R!", "not an ODS code (3 to 6 letters or digits, such as RF4 or QOP)")
    ]
    assert row_counts() == before


def test_a_code_in_no_register_is_stored_as_an_organisation_before_its_observations_name_it(path, catalogue, write_csv):
    import_file("observations", write_csv(HEADER + "RXX,2024-01,ed_4hr,1,2\n"))

    observation = Observation.objects.get()
    assert Organisation.objects.filter(pk=observation.organisation_id, ods_code="RXX", verified=False).exists()
    assert Indicator.objects.filter(pk=observation.indicator_id, code="ed_4hr").exists()


def test_deleting_an_organisation_or_indicator_with_observations_is_refused(stored):
    with pytest.raises(ProtectedError):
        stored.organisation.delete()
    with pytest.raises(ProtectedError):
        stored.indicator.delete()

    assert Observation.objects.filter(pk=stored.pk).exists()


@postgresql_only
def test_a_raw_delete_of_a_referenced_organisation_or_indicator_is_refused_by_the_database(stored):
    for table, pk in (("trusts_organisation", stored.organisation_id), ("indicators_indicator", stored.indicator_id)):
        with pytest.raises(IntegrityError, match="observations refer to"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table} WHERE id = %s", [pk])  # bypasses Django's collector

    assert Organisation.objects.filter(pk=stored.organisation_id).exists()


@postgresql_only
def test_an_organisation_or_indicator_without_observations_can_still_be_deleted(stored):
    spare = Organisation.objects.create(ods_code="RZZ", name="Spare trust")
    spare_indicator = Indicator.objects.exclude(pk=stored.indicator_id).first()
    Observation.objects.all().delete()

    spare.delete()
    spare_indicator.delete()
    stored.organisation.delete()

    assert not Organisation.objects.filter(ods_code__in=["RZZ", "RF4"]).exists()


@postgresql_only
def test_an_organisation_deleted_during_the_import_refuses_it_and_nothing_is_written(
    path, catalogue, write_csv, row_counts, monkeypatch
):
    Organisation.objects.create(ods_code="RF4", name="Trust RF4")
    real = base.organisation_ids

    def then_deleted(context, codes):
        ids = real(context, codes)
        Organisation.objects.filter(ods_code="RF4").delete()  # as another session's delete, committed
        return ids

    monkeypatch.setattr(observation_writes, "organisation_ids", then_deleted)  # where the simple path looks
    monkeypatch.setattr(staging, "organisation_ids", then_deleted)
    before = row_counts()

    with pytest.raises(ImportRefused) as refused:
        import_file("observations", write_csv(HEADER + "RF4,2024-01,ed_4hr,1,2\n"))

    assert refused.value.errors[0].message.startswith("1 organisation(s) the file names were deleted during")
    assert row_counts() == before
