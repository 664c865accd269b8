"""The imports page tells what a finished batch did in the very words the import itself printed."""

import pytest

from indicators.models import ImportBatch
from ingest.importers import import_file
from ingest.uploads import batch_summary

pytestmark = pytest.mark.django_db

RTT = (
    "org_code,org_name,level,month,pct18_within_target,pct18_total,w52\n"
    "RF4,BARKING,provider,2025-04,40000,65000,1500\n"
    "8KL73,ENDOCARE DIAGNOSTICS,provider,2025-04,70,70,0\n"
    "8HE10,PRIVATE CLINIC,provider,2025-04,10,20,0\n"
)
OBSERVATIONS = "org_code,period,indicator,numerator,denominator\nRW3,2019-03,ed_4hr,1,4\nRF4,2019-03,ed_4hr,1,2\n"


def test_a_stored_batch_reads_as_its_import_for_providers_not_loaded(catalogue, make_org, write_csv):
    make_org("RF4")

    summary = import_file("rtt", write_csv(RTT))

    assert str(summary) == (
        "read 3, created 2, updated 0, skipped 2; 2 providers not NHS trusts, not loaded: 8HE10, 8KL73"
    )
    assert batch_summary(ImportBatch.objects.get(pk=summary.batch.pk)) == str(summary)


def test_a_stored_batch_reads_as_its_import_for_codes_held_unverified(catalogue, make_org, write_csv):
    make_org("RF4")
    first = import_file("observations", write_csv(OBSERVATIONS))
    again = import_file("observations", write_csv(OBSERVATIONS))

    # The organisations written on the side are the import's own news: the stored counts leave them out.
    assert str(first) == "read 2, created 2, updated 0, skipped 0; organisations created 1, updated 0; " + (
        "1 code in no register, held as unverified: RW3"
    )
    assert batch_summary(ImportBatch.objects.get(pk=first.batch.pk)) == (
        "read 2, created 2, updated 0, skipped 0; 1 code in no register, held as unverified: RW3"
    )
    assert str(again) == "read 2, created 0, updated 0, skipped 0; 1 code in no register, held as unverified: RW3"
    assert batch_summary(ImportBatch.objects.get(pk=again.batch.pk)) == str(again)
