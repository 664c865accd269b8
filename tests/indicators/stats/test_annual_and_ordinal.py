"""Annual series (staff survey) and ordinal scores (financial stability 1–4) get no XmR (issue 10)."""

from datetime import date

import numpy as np
import pandas as pd

from indicators import compute
from indicators.stats.spells import Spell

SURVEY = compute.IndicatorMeta(
    id=11, code="staff_survey_engagement", kind="score", cadence="annual", polarity="higher_is_better",
    pre_window_months=18,
)  # fmt: skip
FINANCE = compute.IndicatorMeta(
    id=12, code="financial_stability", kind="score", cadence="quarterly", polarity="lower_is_better",
    pre_window_months=18,
)  # fmt: skip


def _scores(meta, n_periods, step_months, values):
    rows = []
    for org in range(10):
        for t in range(n_periods):
            total = 2010 * 12 + t * step_months
            rows.append(
                {
                    "organisation_id": org,
                    "period": pd.Timestamp(date(total // 12, total % 12 + 1, 1)),
                    "value": float(values(org, t)),
                }
            )
    return pd.DataFrame(rows)


def test_a_staff_survey_theme_gets_no_spc_cusum_or_its():
    rng = np.random.default_rng(0)
    frame = _scores(SURVEY, 14, 12, lambda org, t: 6.5 + rng.normal(0, 0.3) + (1.0 if org == 0 and t > 8 else 0))
    spells = {0: [Spell(entered=date(2015, 1, 1), exited=date(2019, 6, 30), regimes=("SMQ",))]}
    results = compute.compute_indicator(frame, SURVEY, spells)
    assert len(results.zscores) == 140  # still scored: the entry-versus-exit comparison uses it
    assert results.spc == [] and results.trajectories == [] and results.alerts.empty


def test_a_one_to_four_rating_gets_no_xmr_chart():
    rng = np.random.default_rng(1)
    frame = _scores(FINANCE, 40, 3, lambda org, t: rng.integers(1, 5))
    results = compute.compute_indicator(frame, FINANCE, {})
    assert len(results.zscores) == 400
    assert results.spc == []
