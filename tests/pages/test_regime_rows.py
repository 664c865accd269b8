"""A regime added as a row shows on the analytics page by its family, and stays hidden if it is confidential."""

from datetime import date

import pytest

from indicators.recompute import results_recompute
from tests.indicators.builders import episode
from trusts.constants import RegimeFamily
from trusts.models import Regime

pytestmark = pytest.mark.django_db


@pytest.fixture
def added_regimes(make_org):
    Regime.objects.create(
        code="OPEN1", name="Open programme", family=RegimeFamily.IMPROVEMENT, valid_from=date(2015, 1, 1)
    )
    Regime.objects.create(
        code="SSHH", name="Quiet list", family=RegimeFamily.FINANCE, valid_from=date(2015, 1, 1), confidential=True
    )
    episode(make_org("RQ3"), "OPEN1", date(2016, 1, 1), date(2017, 1, 1))
    episode(make_org("RQ4"), "SSHH", date(2016, 1, 1), None)
    results_recompute(triggered_by="test")


def test_a_new_regime_row_is_analysed_and_a_confidential_one_is_seen_only_with_access(
    added_regimes, alice, carol, login
):
    cells = login(carol).get("/analytics/").content.decode().split("Length of time in each regime", 1)[1]
    assert "IMP <span" in cells and "OPEN1" in cells  # the improvement programme, by its family
    assert "SSHH" not in cells  # confidential by its row: not for an analyst without access
    cells = login(alice).get("/analytics/").content.decode().split("Length of time in each regime", 1)[1]
    assert "SMF <span" in cells and "SSHH" in cells
