"""Episodes are checked with RegimeEpisode.clean's rules against what the database will hold after the file."""

from datetime import date

import pytest

from ingest.importers import ImportRefused, import_file
from trusts.models import RegimeEpisode

pytestmark = pytest.mark.django_db

HEADER = "org_code,regime,entered,exited,route,reason\n"


@pytest.fixture
def trusts(make_org):
    return make_org("RF4"), make_org("RGT")


def test_it_refuses_an_episode_overlapping_one_already_held(trusts, regimes, write_csv):
    RegimeEpisode.objects.create(organisation=trusts[0], regime=regimes["SMQ"], entered=date(2015, 1, 1))

    with pytest.raises(ImportRefused) as refusal:
        import_file("episodes", write_csv(HEADER + "RF4,SMQ,2016-01-01,,,\n"))

    assert str(refusal.value.errors[0]) == (
        'row 2, column "entered", value "2016-01-01": This overlaps the SMQ episode 2015-01-01–ongoing (already held).'
    )


def test_it_allows_a_re_entry_from_the_day_of_exit_and_other_regimes_at_once(trusts, write_csv):
    text = HEADER + (
        "RF4,SMQ,2014-01-01,2016-01-01,direct,\nRF4,SMQ,2016-01-01,,re_entry,\nRF4,CP,2015-07-01,2016-01-01,,\n"
    )

    summary = import_file("episodes", write_csv(text, encoding="utf-8"))

    assert summary.created == 3
    assert RegimeEpisode.objects.get(regime__code="SMQ", entered=date(2016, 1, 1)).route == "re_entry"


def test_it_closes_a_held_episode_and_adds_the_next_in_one_file(trusts, regimes, write_csv):
    RegimeEpisode.objects.create(organisation=trusts[0], regime=regimes["SMQ"], entered=date(2014, 1, 1))
    text = HEADER + "RF4,SMQ,2014-01-01,2016-01-01,,\nRF4,SMQ,2017-01-01,,re_entry,\n"

    summary = import_file("episodes", write_csv(text))

    assert (summary.created, summary.updated) == (1, 1)
    closed = RegimeEpisode.objects.get(entered=date(2014, 1, 1))
    assert (closed.exited, closed.version) == (date(2016, 1, 1), 2)


def test_a_blank_exit_does_not_reopen_a_closed_episode(trusts, regimes, write_csv):
    RegimeEpisode.objects.create(
        organisation=trusts[0], regime=regimes["SMQ"], entered=date(2014, 1, 1), exited=date(2016, 1, 1)
    )

    summary = import_file("episodes", write_csv(HEADER + "RF4,SMQ,2014-01-01,,,\n"))

    assert (summary.created, summary.updated) == (0, 0)
    assert RegimeEpisode.objects.get().exited == date(2016, 1, 1)


def test_it_marks_episodes_from_a_synthetic_file(trusts, write_csv):
    summary = import_file("episodes", write_csv(HEADER + "RGT,CP,2016-01-01,2017-06-30,,\n"), synthetic=True)

    assert RegimeEpisode.objects.get().synthetic
    assert summary.batch.synthetic
