"""The recompute honours Indicator.applies_to: no z-score, chart or alert for other kinds of organisation."""

import pytest
from django.core.management import call_command

from indicators.models import Alert, SpcSummary, ZScore
from tests.indicators.builders import month, organisations, panel, proportion_indicator

pytestmark = pytest.mark.django_db


def test_a_mental_health_trust_gets_no_emergency_caesarean_results():
    indicator = proportion_indicator("emergency_caesarean", applies_to=["acute", "acute_community"])
    orgs = organisations(8)
    orgs[7].kind = "mental_health"
    orgs[7].save()
    panel(indicator, orgs, month(2022, 1), 30, seed=3, effects={7: lambda t: 1.5})
    call_command("recompute", verbosity=0)
    for model in (ZScore, SpcSummary, Alert):
        assert not model.objects.filter(organisation=orgs[7]).exists(), model.__name__
    assert ZScore.objects.filter(organisation=orgs[0]).count() == 30
    assert SpcSummary.objects.count() == 7
