"""Methods §3: a spell runs from first entry while episodes overlap or follow on directly."""

from datetime import date

import pytest

from indicators.stats.periods import add_months, months_between
from indicators.stats.spells import Spell, build_spells


def test_it_joins_cp_then_smq_escalation_into_one_spell():
    spells = build_spells([("CP", date(2016, 1, 4), date(2016, 9, 30)), ("SMQ", date(2016, 10, 1), date(2018, 3, 31))])
    assert spells == [Spell(date(2016, 1, 4), date(2018, 3, 31), ("CP", "SMQ"), None)]


def test_it_joins_an_entry_in_the_same_month_as_the_exit():
    spells = build_spells([("CP", date(2016, 1, 4), date(2016, 3, 10)), ("SMQ", date(2016, 3, 24), None)])
    assert len(spells) == 1
    assert spells[0].ongoing
    assert spells[0].regimes == ("CP", "SMQ")


def test_it_treats_a_gap_across_a_month_boundary_as_re_entry():
    spells = build_spells([("SMQ", date(2014, 7, 1), date(2016, 3, 20)), ("SMQ", date(2016, 4, 5), None)])
    assert [spell.entered for spell in spells] == [date(2014, 7, 1), date(2016, 4, 5)]
    assert spells[0].re_entry_after == date(2016, 4, 5)
    assert spells[1].re_entry_after is None


def test_it_joins_overlapping_episodes_and_keeps_the_latest_exit():
    spells = build_spells(
        [
            ("SMQ", date(2015, 6, 1), date(2016, 1, 1)),
            ("CP", date(2015, 1, 1), date(2015, 12, 1)),
        ]
    )
    assert spells == [Spell(date(2015, 1, 1), date(2016, 1, 1), ("CP", "SMQ"), None)]


def test_it_lets_an_ongoing_episode_absorb_later_ones():
    spells = build_spells([("SMQ", date(2015, 1, 1), None), ("NOF4", date(2021, 7, 1), date(2022, 1, 1))])
    assert spells == [Spell(date(2015, 1, 1), None, ("SMQ", "NOF4"), None)]


def test_it_returns_nothing_for_no_episodes():
    assert build_spells([]) == []


def test_it_refuses_an_exit_before_entry():
    with pytest.raises(ValueError):
        build_spells([("SMQ", date(2015, 1, 1), date(2014, 1, 1))])


def test_it_counts_calendar_months():
    assert add_months(date(2016, 1, 31), 1) == date(2016, 2, 29)
    assert months_between(date(2014, 1, 1), date(2016, 1, 1)) == 24
    assert months_between(date(2014, 1, 15), date(2014, 3, 1)) == pytest.approx(1 + 14 / 28)
    assert months_between(date(2016, 1, 1), date(2014, 1, 1)) == -24
