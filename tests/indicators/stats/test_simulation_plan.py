"""The demo's regime and segment plans: Tables 13 and 22 for any seed, NOF4 from July 2021, segment 4 only in NOF4."""

import numpy as np
import pytest

from indicators.stats.simulation import CP_MONTHS, KEOGH_ENTRY, NOF4_FIRST_M, SMQ_MONTHS, month_of
from indicators.stats.simulation_plan import (
    CP,
    ESCALATED_FROM_CP,
    NOF4,
    NOF4_NEW_ENTRIES,
    RE_ENTRY,
    SMQ,
    TRANSFERRED,
    plan_regime_history,
    plan_trusts,
    segment_path,
)

END_M = month_of("2025-06")


def _signature(plans):
    return [(plan.kind, [(e.regime, e.entry, e.exit, e.route) for e in plan.episodes]) for plan in plans]


@pytest.mark.parametrize("seed", range(12))
def test_the_regime_history_plan_hits_table_22_for_any_seed(seed):
    plans = plan_regime_history(np.random.default_rng(seed))
    episodes = [episode for plan in plans for episode in plan]
    smq = [episode.months for episode in episodes if episode.regime == SMQ]
    cp = [episode.months for episode in episodes if episode.regime == CP]
    assert (len(plans), len(smq), len(cp)) == (62, 40, 49)
    assert np.mean(smq) == 27 and np.mean(cp) == 14
    assert SMQ_MONTHS[0] <= min(smq) and max(smq) <= SMQ_MONTHS[1]
    assert CP_MONTHS[0] <= min(cp) and max(cp) <= CP_MONTHS[1]
    assert sum(episode.route == ESCALATED_FROM_CP for episode in episodes) == 18
    assert sum(episode.route == RE_ENTRY and episode.regime == SMQ for episode in episodes) == 4


def test_the_same_seed_gives_the_same_plans_and_another_seed_does_not():
    first = _signature(plan_trusts(np.random.default_rng(3), END_M, keogh_is_real=False))
    assert _signature(plan_trusts(np.random.default_rng(3), END_M, keogh_is_real=False)) == first
    assert _signature(plan_trusts(np.random.default_rng(4), END_M, keogh_is_real=False)) != first


@pytest.mark.parametrize("seed", range(6))
def test_nof4_entries_start_in_july_2021_or_later_and_transfers_continue_open_smq_episodes(seed):
    plans = plan_trusts(np.random.default_rng(seed), END_M, keogh_is_real=False)
    nof4 = [episode for plan in plans for episode in plan.episodes if episode.regime == NOF4]
    transfers = [episode for episode in nof4 if episode.route == TRANSFERRED]
    assert len(nof4) - len(transfers) == NOF4_NEW_ENTRIES
    assert all(episode.entry >= NOF4_FIRST_M for episode in nof4)
    assert all(episode.exit is None or episode.entry < episode.exit < END_M for episode in nof4)
    for plan in plans:
        for before, after in zip(plan.episodes, plan.episodes[1:], strict=False):
            if after.route == TRANSFERRED:
                assert before.transfer and before.regime == SMQ and after.entry == NOF4_FIRST_M
    kinds = [plan.kind for plan in plans]
    assert kinds.count("ambulance") == 3 and kinds.count("mental_health") >= 5


def test_with_the_real_keogh_entries_loaded_no_keogh_history_is_planned():
    invented = plan_trusts(np.random.default_rng(1), END_M, keogh_is_real=False)
    assert sum(plan.episodes[0].entered() == KEOGH_ENTRY for plan in invented) == 11
    plans = plan_trusts(np.random.default_rng(1), END_M, keogh_is_real=True)
    assert not any(plan.episodes[0].keogh for plan in plans)
    assert len(plans) == len(invented) - 11


def test_a_trust_is_in_segment_4_exactly_while_in_nof4_and_in_3_just_before_and_after():
    quarters = list(range(month_of("2021-07"), month_of("2025-04") + 1, 3))
    entry, leave = month_of("2022-07"), month_of("2023-07")
    path = segment_path(np.random.default_rng(8), quarters, [(entry, leave)], troubled=True)
    assert len(path) == len(quarters)
    for quarter, segment in zip(quarters, path, strict=True):
        assert (segment == 4) == (entry <= quarter < leave)
        if entry - 6 <= quarter < entry or leave <= quarter < leave + 6:
            assert segment == 3
    assert set(path) <= {1, 2, 3, 4}
    assert segment_path(np.random.default_rng(8), quarters, [(entry, leave)], troubled=True) == path


def test_a_trust_never_in_nof4_is_never_in_segment_4():
    quarters = list(range(month_of("2021-07"), month_of("2025-04") + 1, 3))
    for seed in range(20):
        assert 4 not in segment_path(np.random.default_rng(seed), quarters, [], troubled=seed % 2 == 0)
