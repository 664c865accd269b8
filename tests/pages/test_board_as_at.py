"""The board and trust page "as at" a past date (issue 15): never results computed on data after it.

The world's data run monthly from Jan 2015 to Dec 2017; its SMQ (orgs[0]) and CP (orgs[1]) episodes
start in Jul 2016, orgs[2]'s SMQ episode runs Sep 2015 – Mar 2017, and orgs[4]'s NOF4 starts in 2021.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from actions.models import SavedView
from indicators import compute
from indicators.board import board_rows
from indicators.models import (
    AsAtRequest,
    ComputationRun,
    CurrentResult,
    Indicator,
    Observation,
    SpcSummary,
    TrajectoryFit,
    ZScore,
    reading_run,
)
from indicators.recompute import as_at_run, episode_records, results_prune, results_recompute, results_serve_run
from indicators.recompute.inputs import indicator_meta
from indicators.selectors import latest_successful_run
from trusts.selectors import episodes_open_on

pytestmark = pytest.mark.django_db

AS_AT = date(2016, 12, 31)  # after the SMQ/CP entries (Jul 2016), before orgs[2]'s exit (Mar 2017)
NOT_COMPUTED = date(2016, 3, 31)  # before those entries; no as-at run is made for it


@pytest.fixture(scope="module")
def as_at(world, django_db_blocker):
    """An as-at run for AS_AT, made inside the module's world (rolled back with it)."""
    with django_db_blocker.unblock():
        return results_recompute(triggered_by="test as-at", as_at=AS_AT)


def board_codes(response) -> list[str]:
    return re.findall(r'<span class="code">([A-Z0-9]+)</span>', response.content.decode())


def _truncated_frame(indicator: Indicator, day: date) -> pd.DataFrame:
    """The indicator's observations up to `day`, read through the ORM (not the recompute's bulk read)."""
    rows = Observation.objects.filter(indicator=indicator, period__lte=day).values(
        "organisation_id", "indicator_id", "period", "numerator", "denominator", "value", "lower", "upper"
    )
    frame = pd.DataFrame(list(rows))
    frame["period"] = pd.to_datetime(frame["period"])
    for column in ("numerator", "denominator", "value", "lower", "upper"):
        frame[column] = frame[column].astype(float)
    return frame


# --- the run ------------------------------------------------------------------------------------


def test_an_as_at_run_is_never_served_as_current(world, as_at):
    assert as_at.status == "succeeded" and as_at.as_at == AS_AT
    assert not CurrentResult.objects.filter(run=as_at).exists()
    assert latest_successful_run() != as_at  # the header's "data as of" stays today's
    assert as_at_run(AS_AT) == as_at
    assert as_at_run(NOT_COMPUTED) is None
    with pytest.raises(ValueError, match="never served"):
        results_serve_run(as_at)


def test_an_as_at_run_holds_no_result_on_data_after_its_date(world, as_at):
    today_end = max(ZScore.objects.values_list("period", flat=True))
    assert today_end == date(2017, 12, 1)
    with reading_run(as_at.pk):
        assert max(ZScore.objects.values_list("period", flat=True)) == date(2016, 12, 1)
        charted = [point["period"][:10] for chart in SpcSummary.objects.all() for point in chart.points]
        assert charted and max(date.fromisoformat(period) for period in charted) <= AS_AT
    assert as_at.data_as_of == date(2016, 12, 1)
    assert as_at.counts["data_cutoff"] == "2016-12-01"


def test_its_z_scores_and_spc_equal_an_independent_computation_on_the_truncated_data(world, as_at):
    indicator = world.indicators[0]
    meta = indicator_meta(indicator)
    _national, zscores = compute.compute_zscores(_truncated_frame(indicator, AS_AT), meta)
    expected = {
        (int(org), period.date()): z
        for org, period, z in zscores[["organisation_id", "period", "z_adj"]].itertuples(index=False)
    }
    with reading_run(as_at.pk):
        stored = {
            (org, period): z
            for org, period, z in ZScore.objects.filter(indicator=indicator).values_list(
                "organisation_id", "period", "z_adjusted"
            )
        }
        charts = {chart.organisation_id: chart for chart in SpcSummary.objects.filter(indicator=indicator)}
    assert stored.keys() == expected.keys()
    np.testing.assert_allclose([stored[key] for key in expected], list(expected.values()), rtol=1e-9)

    independent = {chart["organisation_id"]: chart for chart in compute.compute_spc(zscores, meta)}
    assert charts.keys() == independent.keys()
    for org, chart in charts.items():
        assert chart.mean == pytest.approx(independent[org]["mean"])
        assert chart.upper == pytest.approx(independent[org]["upper"])
        assert chart.variation_icon == independent[org]["variation_icon"]

    # Later data change the charts: today's differ from the as-at ones (so showing them would mislead).
    today = {chart.organisation_id: chart for chart in SpcSummary.objects.filter(indicator=indicator)}
    assert any(today[org].mean != pytest.approx(chart.mean) for org, chart in charts.items())
    slipping = world.slipping.pk  # worsening only from May 2017: a concern today, not as at Dec 2016
    assert today[slipping].variation_icon != charts[slipping].variation_icon


def test_the_prune_keeps_the_latest_as_at_runs_only(world, as_at, settings):
    results_prune()
    assert ZScore.all_runs.filter(run=as_at).exists()
    settings.AS_AT_RUNS_KEPT = 0
    results_prune()
    assert not ZScore.all_runs.filter(run=as_at).exists()
    assert as_at_run(AS_AT) is None  # a pruned run is not read: the page offers to compute it again


def test_the_command_refuses_bad_dates_and_runs_as_at_a_good_one(world):
    for text, reason in (("2025-02-30", "not a date"), ("abc", "not a date"), ("2999-01-01", "in the future")):
        with pytest.raises(CommandError, match=reason):
            call_command("recompute", as_at=text, verbosity=0)
    with pytest.raises(CommandError, match="every indicator"):
        call_command("recompute", as_at="2016-01-31", indicators=["ed_4hr"], verbosity=0)
    served = set(CurrentResult.objects.values_list("run_id", flat=True))
    call_command("recompute", as_at="2016-01-31", verbosity=0)
    run = ComputationRun.objects.filter(as_at=date(2016, 1, 31)).get()
    assert run.status == "succeeded" and "--as-at 2016-01-31" in run.triggered_by
    assert set(CurrentResult.objects.values_list("run_id", flat=True)) == served


# --- regime status as at the date ---------------------------------------------------------------


def test_the_board_as_at_a_date_lists_the_episodes_open_then(world, alice, as_at):
    with reading_run(as_at.pk):
        rows = {row.organisation.pk: row for row in board_rows(alice, as_at=AS_AT)}
    orgs = world.orgs
    # orgs[2] exited in Mar 2017: still in SMQ at the end of 2016. orgs[4] entered NOF4 in 2021: not yet.
    assert set(rows) == {orgs[0].pk, orgs[1].pk, orgs[2].pk}
    assert rows[orgs[2].pk].episode.exited is None
    # Whole months from entry to the as-at run's data cut-off (Dec 2016), by hand: Jul → Dec 2016.
    assert rows[orgs[0].pk].months_in == 5
    assert rows[orgs[2].pk].months_in == 15  # Sep 2015 → Dec 2016
    assert {row.cutoff for row in rows.values()} == {date(2016, 12, 1)}
    assert all(row.light != "grey" for row in rows.values())  # the as-at run has results for them


def test_a_trust_that_entered_after_the_date_is_not_shown_in_regime(world, alice, login, as_at):
    before_entry = login(alice).get(f"/?as_at={NOT_COMPUTED.isoformat()}")
    assert world.orgs[0].ods_code not in board_codes(before_entry)
    assert world.orgs[2].ods_code in board_codes(before_entry)
    page = login(alice).get(f"/trusts/{world.orgs[0].ods_code}/?as_at={NOT_COMPUTED.isoformat()}").content.decode()
    assert "Not in any regime on 31 Mar 2016" in page
    assert not episodes_open_on(alice, NOT_COMPUTED).filter(organisation=world.orgs[4]).exists()


def test_without_an_as_at_run_the_page_shows_no_results_and_offers_to_compute(world, alice, carol, login):
    response = login(alice).get(f"/?as_at={NOT_COMPUTED.isoformat()}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "As at 31 Mar 2016" in html and "no results have been computed" in html
    assert "Compute results as at 31 Mar 2016" in html
    assert {light for light in re.findall(r'light-cell"><span class="nhsuk-tag light light-(\w+)"', html)} == {
        "grey"
    }  # no light from today's data
    assert 'class="signal improving"' not in html  # no counts of signals nobody computed
    assert html.count("not computed as at 31 Mar 2016") == len(board_codes(response))
    assert "in a regime on 31 Mar 2016, sorted" in html
    assert "Compute results as at" not in login(carol).get(f"/?as_at={NOT_COMPUTED.isoformat()}").content.decode()


def test_only_oversight_staff_can_queue_an_as_at_run(world, alice, carol, login):
    path = f"/?as_at={NOT_COMPUTED.isoformat()}"
    login(carol).post("/as-at/compute/", {"as_at": NOT_COMPUTED.isoformat(), "next": path})
    assert as_at_run(NOT_COMPUTED) is None
    response = login(alice).post("/as-at/compute/", {"as_at": NOT_COMPUTED.isoformat(), "next": path})
    assert response.status_code == 302 and response["Location"] == path
    run = as_at_run(NOT_COMPUTED)  # eager Celery in tests: the task ran
    assert run is not None and "asked by alice" in run.triggered_by
    asked = AsAtRequest.objects.get()  # the request is in the audit trail: who asked, for which date
    assert asked.as_at == NOT_COMPUTED and asked.history.get().history_user == alice
    assert "Asked for results as at 2016-03-31" in login(alice).get("/audit/").content.decode()
    html = login(alice).get(path).content.decode()
    assert "results computed on data to Mar 2016" in html and f"as-at run {run.pk}" in html
    assert login(alice).get("/as-at/compute/").status_code == 405


def test_the_banner_and_the_way_back_to_today_are_on_every_as_at_page(world, alice, login, as_at):
    client = login(alice)
    for path in ("/", f"/trusts/{world.orgs[0].ods_code}/"):
        html = client.get(f"{path}?as_at={AS_AT.isoformat()}").content.decode()
        assert "As at 31 Dec 2016" in html
        assert "results computed on data to Dec 2016" in html
        assert f'href="{path}">Show today instead' in html
        assert "Data as of" not in html and f"as-at run {as_at.pk}" in html  # the header names the as-at run


def test_the_trust_page_as_at_reads_the_as_at_run(world, alice, login, as_at):
    code = world.orgs[0].ods_code
    html = login(alice).get(f"/trusts/{code}/?as_at={AS_AT.isoformat()}").content.decode()
    assert "5 months in" in html  # Jul → Dec 2016
    today = login(alice).get(f"/trusts/{code}/").content.decode()
    assert "Dec 2017" in today and "Dec 2017" not in html.split("Summary", 1)[1]


# --- rights, bad input, saved views -------------------------------------------------------------


def test_the_confidential_watch_list_stays_hidden_as_at_a_date(world, alice, carol, login, as_at):
    cp = world.orgs[1]
    for day in (AS_AT, NOT_COMPUTED + timedelta(days=200)):
        assert cp.ods_code not in board_codes(login(carol).get(f"/?as_at={day.isoformat()}"))
    assert cp.ods_code in board_codes(login(alice).get(f"/?as_at={AS_AT.isoformat()}"))
    with reading_run(as_at.pk):
        assert cp.pk not in {row.organisation.pk for row in board_rows(carol, as_at=AS_AT)}
    page = login(carol).get(f"/trusts/{cp.ods_code}/?as_at={AS_AT.isoformat()}").content.decode()
    assert "Challenged provider" not in page and ">CP<" not in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-02-30", "is not a date"),
        ("abc", "is not a date"),
        ("2999-01-01", "is in the future"),
        ("31/12/2016", "is not a date"),
    ],
)
def test_bad_dates_are_refused_with_a_message(world, alice, login, text, message):
    client = login(alice)
    for path in ("/", f"/trusts/{world.orgs[0].ods_code}/"):
        response = client.get(path, {"as_at": text})
        assert response.status_code == 400
        assert message in response.content.decode()
    response = client.post("/as-at/compute/", {"as_at": text, "next": "/"}, follow=True)
    assert message in response.content.decode()


def test_filters_sorts_and_exports_work_alongside_as_at(world, alice, login, as_at):
    client = login(alice)
    response = client.get("/", {"as_at": AS_AT.isoformat(), "region": "Y56", "sort": "trust"})
    codes = board_codes(response)
    assert world.orgs[0].ods_code in codes and world.orgs[2].ods_code in codes  # Y56: orgs 0, 2, 4
    assert world.orgs[1].ods_code not in codes
    html = response.content.decode()
    assert "as_at=2016-12-31" in html  # sorting links and trust links keep the date
    csv = client.get("/", {"as_at": AS_AT.isoformat(), "export": "csv"})
    assert "national-board-2016-12-31.csv" in csv["Content-Disposition"]
    assert world.orgs[2].ods_code in csv.content.decode()


def test_a_saved_view_remembers_filters_but_never_pins_an_as_at(world, alice, login):
    client = login(alice)
    client.post(reverse("actions:saved-view-save", args=["board"]), {"query": "region=Y56&as_at=2016-12-31"})
    view = SavedView.objects.get(user=alice, page="board")
    assert view.query == "region=Y56"
    assert client.get("/")["Location"] == "/?region=Y56"


def test_the_as_at_run_reads_episodes_as_they_stood(world, as_at):
    records = {(record.organisation_id, record.regime): record for record in episode_records(as_at=AS_AT)}
    orgs = world.orgs
    assert records[(orgs[2].pk, "SMQ")].exited is None  # exited in Mar 2017, after the date
    assert (orgs[4].pk, "NOF4") not in records  # entered in 2021
    assert {record.exited for record in episode_records() if record.organisation_id == orgs[2].pk} == {
        world.exited.exited
    }
    with reading_run(as_at.pk):
        fits = TrajectoryFit.objects.filter(organisation=orgs[2])
        assert fits.exists() and all(fit.spell_exited is None and fit.window_end <= AS_AT for fit in fits)
    assert TrajectoryFit.objects.filter(organisation=orgs[2], spell_exited=world.exited.exited).exists()


def test_the_api_names_an_as_at_run_and_filters_on_it(world, alice, as_at):
    from django.test import Client

    from tests.api.world import bearer, issue_token

    headers = bearer(issue_token(alice, "read"))
    client = Client()
    listed = {row["id"]: row["as_at"] for row in client.get("/api/v1/runs/?page_size=100", **headers).json()["results"]}
    assert listed[as_at.pk] == as_at.as_at.isoformat()
    assert any(value is None for value in listed.values()), "the ordinary run is listed with a null as_at"
    only = [row["id"] for row in client.get("/api/v1/runs/?as_at=true", **headers).json()["results"]]
    assert as_at.pk in only and all(listed[pk] is not None for pk in only)
    ordinary = [row["id"] for row in client.get("/api/v1/runs/?as_at=false", **headers).json()["results"]]
    assert ordinary and as_at.pk not in ordinary and all(listed[pk] is None for pk in ordinary)
    refused = client.get("/api/v1/runs/?as_at=maybe", **headers)
    assert refused.status_code == 400 and "as_at" in refused.json()["errors"]
