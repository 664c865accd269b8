"""Exit likelihood: a proportional-hazards fit over the programme's episodes, each open episode's probability shown."""

import csv
import io
from datetime import date

import pytest

from indicators.stats.periods import shift_months

pytestmark = pytest.mark.django_db

TODAY = date.today()


@pytest.fixture
def programme(regimes, make_org):
    """40 closed episodes (30 SMQ, 10 CP; exits after 6–45 months), 6 open SMQ and 2 open CP, all synthetic."""
    from trusts.models import RegimeEpisode

    episodes = []
    for i in range(40):
        org = make_org(f"RP{i:02d}")
        entered = date(2014, 1 + i % 12, 1)
        regime = regimes["CP"] if i % 4 == 0 else regimes["SMQ"]
        if regime.code == "CP":
            entered = date(2016, 1 + i % 12, 1)
        exited = shift_months(entered, 6 + (i * 7) % 40)
        episodes.append(RegimeEpisode(organisation=org, regime=regime, entered=entered, exited=exited, synthetic=True))
    for i in range(6):
        episodes.append(
            RegimeEpisode(
                organisation=make_org(f"RO{i}"), regime=regimes["SMQ"], entered=date(2020, 1 + i, 1), synthetic=True
            )
        )
    for i in range(2):
        episodes.append(
            RegimeEpisode(
                organisation=make_org(f"RC{i}"), regime=regimes["CP"], entered=date(2020, 3, 1), synthetic=True
            )
        )
    RegimeEpisode.objects.bulk_create(episodes)


def test_it_reports_the_concordance_and_each_open_episode_probability_marked_synthetic(login, alice, programme):
    from indicators.exit_likelihood import exit_model_report

    report = exit_model_report(alice)
    assert report.error == ""
    assert (report.fit.n, report.fit.n_events, report.n_synthetic) == (48, 40, 48)
    assert 0.0 <= report.fit.concordance <= 1.0 and report.fit.cv_concordance is not None
    assert len(report.open) == 8
    for item in report.open:
        assert item.beyond_follow_up or 0.0 <= item.low <= item.probability <= item.high <= 1.0

    page = login(alice).get("/analytics/exit-likelihood/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Concordance (Harrell&#x27;s C)" in text or "Concordance (Harrell's C)" in text
    assert f"{report.fit.concordance:.3f}" in text
    assert "48 of the 48 episodes the model was fitted on are generated demo data" in text

    rows = list(
        csv.DictReader(io.StringIO(login(alice).get("/analytics/exit-likelihood/?format=csv").content.decode()))
    )
    assert len(rows) == 8 and {row["synthetic"] for row in rows} == {"yes"}
    assert {row["org_code"] for row in rows} == {f"RO{i}" for i in range(6)} | {"RC0", "RC1"}


def test_someone_without_confidential_access_gets_a_fit_without_the_cp_episodes(login, carol, programme):
    from indicators.exit_likelihood import exit_model_report

    report = exit_model_report(carol)
    assert report.fit.n == 36  # the 10 closed and 2 open CP episodes are not theirs to see
    assert all(item.episode.regime.code == "SMQ" for item in report.open)
    text = login(carol).get("/analytics/exit-likelihood/").content.decode()
    assert "RC0" not in text and "regime CP" not in text


def test_no_episodes_says_so(login, alice):
    page = login(alice).get("/analytics/exit-likelihood/")
    assert page.status_code == 200 and "No regime episodes are held." in page.content.decode()
