"""A small world for the API, records and security tests, with confidential data to guard.

RB1, RB2 — bob's trusts; RB1 is in SMQ with a stocktake, a criterion, funding and a note.
RZ9      — somebody else's trust, in SMQ with the same records, and an unpublished segment.
RW8      — "Watchlist Marker Trust", on the confidential CP watch list (and nowhere else).

The markers below appear only in confidential records, so a response that contains one leaked it.
"""

from contextlib import contextmanager
from datetime import date

import pytest

CP_TRUST_NAME = "Watchlist Marker Trust"
CP_REASON_MARKER = "cp-secret-reason-7f3a"
UNPUBLISHED_MARKER = "unpublished-source-7f3a"
CONFIDENTIAL_MARKERS = (CP_TRUST_NAME, CP_REASON_MARKER, UNPUBLISHED_MARKER)


def episode_records(episode, label: str):
    """A stocktake, an exit criterion, a funding line and a note for an episode."""
    from trusts.models import DiagnosticStocktake, EpisodeNote, ExitCriterion, SupportFunding

    stocktake = DiagnosticStocktake.objects.create(episode=episode, root_causes=f"root causes at {label}")
    criterion = ExitCriterion.objects.create(
        episode=episode, theme="governance", description=f"Board governance at {label} reviewed"
    )
    funding = SupportFunding.objects.create(
        episode=episode, year=2024, category="care_improvement", budget=500000, spent=1000
    )
    note = EpisodeNote.objects.create(episode=episode, text=f"note at {label}")
    return {"stocktake": stocktake, "criterion": criterion, "funding": funding, "note": note}


@pytest.fixture
def world(db, regimes, alice, bob, carol, bob_trusts, other_trust, make_org):
    from indicators.models import (
        Alert,
        ComputationRun,
        ImportBatch,
        Indicator,
        Observation,
        PooledEffect,
        TrajectoryFit,
        ZScore,
    )
    from indicators.recompute import results_serve_run
    from trusts.models import RegimeEpisode, SegmentAssignment

    rb1, rb2 = bob_trusts
    cp_trust = make_org("RW8", CP_TRUST_NAME)
    own = RegimeEpisode.objects.create(organisation=rb1, regime=regimes["SMQ"], entered=date(2019, 1, 1))
    other = RegimeEpisode.objects.create(organisation=other_trust, regime=regimes["SMQ"], entered=date(2018, 6, 1))
    cp = RegimeEpisode.objects.create(
        organisation=cp_trust, regime=regimes["CP"], entered=date(2017, 3, 1), reason=CP_REASON_MARKER
    )
    records = {"own": episode_records(own, "RB1"), "other": episode_records(other, "RZ9")}
    records["cp"] = episode_records(cp, CP_REASON_MARKER)
    for organisation in (rb1, rb2, other_trust, cp_trust):
        SegmentAssignment.objects.create(organisation=organisation, segment=2, effective_from=date(2022, 4, 1))
    hidden_segment = SegmentAssignment.objects.create(
        organisation=other_trust,
        segment=4,
        effective_from=date(2025, 1, 1),
        published=False,
        source=UNPUBLISHED_MARKER,
    )
    indicator = Indicator.objects.create(code="ed_4hr", name="ED 4-hour breaches", kind="proportion", cadence="monthly")
    batch = ImportBatch.objects.create(file_name="demo.csv", sha256="0" * 64, format="synthetic", synthetic=True)
    run = ComputationRun.objects.create(method_version="test", status="succeeded")
    for organisation in (rb1, other_trust, cp_trust):
        Observation.objects.create(
            organisation=organisation,
            indicator=indicator,
            period=date(2024, 1, 1),
            numerator=10,
            denominator=100,
            value=0.1,
            batch=batch,
        )
        ZScore.objects.create(
            run=run,
            organisation=organisation,
            indicator=indicator,
            period=date(2024, 1, 1),
            value=0.1,
            z=1.0,
            z_adjusted=0.5,
        )
        Alert.objects.create(
            run=run, organisation=organisation, indicator=indicator, period=date(2024, 1, 1), statistic=5, threshold=4.4
        )
    # cp_trust's spell runs through a confidential regime, and is stamped so as the recompute would.
    cp_series = [{"period": "2017-03-01", "z_adj": 0.4, "fitted": 0.3, "counterfactual": 0.5}]
    for organisation, group, entered, confidential, series in (
        (cp_trust, "CP", date(2017, 3, 1), True, cp_series),
        (rb1, "SMQ", date(2019, 1, 1), False, []),
    ):
        TrajectoryFit.objects.create(
            run=run,
            organisation=organisation,
            indicator=indicator,
            regime_group=group,
            spell_entered=entered,
            regimes=group,
            confidential=confidential,
            method="ols",
            n=30,
            n_change_points=1,
            coefficients={},
            series=series,
        )
    PooledEffect.objects.create(run=run, indicator=indicator, regime_group="SMQ", quantity="level_change", n=3)
    results_serve_run(run)  # results are read through the current-run pointer (issue 11)
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "own_episode": own,
        "other_episode": other,
        "cp_episode": cp,
        "records": records,
        "hidden_segment": hidden_segment,
        "indicator": indicator,
        "run": run,
        "cp_trust": cp_trust,
    }


def issue_token(user, scope: str, name: str = "test") -> str:
    """Issue a token for `user` and return its key (as issue_token prints it)."""
    from oversight.models import ApiToken

    key = ApiToken.new_key()
    token = ApiToken(user=user, scope=scope, name=name)
    token.set_key(key)
    token.save()
    return key


@pytest.fixture
def tokens(world):
    """Keys of a read and a confidential token of alice, and a write token of bob (and of alice)."""
    return {
        "read": issue_token(world["alice"], "read"),
        "confidential": issue_token(world["alice"], "confidential"),
        "write_bob": issue_token(world["bob"], "write"),
        "write_alice": issue_token(world["alice"], "write"),
    }


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def patch_criterion(client, criterion, key: str | None = None):
    """An edit of `criterion` through the API (its evidence, at version 1), with `key`'s token if given."""
    return client.patch(
        f"/api/v1/criteria/{criterion.pk}/",
        {"evidence": "x", "version": 1},
        content_type="application/json",
        **(bearer(key) if key else {}),
    )


@contextmanager
def wsgi_on_the_test_connection():
    """Requests sent to the WSGI app in the block keep the test's connection, as the test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; each test starts with a full allowance."""
    from django.core.cache import cache

    cache.clear()
    yield
