"""The foundation: regimes are seeded, episodes validate, roles exist."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from trusts.models import RegimeEpisode

pytestmark = pytest.mark.django_db


def test_it_seeds_the_regime_taxonomy_with_targets(regimes):
    assert {"SMQ", "CP", "SMF", "QSM", "FSM", "NOF4"} <= set(regimes)
    assert regimes["SMQ"].exit_target_months == 24
    assert regimes["CP"].exit_target_months == 12
    assert regimes["CP"].confidential
    assert regimes["NOF4"].valid_from == date(2021, 7, 1)


def test_it_refuses_an_exit_before_entry(make_org, regimes):
    episode = RegimeEpisode(
        organisation=make_org(), regime=regimes["SMQ"], entered=date(2016, 5, 1), exited=date(2016, 1, 1)
    )
    with pytest.raises(ValidationError) as excinfo:
        episode.full_clean()
    assert "exited" in excinfo.value.message_dict


def test_it_refuses_an_entry_outside_the_regimes_validity(make_org, regimes):
    episode = RegimeEpisode(organisation=make_org(), regime=regimes["NOF4"], entered=date(2019, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        episode.full_clean()
    assert "2021-07-01" in str(excinfo.value.message_dict["entered"])


def test_it_refuses_overlapping_episodes_of_one_regime(make_org, regimes):
    trust = make_org()
    RegimeEpisode.objects.create(organisation=trust, regime=regimes["SMQ"], entered=date(2015, 1, 1))
    second = RegimeEpisode(organisation=trust, regime=regimes["SMQ"], entered=date(2016, 1, 1))
    with pytest.raises(ValidationError):
        second.full_clean()


def test_it_allows_a_re_entry_after_exit(make_org, regimes):
    trust = make_org()
    RegimeEpisode.objects.create(
        organisation=trust, regime=regimes["SMQ"], entered=date(2014, 1, 1), exited=date(2016, 1, 1)
    )
    RegimeEpisode(organisation=trust, regime=regimes["SMQ"], entered=date(2017, 1, 1), route="re_entry").full_clean()


def test_it_gives_each_persona_one_role(alice, bob, carol):
    assert [g.name for g in alice.groups.all()] == ["oversight"]
    assert alice.has_perm("trusts.view_confidential")
    assert not carol.has_perm("trusts.view_confidential")
    assert bob.id_assignments.count() == 2
