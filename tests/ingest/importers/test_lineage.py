"""Mergers: a successor's series is its lineage's (counts summed per period), national values count it once."""

from datetime import date

import pandas as pd
import pytest
from django.test import Client

from indicators.constants import ED_4HR
from indicators.models import NationalValue, Observation, ZScore
from indicators.recompute import results_recompute
from indicators.stats.zscores import panel_proportion_z
from ingest.importers import import_file
from tests.indicators.builders import month, organisations, proportion_indicator
from tests.ingest.importers.importer_data import AE_ATTENDANCES, REAL
from trusts.models import Organisation

pytestmark = pytest.mark.django_db
SUCCESSORS = REAL / "ods_successors_2017_2019.csv"


def test_the_successor_file_links_the_eight_mergers_and_a_second_import_changes_nothing():
    summary = import_file("ods_successors", SUCCESSORS)
    assert summary.read == 8
    links = dict(Organisation.objects.filter(successor__isnull=False).values_list("ods_code", "successor__ods_code"))
    assert links == {
        "RW3": "R0A",
        "RM2": "R0A",
        "RQQ": "RGN",
        "RR1": "RRK",
        "RJF": "RTG",
        "RGQ": "RDE",
        "RLN": "R0B",
        "RE9": "R0B",
    }
    rw3 = Organisation.objects.get(ods_code="RW3")
    assert (rw3.name, rw3.closed, rw3.sector) == (
        "Central Manchester University Hospitals NHS Foundation Trust",
        date(2017, 9, 30),
        "nhs_trust",
    )
    again = import_file("ods_successors", SUCCESSORS)
    assert (again.created, again.updated) == (0, 0)


def test_import_organisations_accepts_the_successor_file_too():
    import_file("organisations", SUCCESSORS)
    assert Organisation.objects.get(ods_code="RM2").successor.ods_code == "R0A"


@pytest.fixture
def merger(db):
    """RW3 and RM2 report to September 2017, R0A from October 2017 (RW3 once more in October), with 4 others."""
    indicator = proportion_indicator()
    others = organisations(4, prefix="T")
    rw3, rm2, r0a = (
        Organisation.objects.create(ods_code=code, name=code, kind="acute") for code in ("RW3", "RM2", "R0A")
    )
    rows = {
        (rw3, month(2017, 8)): (1655, 11977),
        (rm2, month(2017, 8)): (1666, 7696),
        (rw3, month(2017, 10)): (100, 900),
        (r0a, month(2017, 10)): (3628, 22392),
    }
    for index, org in enumerate(others):
        for period in (month(2017, 8), month(2017, 10)):
            rows[(org, period)] = (1000 + 100 * index, 8000 + 500 * index)
    Observation.objects.bulk_create(
        Observation(organisation=org, indicator=indicator, period=period, numerator=r, denominator=n)
        for (org, period), (r, n) in rows.items()
    )
    return indicator, rw3, rm2, r0a, others, rows


def test_without_successor_links_each_code_is_analysed_as_it_is(merger):
    indicator, rw3, *_ = merger
    results_recompute(triggered_by="test")
    assert ZScore.objects.filter(indicator=indicator, organisation=rw3).count() == 2
    assert NationalValue.objects.get(indicator=indicator, period=month(2017, 8)).n_trusts == 6


def test_a_successor_series_sums_its_lineage_and_national_values_count_it_once(merger):
    indicator, rw3, rm2, r0a, others, rows = merger
    Organisation.objects.filter(pk__in=[rw3.pk, rm2.pk]).update(successor=r0a)
    results_recompute(triggered_by="test")

    assert not ZScore.objects.filter(organisation__in=[rw3, rm2]).exists()
    series = {z.period: z for z in ZScore.objects.filter(indicator=indicator, organisation=r0a)}
    assert sorted(series) == [month(2017, 8), month(2017, 10)]
    assert (series[month(2017, 8)].numerator, series[month(2017, 8)].denominator) == (1655 + 1666, 11977 + 7696)
    assert (series[month(2017, 10)].numerator, series[month(2017, 10)].denominator) == (3628 + 100, 22392 + 900)

    august = NationalValue.objects.get(indicator=indicator, period=month(2017, 8))
    assert august.n_trusts == 5  # four others and one lineage, not seven codes
    # Independently: the methods §1 z-scores of the same month with the lineage summed by hand.
    frame = pd.DataFrame(
        [(org.pk, month(2017, 8), r, n) for (org, period), (r, n) in rows.items() if period == month(2017, 8)]
        + [(r0a.pk, month(2017, 8), 1655 + 1666, 11977 + 7696)],
        columns=["org", "period", "numerator", "denominator"],
    )
    frame = frame[~frame["org"].isin([rw3.pk, rm2.pk])].reset_index(drop=True)
    expected = panel_proportion_z(frame).set_index("org")
    assert august.national == pytest.approx(expected["national"].iloc[0])
    assert august.tau2 == pytest.approx(expected["tau2"].iloc[0])
    assert series[month(2017, 8)].z_adjusted == pytest.approx(expected.loc[r0a.pk, "z_adj"])
    for org in others:
        stored = ZScore.objects.get(indicator=indicator, organisation=org, period=month(2017, 8))
        assert stored.z_adjusted == pytest.approx(expected.loc[org.pk, "z_adj"])


def test_r0a_ed_series_starts_in_april_2016_from_rw3_and_rm2(catalogue, registers):
    import_file("ods_successors", SUCCESSORS)
    import_file("ae_attendances", AE_ATTENDANCES)
    results_recompute(indicator_codes=[ED_4HR], triggered_by="test")
    series = ZScore.objects.filter(indicator__code=ED_4HR, organisation__ods_code="R0A").order_by("period")
    first = series.first()
    # ae_attendances.csv, type 1, April 2016: RM2 7696 attendances, 1666 breaches; RW3 11977 and 1655.
    assert first.period == date(2016, 4, 1)
    assert (first.numerator, first.denominator) == (1666 + 1655, 7696 + 11977)
    assert first.value == pytest.approx(3321 / 19673)
    assert series.count() == 36
    assert not ZScore.objects.filter(organisation__ods_code__in=["RW3", "RM2"]).exists()
    # Each lineage once: a reporting code counts as its successor (the mergers here are one step).
    reporting = Organisation.objects.filter(
        observations__indicator__code=ED_4HR, observations__period=date(2016, 4, 1)
    ).select_related("successor")
    lineages = {org.successor.ods_code if org.successor else org.ods_code for org in reporting}
    assert "R0A" in lineages and "RW3" not in lineages
    national = NationalValue.objects.get(indicator__code=ED_4HR, period=date(2016, 4, 1))
    assert national.n_trusts == len(lineages) < reporting.count()


def test_a_predecessor_page_says_where_it_went_and_the_successor_lists_its_lineage(alice):
    import_file("ods_successors", SUCCESSORS)
    client = Client()
    client.force_login(alice)
    html = client.get("/trusts/RW3/").content.decode()
    assert "merged into" in html and 'href="/trusts/R0A/"' in html
    assert "Manchester University NHS Foundation Trust" in html and "30 Sep 2017" in html
    successor = client.get("/trusts/R0A/").content.decode()
    assert "include its predecessors" in successor
    assert 'href="/trusts/RW3/"' in successor and 'href="/trusts/RM2/"' in successor
