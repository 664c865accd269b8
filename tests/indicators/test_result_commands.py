"""The recompute and export_* management commands, as an operator runs them."""

import csv

import pytest
from django.core.management import CommandError, call_command

from indicators.models import ZScore
from tests.indicators.builders import episode, improving_panel, month

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    indicator, orgs = improving_panel("dtoc", trusts=15, improving=5, seed=11)
    for i in range(5):
        episode(orgs[i], "SMQ", month(2017, 1))
    return indicator


def test_recompute_then_export_zscores_writes_one_row_per_observation(world, tmp_path, capsys):
    call_command("recompute", verbosity=0)
    assert "15" in capsys.readouterr().out or ZScore.objects.count() == 15 * 48
    out = tmp_path / "z.csv"
    call_command("export_zscores", indicator="dtoc", out=str(out))
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 15 * 48
    assert set(rows[0]) == {"org_code", "period", "numerator", "denominator", "national_value", "z", "z_adj", "tau2"}
    assert all(len(row["period"]) == 7 for row in rows)


def test_export_effects_and_trajectories_after_a_recompute(world, tmp_path):
    call_command("recompute", verbosity=0)
    effects = tmp_path / "effects.csv"
    call_command("export_effects", indicator="dtoc", regime="SMQ", out=str(effects))
    table = {row["quantity"]: row for row in csv.DictReader(effects.open())}
    assert int(table["level_change"]["n"]) == 5
    assert float(table["level_change"]["ci_low"]) < float(table["level_change"]["estimate"])
    fits = tmp_path / "fits.csv"
    call_command("export_trajectories", indicator="dtoc", out=str(fits))
    assert len(list(csv.DictReader(fits.open()))) == 5


def test_export_refuses_an_unknown_indicator_and_lists_the_known(world, tmp_path):
    with pytest.raises(CommandError, match="known: dtoc"):
        call_command("export_zscores", indicator="nope", out=str(tmp_path / "x.csv"))


def test_recompute_refuses_an_unknown_indicator(world):
    with pytest.raises(CommandError, match="unknown indicator"):
        call_command("recompute", indicators=["nope"], verbosity=0)
