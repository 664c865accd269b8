"""What the programme-level results gather from each indicator, computed by this run or read from stored rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from django.db.models import Count, Max

from trusts.selectors import confidential_regime_codes

from .. import compute
from ..constants import IndicatorKind
from ..models import (
    Alert,
    ComputationRun,
    CurrentResult,
    Indicator,
    SpcSummary,
    ZScore,
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

    def add_stored(self, indicator: Indicator, run: ComputationRun | None = None) -> None:
        """An indicator not recomputed by this run (or one whose rows `run` wrote): from its stored rows."""
        stored = _stored_programme_inputs(indicator, run)
        self.add(
            indicator,
            n_orgs=stored["n_orgs"],
            alerts=stored["alerts"],
            concerns=stored["concerns"],
            end=stored["data_end"],
            survey=stored["survey"],
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


def served_run_id(indicator_id: int) -> int | None:
    """The run whose rows are served for an indicator (its CurrentResult pointer), or None before any run."""
    return CurrentResult.objects.filter(indicator_id=indicator_id).values_list("run_id", flat=True).first()


def _stored_programme_inputs(indicator: Indicator, run: ComputationRun | None = None) -> dict:
    """What the programme-level results need of an indicator from stored rows: served ones, or `run`'s."""

    # The served rows are those of the run the indicator's pointer names: filtering on that run id
    # reads one run's rows through the (run, indicator, …) indexes instead of every kept run's.
    source = run.pk if run is not None else served_run_id(indicator.pk)

    def rows(model):
        return model.all_runs.filter(run_id=source)

    alerts = pd.DataFrame(
        list(
            rows(Alert)
            .filter(indicator=indicator)
            .values("organisation_id", "period", "kind", "statistic", "threshold", "synthetic")
        ),
        columns=["organisation_id", "period", "kind", "statistic", "threshold", "synthetic"],
    )
    alerts["period"] = pd.to_datetime(alerts["period"])
    charts = list(rows(SpcSummary).filter(indicator=indicator).values("organisation_id", "points"))
    zscores = rows(ZScore).filter(indicator=indicator)
    extent = zscores.order_by().aggregate(n_orgs=Count("organisation_id", distinct=True), end=Max("period"))
    survey = None
    if is_staff_survey(indicator):
        survey = pd.DataFrame(
            list(zscores.values("organisation_id", "period", "value")), columns=["organisation_id", "period", "value"]
        )
        survey["period"] = pd.to_datetime(survey["period"])
    return {
        "alerts": alerts.assign(indicator_id=indicator.pk),
        "concerns": compute.spc_concern_points(charts, indicator.pk),
        "n_orgs": extent["n_orgs"],
        "data_end": extent["end"],
        "survey": survey,
    }
