"""The bundled NHS-R file gives ed_4hr for 140 type 1 trusts over 36 months, and a second import changes nothing."""

from datetime import date

import pytest

from indicators.constants import ED_4HR
from indicators.models import Observation
from ingest.importers import import_file
from tests.ingest.importers.importer_data import AE_ATTENDANCES, PREDECESSORS
from trusts.models import Organisation

pytestmark = pytest.mark.django_db


def test_it_loads_140_type_1_trusts_over_36_months_and_is_idempotent(catalogue, registers):
    summary = import_file("ae_attendances", AE_ATTENDANCES)

    observations = Observation.objects.filter(indicator__code=ED_4HR)
    assert observations.values("organisation").distinct().count() == 140
    assert observations.values("period").distinct().count() == 36
    assert (summary.read, summary.created, summary.updated) == (12765, 4932, 0)
    assert summary.skipped == 12765 - 4932  # types 2 and other
    assert summary.unverified_codes == PREDECESSORS
    assert summary.batch.unverified_codes == PREDECESSORS
    assert all(code in str(summary) for code in PREDECESSORS)
    predecessor = Organisation.objects.get(ods_code="RE9")
    assert (predecessor.name, predecessor.verified) == ("RE9", False)
    barking = observations.get(organisation__ods_code="RF4", period=date(2017, 3, 1))
    assert (barking.numerator, barking.denominator) == (2879, 21289)
    assert barking.value == pytest.approx(2879 / 21289)
    assert barking.batch == summary.batch

    again = import_file("ae_attendances", AE_ATTENDANCES)

    assert (again.created, again.updated, again.organisations_created) == (0, 0, 0)
    assert observations.count() == 4932
    assert Observation.objects.get(pk=barking.pk).batch == summary.batch  # unchanged rows keep their provenance
