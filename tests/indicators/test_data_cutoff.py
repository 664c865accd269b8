"""Results are dated by their data: the run records the latest period, time in regime counts to the cut-off."""

from datetime import date

import pytest
from django.core.management import call_command

from indicators.recompute import stored_document
from indicators.selectors import latest_successful_run
from tests.indicators.builders import episode, month, organisations, panel, proportion_indicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    indicator = proportion_indicator("dtoc")
    orgs = organisations(8)
    panel(indicator, orgs, month(2017, 1), 36, seed=2)  # January 2017 – December 2019
    episode(orgs[0], "SMQ", month(2018, 1))
    return orgs


def test_the_run_records_the_latest_period_and_time_in_regime_counts_to_it(world):
    call_command("recompute", verbosity=0)
    run = latest_successful_run()
    assert run.data_as_of == date(2019, 12, 1)
    assert run.counts["data_cutoff"] == "2019-12-01"
    smq = stored_document("time_in_regime")
    assert smq["cutoff"] == "2019-12-01"
    # One open SMQ episode from January 2018: 23 months at risk at the cut-off, not years to today.
    assert max(smq["regimes"]["SMQ"]["curve"]["months"]) == 23


def test_the_cut_off_setting_overrides_the_data(world, settings):
    settings.DATA_CUTOFF = date(2019, 1, 1)
    call_command("recompute", verbosity=0)
    assert stored_document("time_in_regime")["cutoff"] == "2019-01-01"


def test_every_page_says_data_as_of_the_latest_period_beside_when_it_was_computed(world, alice, client):
    call_command("recompute", verbosity=0)
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert "Data as of Dec 2019 (latest period); results computed" in html
