"""Applicability: an indicator is scored, charted and alerted only for the organisations it applies to."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from indicators import compute
from indicators.stats import periods

CAESAREANS = compute.IndicatorMeta(
    id=7,
    code="emergency_caesarean",
    kind="proportion",
    cadence="monthly",
    polarity="lower_is_better",
    pre_window_months=18,
    applies_to=("acute", "acute_community"),
)
KINDS = {1: "acute", 2: "acute", 3: "acute_community", 4: "acute", 5: "mental_health", 6: "ambulance"}


def _deliveries(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for org in KINDS:
        size = rng.integers(200, 600)
        for month in range(24):
            rows.append(
                {
                    "organisation_id": org,
                    "period": pd.Timestamp(periods.shift_months(date(2023, 7, 1), month)),
                    # Organisations 5 and 6 hold stray values (a mapping error): far above the rest.
                    "numerator": float(rng.binomial(size, 0.6 if org >= 5 else 0.16)),
                    "denominator": float(size),
                    "value": np.nan,
                }
            )
    return pd.DataFrame(rows)


def test_organisations_it_does_not_apply_to_get_no_z_score_chart_or_alert():
    frame = compute.applicable_observations(_deliveries(), CAESAREANS, KINDS)
    results = compute.compute_indicator(frame, CAESAREANS, {})
    assert set(results.zscores["organisation_id"]) == {1, 2, 3, 4}
    assert {chart["organisation_id"] for chart in results.spc} == {1, 2, 3, 4}
    assert set(results.alerts["organisation_id"]) <= {1, 2, 3, 4}


def test_the_national_value_is_that_of_the_organisations_it_applies_to():
    full = _deliveries()
    kept = compute.applicable_observations(full, CAESAREANS, KINDS)
    national, _ = compute.compute_zscores(kept, CAESAREANS)
    # Independent: Σr / Σn of the four acute trusts, month by month, by hand.
    acute = full[full["organisation_id"] <= 4].groupby("period")[["numerator", "denominator"]].sum()
    expected = (acute["numerator"] / acute["denominator"]).to_numpy()
    assert national["national"].to_numpy() == pytest.approx(expected, rel=1e-12)
    everyone, _ = compute.compute_zscores(full, CAESAREANS)
    assert (everyone["national"].to_numpy() > expected + 0.05).all()  # what the strays would have done


def test_an_indicator_with_no_kinds_applies_to_every_organisation():
    frame = _deliveries()
    meta = compute.IndicatorMeta(
        id=8, code="dtoc", kind="proportion", cadence="monthly", polarity="lower_is_better", pre_window_months=18
    )
    assert compute.applicable_observations(frame, meta, KINDS) is frame


def test_an_organisation_the_registers_give_no_kind_is_judged_from_its_data():
    # Organisation 7 is "other" (not yet classified) and 8 is not in the register at all: both
    # reported deliveries, so the indicator applies to them; the ambulance trust's stray rows stay out.
    frame = _deliveries()
    extra = frame[frame["organisation_id"] == 1].assign(organisation_id=7)
    unlisted = frame[frame["organisation_id"] == 2].assign(organisation_id=8)
    frame = pd.concat([frame, extra, unlisted], ignore_index=True)
    kept = compute.applicable_observations(frame, CAESAREANS, {**KINDS, 7: "other"})
    assert set(kept["organisation_id"]) == {1, 2, 3, 4, 7, 8}
