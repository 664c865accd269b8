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
