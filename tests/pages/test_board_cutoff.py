"""The board's months-in and traffic light count to the data's cut-off, not to today (issue 10)."""

from datetime import date

import pytest

from indicators.board import board_rows
from indicators.models import ComputationRun, Indicator, NationalValue, SpcSummary
from indicators.recompute import results_serve_run
from trusts.models import Regime, RegimeEpisode

pytestmark = pytest.mark.django_db

DATA_END = date(2025, 6, 1)  # the bundled A&E data end in June 2025


@pytest.fixture
def board(regimes, make_org, alice):
    run = ComputationRun.objects.create(method_version="test", status="succeeded")
    monthly = Indicator.objects.create(code="ed_4hr", name="ED", kind="proportion", cadence="monthly")
    annual = Indicator.objects.create(
        code="staff_survey_engagement", name="Engagement", kind="score", cadence="annual", polarity="higher_is_better"
    )
    NationalValue.objects.create(run=run, indicator=monthly, period=DATA_END, national=0.2, n_trusts=3)
    nof4 = Regime.objects.get(code="NOF4")  # no exit target: judged against the 24-month horizon
    trusts = {}
    for code, entered, icon in (
        ("RA1", date(2023, 9, 1), "special_cause_improvement"),  # 21 months at the cut-off
        ("RA2", date(2022, 1, 1), "special_cause_concern"),  # 41 months
        ("RA3", date(2024, 1, 1), "special_cause_concern"),  # 17 months
    ):
        trusts[code] = make_org(code)
        RegimeEpisode.objects.create(organisation=trusts[code], regime=nof4, entered=entered)
        SpcSummary.objects.create(
            run=run, organisation=trusts[code], indicator=monthly, variation_icon=icon, points=[], mean=0.2
        )
    # An annual series' icon casts no vote: RA2's staff survey "improvement" must not lift it to amber.
    SpcSummary.objects.create(
        run=run, organisation=trusts["RA2"], indicator=annual, variation_icon="special_cause_improvement", points=[]
    )
    results_serve_run(run)  # results are read through the current-run pointer (issue 11)
    return alice


def _by_code(user, **options):
    return {row.organisation.ods_code: row for row in board_rows(user, **options)}


def test_months_in_count_to_the_latest_period_of_data_so_the_board_can_show_every_light(board):
    rows = _by_code(board)
    # Independent: whole calendar months from entry to June 2025, by hand.
    assert {code: row.months_in for code, row in rows.items()} == {"RA1": 21, "RA2": 41, "RA3": 17}
    assert {code: row.light for code, row in rows.items()} == {"RA1": "green", "RA2": "red", "RA3": "amber"}
    assert {row.cutoff for row in rows.values()} == {DATA_END}


def test_counting_to_today_would_leave_no_trust_green(board):
    rows = _by_code(board, today=date(2026, 12, 2))
    assert "green" not in {row.light for row in rows.values()}


def test_the_cut_off_is_a_setting(board, settings):
    settings.DATA_CUTOFF = date(2024, 6, 1)
    rows = _by_code(board)
    assert {code: row.months_in for code, row in rows.items()} == {"RA1": 9, "RA2": 29, "RA3": 5}


def test_the_board_page_says_what_months_in_counts_to(board, login):
    html = login(board).get("/").content.decode()
    assert "to the data's cut-off (Jun 2025)" in html


def test_an_ordinal_score_casts_no_vote(board):
    ra3 = RegimeEpisode.objects.get(organisation__ods_code="RA3").organisation
    run = ComputationRun.objects.first()
    # RA3: one concern (ED); one improvement on RTT; one on the 1–4 financial score, which must not count.
    for code, kind in (("rtt_18wk", "proportion"), ("financial_stability", "score")):
        indicator = Indicator.objects.create(code=code, name=code, kind=kind, cadence="monthly")
        SpcSummary.objects.create(
            run=run, organisation=ra3, indicator=indicator, variation_icon="special_cause_improvement", points=[]
        )
    results_serve_run(run)
    row = _by_code(board)["RA3"]
    assert (row.spc_improvement, row.spc_concern, row.light) == (1, 1, "amber")
