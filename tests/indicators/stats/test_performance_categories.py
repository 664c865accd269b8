"""Report Table 3: performance categories recomputed from one organisation's episodes (they may overlap)."""

from datetime import date

from indicators.stats.categories import performance_categories


def test_it_calls_two_years_in_smq_a_prolonged_poor_performer():
    assert performance_categories([("SMQ", date(2013, 7, 16), date(2015, 7, 16))]) == {"prolonged_poor_performer"}
    assert performance_categories([("SMQ", date(2013, 7, 16), date(2015, 7, 15))]) == set()


def test_it_counts_an_ongoing_smq_stay_up_to_the_as_of_date():
    episodes = [("SMQ", date(2019, 1, 1), None)]
    assert performance_categories(episodes, as_of=date(2021, 1, 1)) == {"prolonged_poor_performer"}
    assert performance_categories(episodes, as_of=date(2020, 6, 1)) == set()
    assert performance_categories(episodes) == set()


def test_it_calls_smq_re_entry_a_prolonged_poor_performer():
    episodes = [("SMQ", date(2014, 1, 1), date(2015, 1, 1)), ("SMQ", date(2016, 6, 1), date(2017, 1, 1))]
    assert "prolonged_poor_performer" in performance_categories(episodes)


def test_it_does_not_mistake_a_split_record_for_re_entry():
    episodes = [("SMQ", date(2014, 1, 1), date(2014, 6, 30)), ("QSM", date(2014, 7, 1), date(2015, 1, 1))]
    assert performance_categories(episodes) == set()


def test_it_calls_cp_then_smq_a_poor_performer():
    episodes = [("CP", date(2016, 1, 1), date(2016, 10, 31)), ("SMQ", date(2016, 11, 1), date(2018, 1, 1))]
    assert performance_categories(episodes) == {"poor_performer"}


def test_it_lets_categories_overlap():
    episodes = [("CP", date(2016, 1, 1), date(2016, 10, 31)), ("SMQ", date(2016, 11, 1), date(2019, 1, 1))]
    assert performance_categories(episodes) == {"poor_performer", "prolonged_poor_performer"}


def test_it_calls_a_short_cp_stay_without_smq_shorter_term_cp():
    assert performance_categories([("CP", date(2016, 1, 1), date(2017, 6, 1))]) == {"shorter_term_cp"}


def test_it_does_not_call_a_long_cp_stay_or_one_after_smq_shorter_term():
    assert performance_categories([("CP", date(2016, 1, 1), date(2018, 3, 1))]) == set()
    episodes = [("SMQ", date(2013, 7, 1), date(2014, 6, 1)), ("CP", date(2016, 1, 1), date(2016, 6, 1))]
    assert "shorter_term_cp" not in performance_categories(episodes)


def test_it_adds_up_separate_cp_stays():
    episodes = [("CP", date(2016, 1, 1), date(2017, 1, 1)), ("CP", date(2018, 1, 1), date(2019, 2, 1))]
    assert "shorter_term_cp" not in performance_categories(episodes)


def test_it_calls_an_exit_followed_by_a_good_rating_a_clear_improver():
    episodes = [("SMQ", date(2014, 1, 1), date(2015, 6, 1))]
    ratings = [(date(2014, 3, 1), "inadequate"), (date(2016, 9, 1), "good")]
    assert performance_categories(episodes, later_ratings=ratings) == {"clear_improver"}


def test_it_does_not_call_a_trust_that_re_entered_a_clear_improver():
    episodes = [("SMQ", date(2014, 1, 1), date(2015, 6, 1)), ("CP", date(2017, 1, 1), date(2017, 6, 1))]
    ratings = [(date(2016, 1, 1), "Outstanding")]
    assert "clear_improver" not in performance_categories(episodes, later_ratings=ratings)


def test_it_needs_the_good_rating_after_exit():
    episodes = [("CP", date(2016, 1, 1), date(2016, 9, 1))]
    assert performance_categories(episodes, later_ratings=[(date(2016, 8, 1), "good")]) == {"shorter_term_cp"}
    assert performance_categories(episodes, later_ratings=[(date(2017, 8, 1), "requires_improvement")]) == {
        "shorter_term_cp"
    }


def test_it_ignores_regimes_outside_smq_and_cp():
    assert performance_categories([("NOF4", date(2021, 7, 1), date(2024, 1, 1))]) == set()
