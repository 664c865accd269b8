"""The transition watch counts a trust's recent alerts as the board's light does: one definition, one answer.

Alerts of annual series and ordinal scores cast no vote on the board (issue 10), so the watch leaves them out
too, and both look at the latest six months of data only.
"""

import re
from datetime import date, timedelta

import pytest

from indicators.models import Alert, ComputationRun, Indicator, NationalValue
from indicators.page_selectors import board_signals
from indicators.recompute import results_serve_run
from trusts.models import RegimeEpisode

pytestmark = pytest.mark.django_db

DATA_END = date(2025, 6, 1)


def test_the_watch_and_the_board_count_the_same_recent_alerts(regimes, make_org, alice, client):
    trust = make_org("RT9", "Watched Trust")
    RegimeEpisode.objects.create(
        organisation=trust, regime=regimes["NOF4"], entered=date(2022, 1, 1), exited=date.today() - timedelta(days=30)
    )
    run = ComputationRun.objects.create(method_version="test", status="succeeded")
    monthly = Indicator.objects.create(code="ed_4hr", name="ED", kind="proportion", cadence="monthly")
    annual = Indicator.objects.create(
        code="staff_survey_engagement", name="Engagement", kind="score", cadence="annual", polarity="higher_is_better"
    )
    NationalValue.objects.create(run=run, indicator=monthly, period=DATA_END, national=0.2, n_trusts=3)
    for indicator, period in (
        (monthly, date(2025, 5, 1)),  # counted
        (monthly, date(2025, 1, 1)),  # counted: the sixth month back
        (monthly, date(2024, 12, 1)),  # too old
        (annual, date(2025, 4, 1)),  # an annual series casts no vote
    ):
        Alert.objects.create(
            run=run, organisation=trust, indicator=indicator, period=period, statistic=5.0, threshold=4.389
        )
    results_serve_run(run)
    signals, _ = board_signals(alice, [trust.pk])
    assert signals[trust.pk].alerts == 2
    client.force_login(alice)
    html = client.get("/early-warning/").content.decode()
    row = re.search(r"Watched Trust</a></th>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[4].strip() == "2"
