"""What the programme-level results gather from each indicator, computed by this run or read from stored rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from django.db import connection
from django.db.models import Max

from trusts.selectors import confidential_regime_codes

from .. import compute
from ..constants import IndicatorKind
from ..models import (
    Alert,
    ComputationRun,
    Indicator,
    SpcSummary,
    ZScore,
    rows_of_runs,
    served_run_ids,
)
from ..selectors import data_cutoff
from .store import store_documents


def is_staff_survey(indicator: Indicator) -> bool:
    """A staff-survey theme: the programme's staff-survey comparison (Table 24) reads its scores."""
    return indicator.kind == IndicatorKind.SCORE and indicator.code.startswith("staff_survey")


@dataclass
class ProgrammeInputs:
    """What the programme-level results gather from each indicator, computed now or read from stored rows:
    its alerts and SPC concern points, its charts counted by cadence, the data's end and the staff survey."""

    alerts: list = field(default_factory=list)
    concerns: list = field(default_factory=list)
    n_charts: dict = field(default_factory=dict)
    survey: dict = field(default_factory=dict)
    data_end: date | None = None
    # The adjusted z-scores this process computed, by indicator id: the early-warning CUSUMs read them
    # here instead of reading back the rows just written (an indicator from stored rows is read there).
    zscores: dict = field(default_factory=dict)

    def add(
        self, indicator: Indicator, *, n_orgs: int, alerts, concerns, end: date | None, survey=None, zscores=None
    ) -> None:
        if indicator.cadence != "annual" and end is not None:
            # Charts by the cadence of their points (SHMI's independent points are annual).
            cadence = "annual" if indicator.code in compute.ROLLING_YEAR_INDICATOR_CODES else indicator.cadence
            self.n_charts[cadence] = self.n_charts.get(cadence, 0) + n_orgs
            self.alerts.append(alerts)
            self.concerns.append(concerns)
            self.data_end = max(self.data_end, end) if self.data_end else end
        if survey is not None:
            self.survey[indicator.code] = survey
        if zscores is not None:
            self.zscores[indicator.pk] = zscores

    def add_stored(self, items: list[tuple[Indicator, ComputationRun | None]]) -> None:
        """Indicators not recomputed by this run (run None: their served rows) or whose rows `run` wrote,
        from their stored rows, in four queries whatever their number (one new month of one indicator
        reads the fifteen others back: a query each was a tenth of that run)."""
        stored = _stored_programme_inputs(items)
        for indicator, _ in items:
            inputs = stored[indicator.pk]
            self.add(
                indicator,
                n_orgs=inputs["n_orgs"],
                alerts=inputs["alerts"],
                concerns=inputs["concerns"],
                end=inputs["data_end"],
                survey=inputs["survey"],
            )

    @property
    def cutoff(self) -> date:
        """Time in regime and the categories count to the data's cut-off, not to today (issue 10)."""
        return data_cutoff(self.data_end)

    def cutoff_for(self, run: ComputationRun) -> date:
        """The cut-off a run counts to: an as-at run's date (issue 15) when earlier than the data's."""
        return data_cutoff(self.data_end, as_at=run.as_at)

    def store(self, run: ComputationRun, *, episodes, indicators: list[Indicator]) -> None:
        """Write the programme-level documents (early warning, time in regime, categories, staff survey).

        The one way both an in-process and a fanned-out run write them: CUSUM parameters from the run.
        """
        store_documents(
            run,
            episodes,
            compute.spells_by_organisation(episodes),
            pd.concat(self.alerts, ignore_index=True) if self.alerts else pd.DataFrame(),
            self.survey,
            self.n_charts,
            self.data_end,
            self.cutoff_for(run),
            run.parameters["cusum_k"],
            run.parameters["cusum_h"],
            indicators,
            confidential_regime_codes(),
            pd.concat(self.concerns, ignore_index=True) if self.concerns else None,
            as_at=run.as_at,
            zscores=self.zscores,
        )


ALERT_COLUMNS = ["organisation_id", "period", "kind", "statistic", "threshold", "synthetic"]


def _stored_programme_inputs(items: list[tuple[Indicator, ComputationRun | None]]) -> dict[int, dict]:
    """What the programme-level results need of each indicator from stored rows: `run`'s where given,
    else the served ones; by indicator id."""
    served = served_run_ids(indicator.pk for indicator, run in items if run is None)
    sources = {indicator.pk: run.pk if run is not None else served.get(indicator.pk) for indicator, run in items}
    pairs = rows_of_runs(sources)  # one run's partition of the z-scores per indicator on PostgreSQL
    alerts = pd.DataFrame(
        list(Alert.all_runs.filter(pairs).values("indicator_id", *ALERT_COLUMNS)),
        columns=["indicator_id", *ALERT_COLUMNS],
    )
    alerts["period"] = pd.to_datetime(alerts["period"])
    alerts_of = {indicator_id: rows for indicator_id, rows in alerts.groupby("indicator_id", sort=False)}
    charts_of: dict[int, list] = {}
    charts = SpcSummary.all_runs.filter(pairs)
    if connection.vendor == "postgresql":
        # Only charts with a concern point hold what spc_concern_points keeps (jsonb @>, on the server):
        # decoding every chart's points cost more than the rest of this read.
        charts = charts.filter(points__contains=[{"point_type": compute.SPC_CONCERN_POINT}])
    for chart in charts.values("indicator_id", "organisation_id", "points"):
        charts_of.setdefault(chart["indicator_id"], []).append(chart)
    # Grouped by (indicator, organisation), then counted here: a COUNT(DISTINCT) per indicator sorts
    # every row first, which took half of a one-new-month run's reading (bench/recompute.py).
    extents: dict[int, dict] = {}
    for indicator_id, end in (
        ZScore.all_runs.filter(pairs)
        .order_by()
        .values("indicator_id", "organisation_id")
        .annotate(end=Max("period"))
        .values_list("indicator_id", "end")
    ):
        extent = extents.setdefault(indicator_id, {"n_orgs": 0, "end": end})
        extent["n_orgs"] += 1
        extent["end"] = max(extent["end"], end)
    out = {}
    for indicator, _ in items:
        survey = None
        if is_staff_survey(indicator):
            rows = ZScore.all_runs.filter(indicator=indicator, run_id=sources[indicator.pk])
            survey = pd.DataFrame(
                list(rows.values("organisation_id", "period", "value")), columns=["organisation_id", "period", "value"]
            )
            survey["period"] = pd.to_datetime(survey["period"])
        own = alerts_of.get(indicator.pk, alerts.iloc[0:0])
        extent = extents.get(indicator.pk, {"n_orgs": 0, "end": None})
        out[indicator.pk] = {
            "alerts": own[ALERT_COLUMNS].reset_index(drop=True).assign(indicator_id=indicator.pk),
            "concerns": compute.spc_concern_points(charts_of.get(indicator.pk, []), indicator.pk),
            "n_orgs": extent["n_orgs"],
            "data_end": extent["end"],
            "survey": survey,
        }
    return out
