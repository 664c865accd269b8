"""Methods §7 primary consequence: exited within the target and did not re-enter within 12 months."""

import numpy as np

from indicators.stats.survival import exit_within_target


def test_it_classifies_each_spell():
    outcome = exit_within_target(
        time_in_regime=[20, 30, 10, 22, 15, 5, 18],
        exited=[True, True, True, True, False, False, True],
        time_to_reentry=[40, 10, 8, 6, np.inf, np.inf, 12],
        reentered=[False, False, True, False, False, False, False],
        target_months=24,
    )
    # 1: success; 2: exited late; 3: re-entered within 12; 4: only 6 months of follow-up so far;
    # 5: still in after 15 (undetermined); 6: still in after 5 (undetermined); 7: followed for 12.
    np.testing.assert_array_equal(outcome.success, [True, False, False, False, False, False, True])
    np.testing.assert_array_equal(outcome.determined, [True, True, True, False, False, False, True])
    assert (outcome.n, outcome.n_determined, outcome.n_success) == (7, 4, 2)
    assert outcome.share == 0.5
    assert outcome.share_of_all == 2 / 7


def test_it_counts_a_spell_still_in_the_regime_past_the_target_as_a_failure():
    outcome = exit_within_target([30], [False], target_months=24)
    assert outcome.determined[0] and not outcome.success[0]


def test_it_uses_the_cp_target_of_twelve_months():
    outcome = exit_within_target([11, 13], [True, True], [24, 24], [False, False], target_months=12)
    np.testing.assert_array_equal(outcome.success, [True, False])
