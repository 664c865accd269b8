"""Provenance: every derived number says whether any input was synthetic (issue 10)."""

import pytest
from django.core.management import call_command

from indicators.models import ImportBatch, Observation, PooledEffect, SpcSummary, TrajectoryFit
from tests.indicators.builders import episode, improving_panel, month

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    _, orgs = improving_panel("ed_4hr", trusts=10, improving=4, seed=7)
    episode(orgs[0], "SMQ", month(2017, 1), synthetic=True)  # a generated demo episode
    episode(orgs[1], "SMQ", month(2017, 1))
    episode(orgs[2], "SMQ", month(2017, 1))
    # orgs[2]'s observations came from a synthetic batch.
    batch = ImportBatch.objects.create(file_name="demo", sha256="0" * 64, format="synthetic", synthetic=True)
    Observation.objects.filter(organisation=orgs[2]).update(batch=batch)
    return orgs


def test_fits_around_synthetic_episodes_or_on_synthetic_values_say_synthetic(world):
    call_command("recompute", verbosity=0)
    flags = dict(TrajectoryFit.objects.values_list("organisation__ods_code", "synthetic"))
    assert flags == {world[0].ods_code: True, world[1].ods_code: False, world[2].ods_code: True}
    pooled = PooledEffect.objects.get(regime_group="SMQ", quantity="level_change")
    assert pooled.n == 3 and pooled.synthetic
    charts = dict(SpcSummary.objects.values_list("organisation__ods_code", "synthetic"))
    assert charts[world[2].ods_code] is True and charts[world[0].ods_code] is False


def test_a_pool_of_real_fits_is_not_synthetic(world):
    TrajectoryFit.objects.all().delete()
    from trusts.models import RegimeEpisode

    RegimeEpisode.objects.filter(organisation__in=[world[0], world[2]]).delete()
    call_command("recompute", verbosity=0)
    assert not PooledEffect.objects.filter(synthetic=True).exists()
    assert PooledEffect.objects.get(regime_group="SMQ", quantity="level_change").n == 1
