"""Methods §7: for CP, escalation to SMQ competes with exit, so exit is a cumulative incidence."""

import numpy as np
import pytest
from statsmodels.duration.survfunc import CumIncidenceRight

from indicators.stats.survival import aalen_johansen, kaplan_meier

DURATIONS = [2, 3, 3, 5, 6, 8]
CAUSES = [1, 2, 1, 0, 2, 1]  # 1 = exit, 2 = escalated to SMQ, 0 = still in CP at the cut-off


def test_it_matches_a_hand_computation():
    exit_ = aalen_johansen(DURATIONS, CAUSES, cause_of_interest=1)
    escalation = aalen_johansen(DURATIONS, CAUSES, cause_of_interest=2)
    np.testing.assert_allclose(exit_.times, [2, 3, 6, 8])
    np.testing.assert_allclose(exit_.cif, [1 / 6, 1 / 3, 1 / 3, 7 / 12])
    np.testing.assert_allclose(escalation.cif, [0, 1 / 6, 5 / 12, 5 / 12])
    # Everybody ends in one of the states: CIFs plus event-free survival add to one.
    np.testing.assert_allclose(exit_.cif + escalation.cif + exit_.survival_all, 1.0)


def test_it_equals_one_minus_kaplan_meier_without_competing_events():
    rng = np.random.default_rng(1)
    durations = np.round(rng.exponential(12, 50))
    causes = (rng.random(50) < 0.75).astype(int)
    cif = aalen_johansen(durations, causes, cause_of_interest=1)
    km = kaplan_meier(durations, causes)
    np.testing.assert_allclose(cif.cif, 1 - km.survival, atol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # statsmodels' variance divides by zero at the end
def test_it_agrees_with_statsmodels_cumulative_incidence():
    rng = np.random.default_rng(2)
    durations = np.round(rng.exponential(10, 80))
    causes = rng.choice([0, 1, 2], size=80, p=[0.2, 0.5, 0.3])
    reference = CumIncidenceRight(durations, causes)
    for cause in (1, 2):
        ours = aalen_johansen(durations, causes, cause_of_interest=cause)
        np.testing.assert_allclose(ours.at(reference.times), reference.cinc[cause - 1], atol=1e-12)


def test_it_is_zero_before_the_first_event():
    assert aalen_johansen(DURATIONS, CAUSES, 1).at(1.5) == 0.0
