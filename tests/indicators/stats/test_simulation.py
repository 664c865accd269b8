"""The synthetic demo's simulation: seeded, shaped trusts × periods, within the ranges a series can hold."""

from datetime import date

import numpy as np
import pytest

from indicators.stats.simulation import (
    SERIES,
    STAFF_SURVEY_MEANS,
    RegimeEffect,
    ar1_noise,
    expit,
    month_number,
    month_of,
    month_start,
    national_shift,
    quarter_ceil,
    quarter_floor,
    regime_offset,
    shmi_limits,
    simulate_series,
    spell_months,
    spells_from_episodes,
    valid_periods,
)

JULY_2019, JUNE_2025 = month_of("2019-07"), month_of("2025-06")
MONTHS = np.arange(JULY_2019, JUNE_2025 + 1)
# Four trusts: one never in a regime, one a Keogh trust in SMQ, one in CP and back, one opened late and closed.
SPELLS = [
    [],
    [(date(2013, 7, 16), date(2016, 3, 1))],
    [(date(2018, 1, 1), date(2019, 6, 30)), (date(2021, 7, 1), None)],
    [],
]
KEOGH = np.array([False, True, False, False])
SPANS = [(None, None), (None, None), (None, None), (date(2020, 3, 15), date(2023, 4, 1))]


def _simulate(seed: int = 4):
    return simulate_series(np.random.default_rng(seed), seed, MONTHS, SPELLS, KEOGH, SPANS)


def _blocks(seed: int = 4):
    return {block.code: block for block in _simulate(seed)}


# --- months ------------------------------------------------------------------------------------


def test_month_numbers_count_months_from_year_zero_and_round_trip():
    assert month_number(date(2013, 1, 1)) == 24156 == month_of("2013-01")
    assert month_start(month_number(date(2021, 6, 30))) == date(2021, 6, 1)
    assert (quarter_floor(month_of("2021-08")), quarter_ceil(month_of("2021-08"))) == (
        month_of("2021-07"),
        month_of("2021-10"),
    )
    assert quarter_floor(month_of("2021-10")) == quarter_ceil(month_of("2021-10")) == month_of("2021-10")


def test_a_spell_counts_its_exit_month_only_when_the_exit_falls_after_the_first_day():
    assert spell_months([(date(2016, 3, 1), date(2017, 5, 1))]) == [(month_of("2016-03"), month_of("2017-05"))]
    assert spell_months([(date(2016, 3, 10), date(2017, 5, 2))]) == [(month_of("2016-03"), month_of("2017-06"))]
    assert spell_months([(date(2016, 3, 1), None)]) == [(month_of("2016-03"), None)]


def test_episodes_that_follow_on_within_a_day_are_one_spell_and_an_open_one_keeps_it_open():
    escalated = [(date(2017, 1, 1), date(2018, 6, 30)), (date(2018, 7, 1), date(2019, 3, 1))]
    assert spells_from_episodes(escalated) == [(date(2017, 1, 1), date(2019, 3, 1))]
    apart = [(date(2019, 9, 1), None), (date(2014, 1, 1), date(2015, 1, 1))]
    assert spells_from_episodes(apart) == [(date(2014, 1, 1), date(2015, 1, 1)), (date(2019, 9, 1), None)]
    transferred = [(date(2019, 1, 1), date(2021, 6, 30)), (date(2021, 7, 1), None)]
    assert spells_from_episodes(transferred) == [(date(2019, 1, 1), None)]


def test_a_trust_exists_from_the_first_whole_month_after_opening_until_the_month_it_closes():
    months = np.arange(month_of("2020-02"), month_of("2020-07"))  # February to June 2020
    mask = valid_periods([(None, None), (date(2020, 3, 15), date(2020, 6, 1)), (date(2020, 3, 1), None)], months)
    assert mask.tolist() == [
        [True, True, True, True, True],
        [False, False, True, True, False],
        [False, True, True, True, True],
    ]


# --- regime effects ----------------------------------------------------------------------------


def test_regime_offset_codes_the_interrupted_time_series_terms():
    effect = RegimeEffect(0.01, -0.1, -0.02, 0.03, hold_after=5)
    times = [81, 82, 99, 100, 105, 110, 112, 115, 130]
    offset = regime_offset(times, [(100, 110)], effect, pre_periods=18)
    expected = [0.0, 0.0, 0.17, 0.08, 0.03, -0.02, 0.06, 0.18, 0.18]
    assert np.allclose(offset, expected)
    still_in = regime_offset([130], [(100, None)], effect, pre_periods=18)
    assert np.allclose(still_in, [0.01 * 48 - 0.1 - 0.02 * 30])


def test_a_second_spell_stops_the_first_moving_where_its_own_pre_entry_window_begins():
    effect = RegimeEffect(0.0, 0.0, 0.0, 0.01)  # only the slope after exit, running on
    offset = regime_offset([110, 120, 125, 130], [(100, 110), (130, None)], effect, pre_periods=10)
    assert np.allclose(offset, [0.0, 0.10, 0.10, 0.10])


def test_shmi_limits_match_the_methods_worked_example():
    lower, upper = shmi_limits(np.array([1000.0]), tau2=0.003015067)
    assert upper[0] == pytest.approx(1.1322335, abs=1e-6)
    assert lower[0] == pytest.approx(1 / 1.1322335, abs=1e-6)


# --- draws -------------------------------------------------------------------------------------


def test_ar1_noise_is_seeded_and_keeps_its_marginal_spread():
    first = ar1_noise(np.random.default_rng(1), (400, 60), 0.05)
    assert np.array_equal(first, ar1_noise(np.random.default_rng(1), (400, 60), 0.05))
    assert first.std() == pytest.approx(0.05, rel=0.05)
    lag_one = np.corrcoef(first[:, 1:].ravel(), first[:, :-1].ravel())[0, 1]
    assert lag_one == pytest.approx(0.6, abs=0.05)


def test_the_national_shift_holds_the_weighted_national_proportion_at_its_published_level():
    rng = np.random.default_rng(2)
    national = np.linspace(-2.5, -0.5, 12)
    trust_logits = rng.normal(0.4, 0.5, (30, 12))  # a skewed mix: most trusts worse than national
    weights = rng.uniform(100, 5000, (30, 12))
    shift = national_shift(national, trust_logits, weights)
    p = expit(national[None, :] + shift[None, :] + trust_logits)
    assert np.allclose((weights * p).sum(axis=0) / weights.sum(axis=0), expit(national), atol=1e-9)


def test_the_same_seed_gives_the_same_series_and_another_seed_does_not():
    first, again, other = _simulate(4), _simulate(4), _simulate(5)
    for a, b in zip(first, again, strict=True):
        assert a.code == b.code
        for column in ("mask", "numerators", "denominators", "values", "lowers", "uppers"):
            x, y = getattr(a, column), getattr(b, column)
            assert (x is None and y is None) or np.array_equal(x, y)
    assert not np.array_equal(first[0].numerators, other[0].numerators)


def test_every_series_comes_once_in_order_with_trusts_by_periods_arrays():
    blocks = _simulate()
    assert [block.code for block in blocks] == [*SERIES, "shmi", *STAFF_SURVEY_MEANS, "financial_stability"]
    for block in blocks:
        shape = (len(SPELLS), block.periods.size)
        assert block.mask.shape == shape
        for column in (block.numerators, block.denominators, block.values, block.lowers, block.uppers):
            assert column is None or column.shape == shape


def test_proportions_are_whole_counts_within_their_denominators_and_stop_when_collection_stopped():
    blocks = _blocks()
    for code in SERIES:
        block = blocks[code]
        assert np.array_equal(block.numerators, np.rint(block.numerators))
        assert (block.denominators >= 1).all() and (block.numerators <= block.denominators).all()
        assert np.allclose(block.values, block.numerators / block.denominators)
        assert np.array_equal(block.periods, MONTHS)
    dtoc = blocks["dtoc"].mask
    assert dtoc[0, MONTHS <= month_of("2020-02")].all() and not dtoc[:, MONTHS > month_of("2020-02")].any()


def test_a_trust_has_values_only_while_it_existed():
    mask = _blocks()["rtt_18wk"].mask[3]
    assert not mask[MONTHS <= month_of("2020-03")].any()
    assert mask[(MONTHS >= month_of("2020-04")) & (MONTHS < month_of("2023-04"))].all()
    assert not mask[MONTHS >= month_of("2023-04")].any()


def test_shmi_is_quarterly_within_the_months_with_limits_around_one_and_nationally_one():
    shmi = _blocks()["shmi"]
    assert shmi.periods[0] == month_of("2019-07") and shmi.periods[-1] == month_of("2025-04")
    assert (np.diff(shmi.periods) == 3).all()
    assert (shmi.lowers < 1).all() and (shmi.uppers > 1).all()
    full = shmi.mask.all(axis=0)  # quarters every trust is in: the ratio of totals is exactly one
    totals = shmi.numerators[:, full].sum(axis=0) / shmi.denominators[:, full].sum(axis=0)
    assert np.allclose(totals, 1.0, atol=0.01)


def test_the_staff_survey_runs_from_the_first_whole_year_to_the_last_published_one_on_a_0_to_10_scale():
    blocks = _blocks()
    for code in STAFF_SURVEY_MEANS:
        block = blocks[code]
        assert (block.periods // 12).tolist() == list(range(2020, 2025))
        assert (block.values >= 0).all() and (block.values <= 10).all()
        assert np.allclose(block.values, np.round(block.values, 2))
    engagement = STAFF_SURVEY_MEANS["staff_survey_engagement"]
    assert blocks["staff_survey_engagement"].values.mean() == pytest.approx(engagement, abs=1.0)


def test_financial_stability_is_a_whole_score_from_1_to_4_each_quarter():
    block = _blocks()["financial_stability"]
    assert set(np.unique(block.values).tolist()) <= {1.0, 2.0, 3.0, 4.0}
    assert (np.diff(block.periods) == 3).all() and block.periods[-1] == month_of("2025-04")


def test_a_range_too_short_for_a_quarter_or_a_survey_year_gives_only_the_monthly_series():
    months = np.arange(month_of("2024-08"), month_of("2024-10"))  # August and September 2024
    blocks = simulate_series(np.random.default_rng(1), 1, months, SPELLS, KEOGH, SPANS)
    assert [block.code for block in blocks] == list(SERIES)
