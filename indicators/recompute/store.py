"""Result rows under their run's id and the pointers that serve them: switch, what changed, serve, prune.

Rows of every run sit side by side; readers see the run each indicator's CurrentResult points at.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from oversight import dataversion
from trusts.models import Organisation, QualityRating, Regime

from .. import compute
from ..constants import RunStatus
from ..models import (
    Alert,
    AnalysisResult,
    ComputationRun,
    CurrentResult,
    Indicator,
    NationalValue,
    PooledEffect,
    SpcSummary,
    SurveyBenchmarkGroup,
    TrajectoryFit,
    ZScore,
)
from ..page_results import early_warning_series
from . import partitions
from .writer import write_frame

logger = logging.getLogger(__name__)

MAX_CHANGES_LISTED = 200


def switch_pointers(
    run: ComputationRun,
    indicator_ids: list[int],
    *,
    programme: bool,
    fingerprints: dict[int, str] | None = None,
    programme_fingerprint: str = "",
) -> dict:
    """Point the indicators (and the programme) at `run`, keeping the run replaced as previous.

    Called last in the run's transaction, once every part has been written, so readers switch
    from one complete run to the next at commit. Returns what changed against the replaced rows.
    """
    pointers = {
        row.indicator_id: row
        for row in CurrentResult.objects.select_for_update().filter(indicator_id__in=indicator_ids)
    }
    changes = _changes(run, {indicator: row.run_id for indicator, row in pointers.items()})
    for indicator_id in indicator_ids:
        row = pointers.get(indicator_id)
        fingerprint = (fingerprints or {}).get(indicator_id, "")
        if row is None:
            CurrentResult.objects.create(indicator_id=indicator_id, run=run, fingerprint=fingerprint)
        elif row.run_id != run.pk:
            CurrentResult.objects.filter(pk=row.pk).update(
                run=run, previous_run_id=row.run_id, fingerprint=fingerprint, switched=timezone.now()
            )
    if programme:
        row = CurrentResult.objects.select_for_update().filter(indicator__isnull=True).first()
        if row is None:
            CurrentResult.objects.create(indicator=None, run=run, fingerprint=programme_fingerprint)
        else:
            CurrentResult.objects.filter(pk=row.pk).update(
                run=run, previous_run_id=row.run_id, fingerprint=programme_fingerprint, switched=timezone.now()
            )
    dataversion.bump()  # readers' cached lists and memos of the pointers retire when this commits
    return changes


def _changes(run: ComputationRun, replaced: dict[int, int]) -> dict:
    """New alerts and changed SPC variation icons of `run` against the runs it replaces (per indicator).

    Alerts and SPC charts depend on indicator data only (never on a confidential regime), so the
    list is the same for every reader.
    """
    if not replaced:
        return {"compared": False, "new_alerts": 0, "variation_changes": 0, "alerts": [], "variations": []}
    ids = list(replaced)
    pairs = Q()
    for indicator_id, old_run in replaced.items():
        pairs |= Q(indicator_id=indicator_id, run_id=old_run)
    alert_key = ("organisation_id", "indicator_id", "period", "kind")
    before = set(Alert.all_runs.filter(pairs).values_list(*alert_key))
    now = Alert.all_runs.filter(run=run, indicator_id__in=ids).values_list(*alert_key, "statistic")
    new_alerts = sorted(
        (row for row in now if row[:4] not in before), key=lambda row: (row[2], row[0], row[1]), reverse=True
    )
    spc_key = ("organisation_id", "indicator_id")
    old_icons = {row[:2]: row[2] for row in SpcSummary.all_runs.filter(pairs).values_list(*spc_key, "variation_icon")}
    variations = sorted(
        (org, indicator, old_icons[(org, indicator)], icon)
        for org, indicator, icon in SpcSummary.all_runs.filter(run=run, indicator_id__in=ids).values_list(
            *spc_key, "variation_icon"
        )
        if (org, indicator) in old_icons and old_icons[(org, indicator)] != icon
    )
    org_ids = {row[0] for row in new_alerts[:MAX_CHANGES_LISTED]} | {row[0] for row in variations[:MAX_CHANGES_LISTED]}
    orgs = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "ods_code"))
    codes = dict(Indicator.objects.values_list("pk", "code"))
    return {
        "compared": True,
        "previous_runs": sorted(set(replaced.values())),
        "new_alerts": len(new_alerts),
        "variation_changes": len(variations),
        "alerts": [
            {
                "organisation": orgs.get(org, ""),
                "indicator": codes.get(ind, ""),
                "period": period.isoformat(),
                "kind": kind,
                "statistic": round(statistic, 3),
            }
            for org, ind, period, kind, statistic in new_alerts[:MAX_CHANGES_LISTED]
        ],
        "variations": [
            {"organisation": orgs.get(org, ""), "indicator": codes.get(ind, ""), "before": old, "after": new}
            for org, ind, old, new in variations[:MAX_CHANGES_LISTED]
        ],
    }


RESULT_MODELS = (ZScore, NationalValue, TrajectoryFit, PooledEffect, SpcSummary, Alert)


@transaction.atomic
def results_serve_run(run: ComputationRun) -> list[int]:
    """Serve `run`'s rows: point every indicator it has rows for (and the programme, if it has documents) at it.

    The way back to a kept previous run, and how hand-built results (tests, fixtures) are published.
    An as-at run is never served: it holds results on data up to a past date only.
    """
    if run.as_at is not None:
        raise ValueError(f"run {run.pk} is an as-at run ({run.as_at.isoformat()}): it is never served as current")
    indicator_ids = sorted(
        {pk for model in RESULT_MODELS for pk in model.all_runs.filter(run=run).values_list("indicator_id", flat=True)}
    )
    programme = AnalysisResult.all_runs.filter(run=run).exists()
    switch_pointers(run, indicator_ids, programme=programme)
    return indicator_ids


def results_prune() -> dict[str, int]:
    """Delete result rows of runs no pointer serves, keeping each indicator's previous run (off the critical path).

    Rows of a run still running are kept (its parts may be writing); a failed or killed run's rows go.
    The latest settings.AS_AT_RUNS_KEPT as-at runs are kept too (the pages "as at" a date read them).
    """
    deleted = {}
    with transaction.atomic():
        kept_as_at = kept_as_at_run_ids()
        if partitions.partitioned():  # a run's z-scores go with their table (partitions.prune)
            pairs = CurrentResult.objects.filter(indicator__isnull=False).values_list(
                "indicator_id", "run_id", "previous_run_id"
            )
            kept_pairs = {(i, run) for i, current, previous in pairs for run in (current, previous) if run}
            deleted["zscore_partitions"] = partitions.prune(
                kept_pairs,
                set(_running_run_ids()) | set(kept_as_at),
                list(Indicator.objects.values_list("pk", flat=True)),
            )
        for model in RESULT_MODELS:
            keep = Exists(
                CurrentResult.objects.filter(indicator_id=OuterRef("indicator_id")).filter(
                    Q(run_id=OuterRef("run_id")) | Q(previous_run_id=OuterRef("run_id"))
                )
            )
            stale = model.all_runs.exclude(keep).exclude(run_id__in=_running_run_ids() + kept_as_at)
            if model is ZScore and partitions.partitioned():  # what is left: rows in the default partition
                stale = stale.exclude(run_id__in=list(partitions.run_tables()))
            deleted[model._meta.model_name] = stale._raw_delete(stale.db)
        programme = (
            CurrentResult.objects.filter(indicator__isnull=True).values_list("run_id", "previous_run_id").first()
        )
        kept = {run for run in (programme or ()) if run} | set(kept_as_at)
        stale = AnalysisResult.all_runs.exclude(run_id__in=kept).exclude(run_id__in=_running_run_ids())
        deleted["analysisresult"] = stale._raw_delete(stale.db)
    return deleted


def kept_as_at_run_ids() -> list[int]:
    """The latest settings.AS_AT_RUNS_KEPT succeeded as-at runs: the prune keeps their rows."""
    return list(
        ComputationRun.objects.filter(as_at__isnull=False, status=RunStatus.SUCCEEDED)
        .order_by("-finished", "-pk")
        .values_list("pk", flat=True)[: settings.AS_AT_RUNS_KEPT]
    )


def as_at_run(as_at) -> ComputationRun | None:
    """The latest kept, succeeded run computed as at `as_at` (None: none yet, or pruned)."""
    return (
        ComputationRun.objects.filter(as_at=as_at, status=RunStatus.SUCCEEDED, pk__in=kept_as_at_run_ids())
        .order_by("-finished", "-pk")
        .first()
    )


def _running_run_ids() -> list[int]:
    return list(ComputationRun.objects.filter(status=RunStatus.RUNNING).values_list("pk", flat=True))


def prune_soon() -> None:
    """Prune after the switch: queued to a worker with a broker, else here and now (after the commit)."""
    from ..tasks import prune_results

    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            results_prune()
        else:
            prune_results.delay()
    except Exception:  # a prune that fails leaves extra rows, never wrong ones
        logger.exception("pruning old result rows failed")


def _dates(values) -> np.ndarray:
    return pd.DatetimeIndex(values).to_numpy(dtype="datetime64[D]")


# The model fields of each results table built from a frame of the computation, and their dtypes.
NATIONAL_DTYPES = {"national": float, "phi": float, "tau2": float, "tau2_implied": float, "n_trusts": int}
ZSCORE_DTYPES = {
    "organisation_id": int,
    "numerator": float,
    "denominator": float,
    "value": float,
    "z": float,
    "z_adjusted": float,
    "upper": float,
    "limits_rebuilt": bool,
}
ALERT_DTYPES = {"organisation_id": int, "kind": None, "statistic": float, "threshold": float, "synthetic": bool}


def _result_frame(run, indicator, source: pd.DataFrame, dtypes: dict, sources: dict | None = None) -> pd.DataFrame:
    """A frame for `write_frame`: the run's and indicator's ids, `period` as dates, and each field of
    `dtypes` from the source column of that name (or the one `sources` gives) as that dtype (None: as is)."""
    sources = sources or {}
    columns = {"run_id": run.pk, "indicator_id": indicator.pk, "period": _dates(source["period"])}
    for field, dtype in dtypes.items():
        columns[field] = source[sources.get(field, field)].to_numpy(dtype=dtype)
    return pd.DataFrame(columns)


def store_indicator(run, indicator: Indicator, results: compute.IndicatorResults, raw=None) -> None:
    write_frame(NationalValue, _result_frame(run, indicator, results.national, NATIONAL_DTYPES), raw=raw)
    z = results.zscores
    write_frame(
        ZScore,
        _result_frame(run, indicator, z, ZSCORE_DTYPES, sources={"z_adjusted": "z_adj"})
        .replace([np.inf, -np.inf], np.nan)
        # Rows in index order: B-tree inserts into neighbouring pages instead of all over the index.
        .sort_values(["organisation_id", "period"], kind="stable"),
        raw=raw,
        table=partitions.run_table(run.pk),  # the run's own bare table on PostgreSQL, attached when complete
    )
    if results.trajectories:
        fits = pd.DataFrame(results.trajectories)
        write_frame(
            TrajectoryFit,
            fits.assign(run_id=run.pk, indicator_id=indicator.pk),
            json_columns=("coefficients", "series"),
            raw=raw,
        )
    if results.pooled:
        pooled = pd.DataFrame(results.pooled).assign(run_id=run.pk, indicator_id=indicator.pk)
        write_frame(PooledEffect, pooled, raw=raw)
    if results.spc:
        write_frame(
            SpcSummary,
            pd.DataFrame(results.spc).assign(run_id=run.pk, indicator_id=indicator.pk),
            json_columns=("points",),
            raw=raw,
        )
    alerts = results.alerts
    if len(alerts):
        write_frame(Alert, _result_frame(run, indicator, alerts, ALERT_DTYPES), raw=raw)


def stamp_confidential(results: compute.IndicatorResults, confidential_codes: frozenset[str]) -> None:
    """Mark each fit and pooled row computed from an episode of a confidential regime (oversight.permissions).

    A pooling group not defined by a confidential regime (SMQ) that pooled such a fit gets a second
    row pooled over the non-confidential fits only, which is what a caller without confidential
    access is shown: its n is then the number of fits they can list.
    """
    for fit in results.trajectories:
        fit["confidential"] = any(code in confidential_codes for code in fit["regimes"].split(">"))
    involved = {fit["regime_group"] for fit in results.trajectories if fit["confidential"]}

    def by_definition(group: str) -> bool:
        return bool(compute.POOL_GROUPS[group] & confidential_codes)

    def confidential_group(group: str) -> bool:
        return by_definition(group) or bool(compute.POOL_GROUPS[group] & involved)

    for row in results.pooled:
        row["confidential"] = confidential_group(row["regime_group"])
    redo = {
        row["regime_group"] for row in results.pooled if row["confidential"] and not by_definition(row["regime_group"])
    }
    if redo:
        cadence = next((row.get("cadence", "") for row in results.pooled), "")
        public_fits = [fit for fit in results.trajectories if not fit["confidential"]]
        for row in compute.compute_pooled(public_fits):
            if row["regime_group"] in redo:
                results.pooled.append({**row, "confidential": False, "cadence": cadence})


def store_documents(
    run,
    episodes,
    spells,
    alerts,
    survey,
    n_charts,
    data_end,
    cutoff,
    k,
    h,
    indicators,
    confidential_codes=frozenset(),
    spc_concerns=None,
    as_at=None,
    zscores=None,
) -> None:
    targets = dict(Regime.objects.values_list("code", "exit_target_months"))
    ratings: dict[int, list] = {}
    overall = QualityRating.objects.filter(question="overall")
    if as_at is not None:  # an as-at run knows only the ratings published by its date
        overall = overall.filter(rated_on__lte=as_at)
    # The clear-improver category asks for a later overall rating; key-question ratings are not it.
    for org, rated_on, rating in overall.values_list("organisation_id", "rated_on", "rating"):
        ratings.setdefault(org, []).append((rated_on, rating))
    theme_names = {indicator.code: indicator.name for indicator in indicators}
    benchmark_groups = {
        (org, year): group
        for org, year, group in SurveyBenchmarkGroup.objects.values_list("organisation_id", "year", "group")
    }
    # What a caller without confidential access is shown is computed as if the confidential episodes did
    # not exist (oversight.permissions); the slipping list is that one for everyone, so it never differs
    # from the alerts (which depend on indicator data only) by a confidential regime.
    public_episodes = [episode for episode in episodes if episode.regime not in confidential_codes]
    public_spells = compute.spells_by_organisation(public_episodes) if confidential_codes else spells
    documents = {
        "early_warning": compute.compute_early_warning(
            alerts, public_episodes, n_charts, data_end, k, h, spc_concerns=spc_concerns
        ),
        "time_in_regime": compute.compute_time_in_regime(episodes, targets, cutoff),
        # Re-entry after exit, once with every episode and once as a reader without confidential access sees it.
        "reentry": compute.compute_reentry(episodes, cutoff),
        "reentry_public": compute.compute_reentry(
            public_episodes, cutoff, excludes_confidential=bool(confidential_codes)
        ),
        "performance_categories": compute.compute_categories(episodes, ratings, as_of=cutoff),
        "performance_categories_public": compute.compute_categories(public_episodes, ratings, as_of=cutoff),
        "staff_survey": compute.compute_staff_survey(survey, spells, theme_names, benchmark_groups),
        "staff_survey_public": compute.compute_staff_survey(survey, public_spells, theme_names, benchmark_groups),
    }
    documents["early_warning"]["cusum"] = early_warning_series(
        run, documents["early_warning"], computed=zscores
    )  # for the page
    # Through the COPY writer: bulk_create sends the documents (megabytes of JSON) as one array
    # parameter, which psycopg quotes character by character in Python (0.3 s a run, bench/recompute.py).
    write_frame(
        AnalysisResult,
        pd.DataFrame({"run_id": run.pk, "key": list(documents), "payload": list(documents.values())}),
        json_columns=("payload",),
    )


def stored_document(key: str) -> dict | None:
    """The payload of a programme-level result, or None before the first run."""
    row = AnalysisResult.objects.filter(key=key).only("payload").first()
    return row.payload if row else None
