"""The regime taxonomy is data: every analysis reads a regime's family, so SMF, QSM and a new row count."""

from datetime import date

import pytest

from indicators import compute
from indicators.compute import EpisodeRecord
from indicators.models import AnalysisResult, PooledEffect, TrajectoryFit
from indicators.recompute import results_recompute
from tests.indicators.builders import episode, month, organisations, panel, proportion_indicator
from trusts.constants import RegimeFamily
from trusts.models import Regime

CUTOFF = date(2024, 1, 1)


def test_the_pipeline_spells_the_same_families_as_the_model():
    assert set(compute.FAMILIES) == set(RegimeFamily.values)
    assert set(compute.GROUP_OF_FAMILY) == set(RegimeFamily.values)


@pytest.mark.django_db
def test_the_seeded_regimes_carry_their_family():
    families = dict(Regime.objects.values_list("code", "family"))
    assert families["SMQ"] == families["QSM"] == RegimeFamily.QUALITY
    assert families["SMF"] == families["FSM"] == RegimeFamily.FINANCE
    assert families["CP"] == RegimeFamily.WATCH_LIST
    assert families["NOF4"] == RegimeFamily.RECOVERY
    assert families["PIP"] == RegimeFamily.IMPROVEMENT  # the Provider Improvement Programme (issue 13)
    assert Regime.objects.get(code="CP").confidential


def test_an_smf_stay_is_its_own_spell_and_leaves_the_smq_spell_as_it_was():
    episodes = [
        EpisodeRecord(1, "SMQ", date(2016, 1, 1), date(2018, 1, 1), "direct", RegimeFamily.QUALITY),
        EpisodeRecord(1, "SMF", date(2016, 7, 1), date(2019, 6, 30), "direct", RegimeFamily.FINANCE),
    ]
    spells = compute.spells_by_organisation(episodes)[1]
    assert [(s.regimes, s.entered, s.exited, compute.spell_group(s)) for s in spells] == [
        (("SMQ",), date(2016, 1, 1), date(2018, 1, 1), "SMQ"),
        (("SMF",), date(2016, 7, 1), date(2019, 6, 30), "SMF"),
    ]


def test_qsm_after_smq_is_one_stay_in_quality_special_measures():
    episodes = [
        EpisodeRecord(1, "SMQ", date(2017, 1, 1), date(2019, 3, 31), "direct", RegimeFamily.QUALITY),
        EpisodeRecord(1, "QSM", date(2019, 4, 1), date(2020, 1, 31), "transferred", RegimeFamily.QUALITY),
        EpisodeRecord(2, "QSM", date(2019, 6, 1), None, "direct", RegimeFamily.QUALITY),
    ]
    document = compute.compute_time_in_regime(episodes, {"SMQ": 24, "QSM": 24}, CUTOFF)
    smq = document["regimes"]["SMQ"]
    assert (smq["n"], smq["n_exited"], smq["codes"], smq["target_months"]) == (2, 1, ["QSM", "SMQ"], 24)
    # 1 Jan 2017 to 31 Jan 2020: 1125 days = 36.96 months of 365.25/12 days.
    assert smq["mean_months_exited"] == pytest.approx(1125 / (365.25 / 12))
    categories = compute.compute_categories(episodes, {}, as_of=CUTOFF)
    assert categories["organisations"]["1"] == ["prolonged_poor_performer"]
    assert categories["organisations"]["2"] == ["prolonged_poor_performer"]  # ongoing since 2019: > 24 months


def test_a_regime_of_a_new_family_row_is_grouped_by_its_family_not_its_code():
    episodes = [EpisodeRecord(1, "XIP", date(2022, 1, 1), date(2023, 1, 1), "direct", RegimeFamily.IMPROVEMENT)]
    assert compute.spell_group(compute.spells_by_organisation(episodes)[1][0]) == "IMP"
    document = compute.compute_time_in_regime(episodes, {"XIP": 6}, CUTOFF)
    assert document["regimes"]["IMP"]["n"] == 1 and document["regimes"]["IMP"]["target_months"] == 6
    # A new quality special measures regime counts with SMQ, by its family.
    renamed = [EpisodeRecord(1, "QSM25", date(2022, 1, 1), None, "direct", RegimeFamily.QUALITY)]
    assert compute.spell_group(compute.spells_by_organisation(renamed)[1][0]) == "SMQ"
    assert "SMQ" in compute.compute_time_in_regime(renamed, {}, CUTOFF)["regimes"]


@pytest.fixture
def taxonomy_panel(db):
    """30 trusts over 60 months; four in SMF, four in a regime added as a row (an improvement programme)."""
    indicator = proportion_indicator()
    orgs = organisations(30)
    panel(indicator, orgs, month(2014, 1), 60, seed=5)
    added = Regime.objects.create(
        code="IMPX",
        name="Improvement programme X",
        family=RegimeFamily.IMPROVEMENT,
        valid_from=date(2014, 1, 1),
        exit_target_months=18,
    )
    for i in range(4):
        episode(orgs[i], "SMF", date(2016, 7, 1), exited=date(2018, 3, 31))
        episode(orgs[10 + i], added.code, date(2016, 1, 1), exited=date(2017, 6, 30) if i < 2 else None)
    return indicator, orgs


def test_smf_and_a_newly_added_regime_are_fitted_pooled_and_timed_without_code_changes(taxonomy_panel):
    indicator, _ = taxonomy_panel
    results_recompute(triggered_by="test")
    groups = sorted(TrajectoryFit.objects.filter(indicator=indicator).values_list("regime_group", "regimes"))
    assert groups == [("IMP", "IMPX")] * 4 + [("SMF", "SMF")] * 4
    assert PooledEffect.objects.get(indicator=indicator, regime_group="SMF", quantity="level_change").n == 4
    assert PooledEffect.objects.get(indicator=indicator, regime_group="IMP", quantity="level_change").n == 4
    regimes = AnalysisResult.objects.get(key="time_in_regime").payload["regimes"]
    assert (regimes["SMF"]["n"], regimes["SMF"]["n_exited"], regimes["SMF"]["codes"]) == (4, 4, ["SMF"])
    assert (regimes["IMP"]["n"], regimes["IMP"]["n_exited"], regimes["IMP"]["target_months"]) == (4, 2, 18)
