"""Small, explicit data builders for the indicator tests (no importers, no randomness unless seeded)."""

from datetime import date

import numpy as np

from indicators.models import Indicator, Observation
from indicators.stats.periods import shift_months
from trusts.models import Organisation, Regime, RegimeEpisode


def month(year: int, month_: int) -> date:
    return date(year, month_, 1)


def proportion_indicator(code="ed_4hr", **fields) -> Indicator:
    fields.setdefault("name", code)
    fields.setdefault("kind", "proportion")
    fields.setdefault("cadence", "monthly")
    fields.setdefault("polarity", "lower_is_better")
    return Indicator.objects.create(code=code, **fields)


def organisations(n: int, prefix="T") -> list[Organisation]:
    return Organisation.objects.bulk_create(
        [Organisation(ods_code=f"{prefix}{i:02d}", name=f"Trust {prefix}{i:02d}", kind="acute") for i in range(n)]
    )


def demo_trusts(count: int) -> list[Organisation]:
    """`count` trusts for the demo generator: mostly acute, with a few ambulance and mental health trusts as in
    the report."""
    kinds = ["ambulance"] * 4 + ["mental_health"] * 8
    return Organisation.objects.bulk_create(
        Organisation(
            ods_code=f"T{number:03d}",
            name=f"Trust {number:03d}",
            kind=kinds[number] if number < len(kinds) else "acute",
            region="Y56",
        )
        for number in range(count)
    )


def step_change(by: float, at: int, trusts: int = 1) -> dict:
    """`effects` for panel(): the logit of each of the first `trusts` trusts moves by `by` from month `at` on."""
    return {i: (lambda t: by if t >= at else 0.0) for i in range(trusts)}


def panel(indicator, orgs, start: date, months: int, seed: int = 0, base=0.15, effects=None) -> int:
    """Binomial observations with a trust random effect; `effects[org_index](t)` adds to the logit."""
    rng = np.random.default_rng(seed)
    rows = []
    trust_effect = rng.normal(0, 0.2, len(orgs))
    sizes = rng.integers(4000, 12000, len(orgs))
    for t in range(months):
        for i, org in enumerate(orgs):
            logit = np.log(base / (1 - base)) + trust_effect[i] + rng.normal(0, 0.05)
            if effects and i in effects:
                logit += effects[i](t)
            p = 1 / (1 + np.exp(-logit))
            n = int(sizes[i])
            rows.append(
                Observation(
                    organisation=org,
                    indicator=indicator,
                    period=shift_months(start, t),
                    numerator=float(rng.binomial(n, p)),
                    denominator=float(n),
                    value=None,
                )
            )
    Observation.objects.bulk_create(rows)
    return len(rows)


def episode(org, regime_code, entered, exited=None, **fields) -> RegimeEpisode:
    return RegimeEpisode.objects.create(
        organisation=org, regime=Regime.objects.get(code=regime_code), entered=entered, exited=exited, **fields
    )


def shifted_dtoc(trusts: int) -> tuple[Indicator, list[Organisation]]:
    """dtoc (target 0.16) over 40 months from Jan 2021 for trusts S00…; S00's level is higher from month 30
    (special cause on its SPC chart); recomputed."""
    from django.core.management import call_command

    indicator = proportion_indicator("dtoc", target=0.16)
    orgs = organisations(trusts, prefix="S")
    panel(indicator, orgs, month(2021, 1), 40, seed=4, effects=step_change(0.4, at=30))
    call_command("recompute", verbosity=0)
    return indicator, orgs


def improving_panel(code: str, trusts: int, improving: int, seed: int) -> tuple[Indicator, list[Organisation]]:
    """`code` over 48 months from Jan 2015 for `trusts` trusts; the first `improving` improve (the logit falls by
    0.3) from month 24."""
    indicator = proportion_indicator(code)
    orgs = organisations(trusts)
    panel(indicator, orgs, month(2015, 1), 48, seed=seed, effects=step_change(-0.3, at=24, trusts=improving))
    return indicator, orgs


def failed_recompute(monkeypatch):
    """A recompute whose SPC step fails ("disk full"): it raises, and the failed run is returned."""
    import pytest

    from indicators.compute import pipeline
    from indicators.models import ComputationRun
    from indicators.recompute import results_recompute

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "compute_spc", explode)  # where compute_indicator looks it up
    with pytest.raises(RuntimeError):
        results_recompute(triggered_by="test")
    return ComputationRun.objects.latest()
