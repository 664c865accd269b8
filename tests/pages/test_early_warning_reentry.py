"""The early-warning page's re-entry watch (issue 15): the stored Kaplan–Meier curve of time from exit to
re-entry, the trusts in transition marked on it, and a curve nothing confidential went into for analysts.

alice is oversight staff (confidential access); carol an analyst (none). The world: five trusts, two of
whose exits or re-entries are on the confidential watch list (CP).
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from indicators import reentry_watch
from indicators.models import AnalysisResult
from indicators.recompute import results_recompute
from tests.pages.world import figure_in
from trusts.models import RegimeEpisode

pytestmark = pytest.mark.django_db

TODAY = date.today()


@pytest.fixture
def watched(regimes, make_org):
    def episode(org, code, entered, exited, **fields):
        return RegimeEpisode.objects.create(
            organisation=org, regime=regimes[code], entered=entered, exited=exited, **fields
        )

    t1, t2, t3, t4, t5 = (make_org(f"RW{i}", f"Watched Trust {i}") for i in range(1, 6))
    episode(t1, "SMQ", date(2015, 1, 1), date(2017, 1, 1))
    episode(t1, "CP", date(2018, 3, 1), date(2019, 1, 1))  # a confidential re-entry
    episode(t2, "CP", date(2016, 1, 1), date(2017, 6, 1))  # a confidential exit, never back
    episode(t3, "SMQ", date(2016, 1, 1), date(2018, 1, 1))
    episode(t3, "SMQ", date(2019, 5, 1), date(2020, 1, 1))  # a re-entry anyone may see
    episode(t4, "NOF4", date(2021, 7, 1), TODAY - timedelta(days=100))  # in transition now
    episode(t5, "CP", date(2020, 1, 1), TODAY - timedelta(days=50))  # in transition now, confidentially
    results_recompute(triggered_by="test")
    return {"t4": t4, "t5": t5}


def _markers(figure):
    return next((trace for trace in figure["data"] if trace["name"] == "In transition now"), {"text": []})


def test_staff_see_the_curve_of_every_exit_and_both_trusts_in_transition(watched, alice, login):
    response = login(alice).get("/early-warning/")
    html = response.content.decode()
    assert "7 exits of 5 trusts; 2 re-entered; 5 had not re-entered" in html
    figure = figure_in(response, "reentry-curve")
    assert sorted(_markers(figure)["text"]) == ["RW4", "RW5"]
    stored = AnalysisResult.objects.get(key="reentry").payload
    curve = next(trace for trace in figure["data"] if trace["name"] == "Re-entered by month")
    assert curve["y"] == pytest.approx(reentry_watch.curve_points(stored)["reentered"], abs=1e-4)


def test_an_analysts_page_shows_no_curve_a_cp_episode_went_into(watched, carol, login):
    response = login(carol).get("/early-warning/")
    html = response.content.decode()
    # Without the CP episodes: trust 1's SMQ exit is censored (its CP re-entry is unknown), trust 2 is absent.
    assert "4 exits of 3 trusts; 1 re-entered; 3 had not re-entered" in html
    assert "Episodes of confidential regimes are not in this curve." in html
    assert "7 exits" not in html and "Watched Trust 5" not in html
    figure = figure_in(response, "reentry-curve")
    assert _markers(figure)["text"] == ["RW4"]
    public = AnalysisResult.objects.get(key="reentry_public").payload
    full = AnalysisResult.objects.get(key="reentry").payload
    curve = next(trace for trace in figure["data"] if trace["name"] == "Re-entered by month")
    assert curve["x"] == reentry_watch.curve_points(public)["months"]
    assert curve["x"] != reentry_watch.curve_points(full)["months"]
    assert public["n_spells"] == 4 and full["n_spells"] == 7


def test_a_trust_in_transition_sits_on_the_curve_at_its_months_since_exit(watched, alice, login):
    response = login(alice).get("/early-warning/")
    stored = AnalysisResult.objects.get(key="reentry").payload
    where = reentry_watch.position(stored, watched["t4"].episodes.get().exited, TODAY)
    assert where["months"] == pytest.approx(100 / (365.25 / 12))
    # By hand: no re-entry within 3.3 months, so Ŝ(3.3) = 1. Up to 15.3 months there is one re-entry, trust 1's
    # CP at 14 months, with five spells followed that long (trust 1's two, trust 2's, trust 3's two): Ŝ(15.3) = 4/5,
    # and the chance of re-entering in the next 12 months is 1 − (4/5) / 1 = 0.2 (trust 3's re-entry is at 16).
    assert where["reentered_by"] == 0.0
    assert where["next_12"] == pytest.approx(0.2)
    markers = _markers(figure_in(response, "reentry-curve"))
    index = markers["text"].index("RW4")
    assert markers["x"][index] == pytest.approx(where["months"], abs=0.01)
    assert markers["customdata"][index] == pytest.approx(where["next_12"], abs=1e-4)


def test_the_page_reads_the_stored_curve_and_computes_nothing(watched, alice, login, monkeypatch, make_org, regimes):
    def refuse(*args, **kwargs):
        raise AssertionError("the page recomputed a statistic")

    for target in (
        "indicators.stats.survival.kaplan_meier",
        "indicators.compute.reentry.kaplan_meier",
        "indicators.compute.compute_reentry",
        "indicators.recompute.results_recompute",
    ):
        monkeypatch.setattr(target, refuse)
    client = login(alice)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/early-warning/").status_code == 200
    # More trusts in transition read no more: the curve is one stored document, the alerts one query.
    for i in range(3):
        org = make_org(f"RX{i}", f"Extra Trust {i}")
        RegimeEpisode.objects.create(
            organisation=org, regime=regimes["SMQ"], entered=date(2020, 1, 1), exited=TODAY - timedelta(days=20 + i)
        )
    with CaptureQueriesContext(connection) as more:
        html = client.get("/early-warning/").content.decode()
    assert "Extra Trust 2" in html
    assert len(more) == len(few)


def test_the_caption_says_when_the_exits_are_synthetic(regimes, make_org, alice, login):
    org = make_org("RS1", "Synthetic Trust")
    RegimeEpisode.objects.create(
        organisation=org,
        regime=regimes["SMQ"],
        entered=date(2019, 1, 1),
        exited=TODAY - timedelta(days=30),
        synthetic=True,
    )
    results_recompute(triggered_by="test")
    html = login(alice).get("/early-warning/").content.decode()
    assert "All exits come from synthetic (demonstration) episodes" in html


def test_the_board_lists_trusts_in_transition_without_the_curve(watched, alice, login):
    html = login(alice).get("/").content.decode()
    assert "In transition after exit" in html and "reentry-curve" not in html


def test_the_curve_is_drawn_when_no_trust_is_in_transition(regimes, make_org, carol, login):
    org = make_org("RH1", "Historical Trust")
    RegimeEpisode.objects.create(
        organisation=org, regime=regimes["SMQ"], entered=date(2014, 1, 1), exited=date(2016, 1, 1)
    )
    RegimeEpisode.objects.create(
        organisation=org, regime=regimes["SMQ"], entered=date(2017, 1, 1), exited=date(2018, 1, 1)
    )
    results_recompute(triggered_by="test")
    response = login(carol).get("/early-warning/")
    html = response.content.decode()
    assert "No trust is in transition after an exit now." in html
    assert "2 exits of 1 trust; 1 re-entered; 1 had not re-entered" in html
    assert "1 trust left more than once; each exit counts as its own spell." in html
    assert _markers(figure_in(response, "reentry-curve"))["text"] == []
