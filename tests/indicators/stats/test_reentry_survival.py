"""Time from exit to re-entry (methods §7): the Kaplan–Meier estimator time in regime uses, read for re-entry.

Checked against statsmodels' SurvfuncRight (an independent implementation) on spells with ties and
censoring, against a case worked by hand, and the conditional 12-month probability by hand.
"""

from datetime import date

import numpy as np
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from indicators.compute import EpisodeRecord, compute_reentry, reentry_spells
from indicators.compute.reentry import months_between
from indicators.stats.constants import Z95
from indicators.stats.survival import conditional_event_probability, kaplan_meier, survival_step

# Months from exit to re-entry (event) or to the cut-off (censored): ties among events, and an event
# tied with a censoring (at 7), which a KM must count as at risk at that time.
MONTHS = np.array([2, 4, 4, 7, 7, 9, 12, 12, 15, 20, 26, 30, 3, 4, 7, 18, 40], dtype=float)
EVENTS = np.array([1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0], dtype=bool)


def test_the_curve_equals_statsmodels_survfuncright_with_ties_and_censoring():
    ours = kaplan_meier(MONTHS, EVENTS)
    theirs = SurvfuncRight(MONTHS, EVENTS.astype(int))
    np.testing.assert_allclose(ours.event_times, theirs.surv_times)
    np.testing.assert_allclose(ours.event_survival, theirs.surv_prob, rtol=1e-12)
    np.testing.assert_array_equal(ours.n_at_risk, theirs.n_risk)
    np.testing.assert_array_equal(ours.n_events, theirs.n_events)
    # Greenwood standard error of Ŝ, then the log-log interval built from statsmodels' own SE.
    np.testing.assert_allclose(np.sqrt(ours.variance), theirs.surv_prob_se, rtol=1e-10)
    s, se = theirs.surv_prob, theirs.surv_prob_se
    inside = (s > 0) & (s < 1)
    theta_se = se[inside] / (s[inside] * np.abs(np.log(s[inside])))
    low = np.exp(-np.exp(np.log(-np.log(s[inside])) + Z95 * theta_se))
    high = np.exp(-np.exp(np.log(-np.log(s[inside])) - Z95 * theta_se))
    np.testing.assert_allclose(ours.ci_low[inside], low, rtol=1e-10)
    np.testing.assert_allclose(ours.ci_high[inside], high, rtol=1e-10)


def test_a_small_case_worked_by_hand():
    # Re-entries at 2, 4, 4 and 9 months; censored at 6 and 12.
    km = kaplan_meier([2, 4, 4, 6, 9, 12], [1, 1, 1, 0, 1, 0])
    assert km.event_times.tolist() == [2, 4, 9]
    assert km.n_at_risk.tolist() == [6, 5, 2]
    np.testing.assert_allclose(km.event_survival, [5 / 6, 1 / 2, 1 / 4])
    # Greenwood at 9: 1/(6·5) + 2/(5·3) + 1/(2·1) = 2/3, so Var Ŝ(9) = (1/4)² · 2/3 = 1/24.
    np.testing.assert_allclose(km.variance[-1], 1 / 24)
    yearly = kaplan_meier([2, 4, 4, 6, 9, 12], [1, 1, 1, 0, 1, 0], times=[0, 12])
    assert yearly.n_at_risk.tolist() == [6, 1]  # censored at 12 is still at risk at 12


def test_the_conditional_twelve_month_probability_by_hand():
    times, survival = [2, 4, 9], [5 / 6, 1 / 2, 1 / 4]
    assert survival_step(times, survival, 1.9) == 1.0
    assert survival_step(times, survival, 4) == pytest.approx(0.5)  # right-continuous
    # Three months out: Ŝ(3) = 5/6, Ŝ(15) = 1/4, so 1 − (1/4)/(5/6) = 0.7.
    assert conditional_event_probability(times, survival, 3, 12) == pytest.approx(0.7)
    assert conditional_event_probability(times, survival, 5, 12) == pytest.approx(0.5)
    assert conditional_event_probability(times, survival, 10, 12) == 0.0  # no event after 9 months


def _episode(org, code, entered, exited, synthetic=False):
    return EpisodeRecord(organisation_id=org, regime=code, entered=entered, exited=exited, synthetic=synthetic)


CUTOFF = date(2024, 3, 31)


def test_each_exit_is_its_own_spell_and_a_trust_never_back_is_censored_at_the_cut_off():
    episodes = [
        # Trust 1 exits twice: SMQ (re-enters via CP), then the CP stay (never back: censored).
        _episode(1, "SMQ", date(2015, 1, 1), date(2017, 1, 1)),
        _episode(1, "CP", date(2018, 1, 1), date(2019, 1, 1)),
        # Trust 2: CP then SMQ the same month is one stay (an escalation, not a re-entry); still in NOF4.
        _episode(2, "CP", date(2016, 1, 1), date(2016, 6, 10)),
        _episode(2, "SMQ", date(2016, 6, 20), date(2018, 6, 1)),
        _episode(2, "NOF4", date(2021, 7, 1), None),
        # Trust 3: finance special measures run alongside and are not in the curve; still in SMQ.
        _episode(3, "SMF", date(2017, 1, 1), date(2018, 1, 1)),
        _episode(3, "SMQ", date(2019, 1, 1), None),
        # Trust 4 exits after the cut-off: not at risk.
        _episode(4, "SMQ", date(2020, 1, 1), date(2024, 6, 1)),
    ]
    spells = reentry_spells(episodes, CUTOFF)
    assert [(s.organisation_id, s.exited, s.reentered) for s in spells] == [
        (1, date(2017, 1, 1), True),
        (1, date(2019, 1, 1), False),
        (2, date(2018, 6, 1), True),
    ]
    assert spells[0].months == pytest.approx(months_between(date(2017, 1, 1), date(2018, 1, 1)))
    assert spells[1].months == pytest.approx(months_between(date(2019, 1, 1), CUTOFF))
    document = compute_reentry(episodes, CUTOFF)
    assert (document["n_spells"], document["n_reentered"], document["n_censored"]) == (3, 2, 1)
    assert document["n_organisations"] == 2 and document["n_organisations_exiting_more_than_once"] == 1
    assert document["marks"]["months"][:2] == [0.0, 12.0]
    assert document["marks"]["n_at_risk"][:2] == [3, 2]  # trust 1's first spell re-entered at 12 months


def test_the_public_curve_knows_nothing_of_confidential_episodes():
    episodes = [
        _episode(1, "SMQ", date(2015, 1, 1), date(2017, 1, 1)),
        _episode(1, "CP", date(2018, 1, 1), date(2019, 1, 1)),  # a confidential re-entry
        _episode(2, "CP", date(2016, 1, 1), date(2017, 1, 1)),  # a confidential exit
    ]
    public = compute_reentry([e for e in episodes if e.regime != "CP"], CUTOFF, excludes_confidential=True)
    assert (public["n_spells"], public["n_reentered"]) == (1, 0)
    assert public["excludes_confidential"] is True
    full = compute_reentry(episodes, CUTOFF)
    assert (full["n_spells"], full["n_reentered"]) == (3, 1)


def test_synthetic_spells_are_counted():
    episodes = [_episode(1, "SMQ", date(2015, 1, 1), date(2017, 1, 1), synthetic=True)]
    assert compute_reentry(episodes, CUTOFF)["n_synthetic"] == 1
