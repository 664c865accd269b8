"""The 2013 Keogh entries: real SMQ entries whose exits are not recorded — counted as entries, never open."""

from datetime import date

import pytest

from indicators.compute import EpisodeRecord, compute_categories, compute_time_in_regime, spells_by_organisation
from ingest.importers import ImportRefused, detect_format, import_file
from tests.ingest.importers.importer_data import REAL
from trusts.models import Organisation, RegimeEpisode
from trusts.selectors import open_episodes

pytestmark = pytest.mark.django_db

KEOGH = REAL / "special-measures" / "keogh_2013.csv"
KEOGH_DAY = date(2013, 7, 16)


@pytest.fixture
def keogh_trusts(registers):
    # RJF (Burton) merged in 2018 and is in neither register; the A&E files bring it in unverified.
    Organisation.objects.create(ods_code="RJF", name="RJF", verified=False)


@pytest.fixture
def loaded(keogh_trusts):
    return import_file("episodes", KEOGH)


def test_the_file_loads_11_smq_entries_with_the_exit_not_recorded(loaded):
    assert (loaded.read, loaded.created) == (11, 11)
    episodes = RegimeEpisode.objects.filter(regime__code="SMQ", entered=KEOGH_DAY)
    assert episodes.count() == 11
    assert all(e.exit_unknown and e.exited is None and not e.synthetic and not e.is_open for e in episodes)
    rnl = episodes.get(organisation__ods_code="RNL")
    assert rnl.reason == "special measures (Keogh review)" and "hsj.co.uk" in rnl.notes
    assert str(rnl).endswith("2013-07-16–exit not recorded")
    assert rnl.months_in(date(2020, 1, 1)) is None
    assert detect_format(KEOGH) == "episodes"


def test_a_second_import_changes_nothing(loaded):
    again = import_file("episodes", KEOGH)
    assert (again.created, again.updated) == (0, 0)


def test_they_are_never_on_the_board_as_open(loaded, alice):
    assert not open_episodes(alice).filter(entered=KEOGH_DAY).exists()


def test_the_trust_page_says_exit_not_recorded(loaded, alice, client):
    client.force_login(alice)
    html = client.get("/trusts/RNL/").content.decode()
    assert "exit not recorded" in html
    assert "ongoing" not in html.split("Regime episodes")[-1].split("</article>")[0]


def test_a_later_entry_to_smq_does_not_overlap_an_entry_with_no_recorded_exit(loaded):
    text = "org_code,regime,entered,exited,route\nRNL,SMQ,2016-02-01,2017-06-01,re_entry\n"
    from io import StringIO

    summary = import_file("episodes", StringIO(text), file_name="later.csv")
    assert summary.created == 1


def test_excluded_from_time_in_regime_and_the_spells_but_counted_as_entries():
    episodes = [
        EpisodeRecord(organisation_id=1, regime="SMQ", entered=KEOGH_DAY, exited=None, exit_unknown=True),
        EpisodeRecord(organisation_id=2, regime="SMQ", entered=KEOGH_DAY, exited=None, exit_unknown=True),
        EpisodeRecord(organisation_id=3, regime="SMQ", entered=date(2014, 1, 1), exited=date(2015, 1, 1)),
    ]
    document = compute_time_in_regime(episodes, {"SMQ": 24}, cutoff=date(2021, 6, 30))
    result = document["regimes"]["SMQ"]
    assert (result["n_entries"], result["n_exit_unknown"], result["n"], result["n_exited"]) == (3, 2, 1, 1)
    assert document["exit_unknown"] == {"SMQ": 2}
    assert result["mean_months_exited"] == pytest.approx(365 / (365.25 / 12))
    assert set(spells_by_organisation(episodes)) == {3}  # no ITS window without an exit
    assert compute_categories(episodes, {}, as_of=date(2021, 6, 30))["n_organisations"] == 1


def test_the_synthetic_companion_invents_no_keogh_entries_beside_the_real_ones(loaded):
    from indicators.demo import demo_data_generate

    demo_data_generate(seed=3)

    assert RegimeEpisode.objects.filter(entered=KEOGH_DAY).count() == 11
    assert not RegimeEpisode.objects.filter(synthetic=True, entered=KEOGH_DAY).exists()
    real_trusts = set(RegimeEpisode.objects.filter(synthetic=False).values_list("organisation_id", flat=True))
    assert not RegimeEpisode.objects.filter(synthetic=True, organisation_id__in=real_trusts).exists()


GOOD = KEOGH.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "text, expected",
    [
        (GOOD.replace("RNL,", "R-NL,", 1), 'row 2, column "provider_code", value "R-NL": not an ODS code'),
        (GOOD.replace("RNL,", "RZZ,", 1), 'row 2, column "provider_code", value "RZZ": no organisation has this code'),
        (GOOD.replace("2013-07-16", "2013-07-36", 1), 'row 2, column "entered_date", value "2013-07-36"'),
        (GOOD.replace("2013-07-16", "2012-07-16", 1), "SMQ accepted entries from 2013-07-01"),
        (
            GOOD.replace("special measures (Keogh review)", "league table", 1),
            'row 2, column "regime", value "league table"',
        ),
        (GOOD.replace("entered_date", "date", 1), 'row 1, column "entered_date", value "": missing column'),
        (GOOD[: GOOD.index("\n", 400)][:-150], "cut short"),
    ],
)
def test_a_broken_copy_is_refused_and_nothing_is_written(keogh_trusts, write_csv, text, expected):
    with pytest.raises(ImportRefused) as refusal:
        import_file("episodes", write_csv(text))
    errors = [str(error) for error in refusal.value.errors]
    assert any(expected in error for error in errors), errors
    assert not RegimeEpisode.objects.exists()


def test_with_only_unrecorded_exits_the_analytics_page_counts_them_and_still_serves(loaded, alice, client):
    from indicators.recompute import results_recompute, stored_document

    results_recompute()
    document = stored_document("time_in_regime")
    assert "SMQ" not in document["regimes"] and document["exit_unknown"] == {"SMQ": 11}
    client.force_login(alice)
    response = client.get("/analytics/")
    assert response.status_code == 200
    assert "11 SMQ entries with no recorded exit" in response.content.decode()


def test_the_api_open_filter_leaves_them_out_and_says_exit_unknown(loaded, alice, client, regimes):
    rnl = Organisation.objects.get(ods_code="RNL")
    RegimeEpisode.objects.create(organisation=rnl, regime=regimes["NOF4"], entered=date(2022, 1, 1))
    client.force_login(alice)
    open_rows = client.get("/api/v1/episodes/?open=true").json()["results"]
    assert [(row["organisation"], row["regime"]) for row in open_rows] == [("RNL", "NOF4")]
    closed = client.get("/api/v1/episodes/?open=false").json()
    assert closed["count"] == 11
    assert all(row["exit_unknown"] and not row["is_open"] for row in closed["results"])
