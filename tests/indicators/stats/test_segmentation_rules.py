"""The framework's boundary rules, held by worked examples calculated by hand."""

import random

import pytest

from indicators.stats.segmentation import (
    deficit_capped,
    distance_to_next_segment,
    furthest_domain,
    implied_upper_bounds,
    quartile_segments,
    segment_group,
    threshold_segment,
)


def test_eight_distinct_scores_fall_two_to_each_quartile():
    # n = 8: r = 0..7 trusts strictly better; segment = 1 + floor(4r / 8).
    assert quartile_segments([1.2, 1.5, 1.8, 2.0, 2.2, 2.5, 2.8, 3.1]) == [1, 1, 2, 2, 3, 3, 4, 4]


def test_a_tie_across_a_quartile_boundary_takes_the_better_segment():
    # Positions 1 and 2 (0-based) straddle the 1|2 boundary and share 1.20: both have r = 1,
    # 1 + floor(4 * 1 / 8) = 1, so segment 1 holds three trusts and segment 2 one.
    scores = [1.0, 1.2, 1.2, 1.6, 2.0, 2.2, 2.6, 3.0]
    assert quartile_segments(scores) == [1, 1, 1, 2, 3, 3, 4, 4]


def test_a_tie_spanning_two_boundaries_puts_the_whole_group_in_the_best_segment_it_touches():
    # r = 0, 1, 1, 1, 1, 5: 1 + floor(4r/6) = 1, 1, 1, 1, 1, 4.
    assert quartile_segments([1.0, 2.0, 2.0, 2.0, 2.0, 3.0]) == [1, 1, 1, 1, 1, 4]


def test_the_result_does_not_depend_on_the_order_of_the_trusts():
    scores = [1.0, 1.2, 1.2, 1.6, 2.0, 2.2, 2.6, 3.0, 2.2, 1.9, 2.8]
    expected = dict(zip(range(len(scores)), quartile_segments(scores)))
    order = list(range(len(scores)))
    random.Random(4).shuffle(order)
    shuffled = quartile_segments([scores[i] for i in order])
    assert {i: segment for i, segment in zip(order, shuffled)} == expected


def test_a_trust_in_deficit_is_no_better_than_segment_3():
    assert [deficit_capped(s, True, 3) for s in (1, 2, 3, 4)] == [3, 3, 3, 4]
    assert [deficit_capped(s, False, 3) for s in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert deficit_capped(1, None, 3) == 1  # an unknown flag does not cap
    assert deficit_capped(1, True, None) == 1  # a framework without the cap


def test_the_cap_is_applied_after_the_quartiles_and_does_not_move_the_others():
    placements = segment_group(
        [1.2, 1.5, 1.8, 2.0, 2.2, 2.5, 2.8, 3.1],
        [True, False, False, True, False, False, True, False],
        rule="quartile_within_category",
        parameters={"deficit_cap": 3},
    )
    assert [p.before_cap for p in placements] == [1, 1, 2, 2, 3, 3, 4, 4]
    assert [p.segment for p in placements] == [3, 1, 2, 3, 3, 3, 4, 4]
    assert [p.capped for p in placements] == [True, False, False, True, False, False, False, False]


def test_fixed_thresholds_put_a_score_on_a_threshold_in_the_better_segment():
    thresholds = [2.1, 2.4, 2.7]
    assert [threshold_segment(s, thresholds) for s in (1.0, 2.1, 2.11, 2.4, 2.7, 2.71, 4.0)] == [1, 1, 2, 2, 3, 4, 4]
    with pytest.raises(ValueError, match="increasing"):
        threshold_segment(2.0, [2.4, 2.1, 2.7])


def test_a_judgement_rule_has_nothing_to_compute():
    with pytest.raises(ValueError, match="judgement"):
        segment_group([2.0], [False], rule="judgement", parameters={})


def test_implied_bounds_are_the_worst_uncapped_score_of_each_segment():
    scores = [1.36, 2.06, 1.50, 2.13, 2.35, 2.40, 2.69, 2.71]
    segments = [1, 1, 3, 2, 2, 3, 3, 4]
    capped = [False, False, True, False, False, False, False, False]
    # 1.50 is in 3 only because of its deficit: it does not stretch segment 3's bound downwards.
    assert implied_upper_bounds(scores, segments, capped) == [2.06, 2.35, 2.69]


def test_distance_to_the_next_segment_by_hand():
    bounds = [2.06, 2.35, 2.69]
    # 2.50 in segment 3: falling to 2.35 (−0.15) reaches 2; rising past 2.69 (+0.19) drops to 4.
    distance = distance_to_next_segment(2.50, 3, bounds)
    assert (distance.to_better, distance.to_worse) == (pytest.approx(0.15), pytest.approx(0.19))
    assert distance.nearest == ("better", pytest.approx(0.15))
    # Segment 1 cannot improve; its margin is 2.06 − 1.90 = 0.16.
    top = distance_to_next_segment(1.90, 1, bounds)
    assert (top.to_better, top.to_worse) == (None, pytest.approx(0.16))
    # A deficit trust held at 3 cannot score its way to 2; it is 2.69 − 1.90 = 0.79 from 4.
    capped = distance_to_next_segment(1.90, 3, bounds, in_deficit=True, cap=3)
    assert (capped.to_better, capped.to_worse, capped.capped_by_deficit) == (None, pytest.approx(0.79), True)
    # Segment 4 can only improve: 2.95 − 2.69 = 0.26.
    assert distance_to_next_segment(2.95, 4, bounds).nearest == ("better", pytest.approx(0.26))


def test_the_furthest_domain_is_the_largest_gap_worse_than_the_category_median():
    own = {"access": 3, "patient_safety": 4, "people_workforce": 1}
    peers = {"access": [1, 2, 3, 3], "patient_safety": [2, 2, 2, 4, 4], "people_workforce": [2, 2]}
    # access: 3 − 2.5 = 0.5; patient safety: 4 − 2 = 2; people: 1 − 2 = −1.
    assert furthest_domain(own, peers) == ("patient_safety", 2.0)
    assert furthest_domain({"access": None}, peers) is None
