"""Routes come from the records: escalation, Table 3 and the CP competing risks follow `route`, not dates.

Only where a record gives no route is the old 31-day date rule used, and then it is marked inferred.
"""

from datetime import date

import pytest

from indicators import compute
from indicators.compute import EpisodeRecord
from trusts.constants import EpisodeRoute, RegimeFamily

CUTOFF = date(2024, 1, 1)
Q, W = RegimeFamily.QUALITY, RegimeFamily.WATCH_LIST


def cp(org, entered, exited, route=EpisodeRoute.DIRECT):
    return EpisodeRecord(org, "CP", entered, exited, route, W)


def smq(org, entered, exited, route):
    return EpisodeRecord(org, "SMQ", entered, exited, route, Q)


# CP ends 30 June 2016; SMQ starts 1 December 2016, 154 days later: the date rule would say "no".
LATE_ESCALATION = [
    cp(1, date(2015, 10, 1), date(2016, 6, 30)),
    smq(1, date(2016, 12, 1), date(2018, 6, 30), EpisodeRoute.ESCALATED_FROM_CP),
]


def test_an_smq_episode_recorded_as_escalated_from_cp_is_an_escalation_months_after_the_cp_exit():
    (found,) = compute.find_escalations(LATE_ESCALATION)
    assert (found.organisation_id, found.cp_entered, found.inferred) == (1, date(2015, 10, 1), False)
    cp_entry = compute.compute_time_in_regime(LATE_ESCALATION, {"CP": 12, "SMQ": 24}, CUTOFF)["regimes"]["CP"]
    assert (cp_entry["n_escalated"], cp_entry["n_escalated_inferred"]) == (1, 0)
    # One CP episode, escalated at 9 months (274 days): the escalation curve reaches 1, exit stays 0.
    assert cp_entry["competing"]["escalation"][-1] == pytest.approx(1.0)
    assert max(cp_entry["competing"]["exit"]) == 0.0
    assert cp_entry["escalated_by_target_aj"] == pytest.approx(1.0)
    categories = compute.compute_categories(LATE_ESCALATION, {}, as_of=CUTOFF)
    assert "poor_performer" in categories["organisations"]["1"]
    assert categories["inferred"] == {}


def test_an_smq_episode_recorded_as_direct_is_no_escalation_even_the_day_after_a_cp_exit():
    episodes = [
        cp(1, date(2015, 10, 1), date(2016, 6, 30)),
        smq(1, date(2016, 7, 1), date(2018, 6, 30), EpisodeRoute.DIRECT),
    ]
    assert compute.find_escalations(episodes) == []
    cp_entry = compute.compute_time_in_regime(episodes, {"CP": 12}, CUTOFF)["regimes"]["CP"]
    assert cp_entry["n_escalated"] == 0
    assert cp_entry["competing"]["exit"][-1] == pytest.approx(1.0)  # the CP episode ended in an exit
    assert "poor_performer" not in compute.compute_categories(episodes, {}, as_of=CUTOFF)["organisations"]["1"]


def test_without_a_recorded_route_the_date_rule_is_used_and_said_to_be_inferred():
    episodes = [
        cp(1, date(2015, 10, 1), date(2016, 6, 30)),
        smq(1, date(2016, 7, 20), date(2018, 6, 30), EpisodeRoute.NOT_RECORDED),  # 20 days later
        cp(2, date(2015, 10, 1), date(2016, 6, 30)),
        smq(2, date(2016, 12, 1), None, EpisodeRoute.NOT_RECORDED),  # 154 days later: no escalation by dates
    ]
    found = compute.find_escalations(episodes)
    assert [(e.organisation_id, e.inferred) for e in found] == [(1, True)]
    cp_entry = compute.compute_time_in_regime(episodes, {"CP": 12}, CUTOFF)["regimes"]["CP"]
    assert (cp_entry["n_escalated"], cp_entry["n_escalated_inferred"]) == (1, 1)
    categories = compute.compute_categories(episodes, {}, as_of=CUTOFF)
    assert "poor_performer" in categories["organisations"]["1"]
    assert "poor_performer" not in categories["organisations"]["2"]
    assert categories["inferred"] == {"1": ["poor_performer"]}


def test_a_re_entry_is_one_because_it_is_recorded_so():
    # Exit 10 March, back on 24 March: by dates one stay; the record says re-entry.
    episodes = [
        smq(1, date(2016, 1, 1), date(2017, 3, 10), EpisodeRoute.DIRECT),
        smq(1, date(2017, 3, 24), date(2017, 9, 30), EpisodeRoute.RE_ENTRY),
    ]
    document = compute.compute_time_in_regime(episodes, {"SMQ": 24}, CUTOFF)["regimes"]["SMQ"]
    assert (document["n"], document["n_reentered"], document["n_reentry_recorded"]) == (2, 1, 1)
    categories = compute.compute_categories(episodes, {}, as_of=CUTOFF)["organisations"]["1"]
    assert categories == ["prolonged_poor_performer"]  # 20 months in all, so only the re-entry makes it
    # Unrecorded, the same dates join into one 21-month stay: no re-entry, not prolonged.
    unrecorded = [e.__class__(**{**e.__dict__, "route": EpisodeRoute.NOT_RECORDED}) for e in episodes]
    assert compute.compute_time_in_regime(unrecorded, {"SMQ": 24}, CUTOFF)["regimes"]["SMQ"]["n"] == 1
    assert compute.compute_categories(unrecorded, {}, as_of=CUTOFF)["organisations"]["1"] == []


def test_a_recorded_re_entry_is_never_a_clear_improver():
    rated_good = [(date(2019, 1, 1), "good")]
    episodes = [
        smq(1, date(2016, 1, 1), date(2017, 3, 10), EpisodeRoute.DIRECT),
        smq(1, date(2017, 3, 24), date(2017, 9, 30), EpisodeRoute.RE_ENTRY),
    ]
    assert "clear_improver" not in compute.compute_categories(episodes, {1: rated_good}, CUTOFF)["organisations"]["1"]
    once = episodes[:1]
    assert "clear_improver" in compute.compute_categories(once, {1: rated_good}, CUTOFF)["organisations"]["1"]
