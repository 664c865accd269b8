"""State-changing operations on indicator results: the recompute that fills the stored result tables.

Flow (house-style.md): read every observation in bulk → `indicators.compute` → write every
result in ONE transaction and stamp the ComputationRun as succeeded inside it. A run that
fails or is killed rolls back, so the previous results stay served; a run that died leaves
its ComputationRun 'running' and the next run marks it 'abandoned'. Two runs never
interleave: on PostgreSQL a transaction-level advisory lock, elsewhere a file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import math
import time
from collections.abc import Callable, Iterator

import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from trusts.models import QualityRating, Regime, RegimeEpisode

from . import compute
from .constants import IndicatorKind, RunStatus
from .models import (
    Alert,
    AnalysisResult,
    ComputationRun,
    Indicator,
    NationalValue,
    PooledEffect,
    SpcSummary,
    TrajectoryFit,
    ZScore,
)
from .selectors import observations_frame
from .stats import METHOD_VERSION

logger = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 7_305_001  # any constant shared by every process of this app
LOCK_FILE = settings.BASE_DIR / ".recompute.lock"


class RecomputeBusy(RuntimeError):
    """Another recompute holds the lock."""


@contextlib.contextmanager
def _recompute_lock() -> Iterator[None]:
    """Hold the single recompute lock for the current transaction (PostgreSQL) or process (SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise RecomputeBusy("another recompute is running")
        yield
        return
    with open(LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RecomputeBusy("another recompute is running") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """Insert many rows: COPY on PostgreSQL (the bulk path), bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        db_columns = [model._meta.get_field(name).column for name in columns]
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(db_columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    model.objects.bulk_create((model(**dict(zip(columns, row, strict=True))) for row in rows), batch_size=2000)


def _json_ready(row: dict) -> dict:
    """Replace NaN/inf by None so the row can go into a JSON column."""
    return {key: _clean(value) for key, value in row.items()}


def _indicator_meta(indicator: Indicator) -> compute.IndicatorMeta:
    return compute.IndicatorMeta(
        id=indicator.pk,
        code=indicator.code,
        kind=indicator.kind,
        cadence=indicator.cadence,
        polarity=indicator.polarity,
        pre_window_months=indicator.pre_window_months,
    )


def _episodes() -> list[compute.EpisodeRecord]:
    return [
        compute.EpisodeRecord(organisation_id=org, regime=code, entered=entered, exited=exited, route=route)
        for org, code, entered, exited, route in RegimeEpisode.objects.values_list(
            "organisation_id", "regime__code", "entered", "exited", "route"
        )
    ]


def _abandon_stale_runs(*, current: ComputationRun) -> None:
    """A run still 'running' while we hold the lock was killed: say so instead of leaving it running."""
    ComputationRun.objects.filter(status=RunStatus.RUNNING).exclude(pk=current.pk).update(
        status=RunStatus.ABANDONED, finished=timezone.now(), error="The process ended before the run finished."
    )


def results_recompute(
    *,
    indicator_codes: list[str] | None = None,
    triggered_by: str = "",
    progress: Callable[[str], None] | None = None,
) -> ComputationRun:
    """Recompute and store every result (or those of some indicators) atomically; returns the run."""
    say = progress or (lambda message: None)
    k, h = settings.EARLY_WARNING_CUSUM_K, settings.EARLY_WARNING_CUSUM_H
    parameters = {"indicators": indicator_codes or "all", "cusum_k": k, "cusum_h": h, "spc_points": compute.SPC_POINTS}
    run = ComputationRun.objects.create(
        method_version=METHOD_VERSION, parameters=parameters, triggered_by=triggered_by[:100]
    )
    started = time.perf_counter()
    try:
        with transaction.atomic(), _recompute_lock():
            _abandon_stale_runs(current=run)
            counts = _recompute_in_transaction(run, indicator_codes, k, h, say)
            counts["seconds"] = round(time.perf_counter() - started, 3)
            run.status = RunStatus.SUCCEEDED
            run.finished = timezone.now()
            run.counts = counts
            run.save(update_fields=["status", "finished", "counts"])
    except Exception as exc:
        ComputationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        run.refresh_from_db()
        raise
    say(f"run {run.pk} succeeded in {run.counts['seconds']} s")
    return run


def _recompute_in_transaction(run, indicator_codes, k, h, say) -> dict:
    indicators = list(Indicator.objects.order_by("code"))
    if indicator_codes:
        known = {indicator.code for indicator in indicators}
        unknown = sorted(set(indicator_codes) - known)
        if unknown:
            raise ValueError(f"unknown indicator code(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        indicators = [indicator for indicator in indicators if indicator.code in indicator_codes]
    ids = [indicator.pk for indicator in indicators]

    say(f"reading observations of {len(indicators)} indicators")
    observations = observations_frame(ids)
    episodes = _episodes()
    spells = compute.spells_by_organisation(episodes)
    by_indicator = dict(tuple(observations.groupby("indicator_id", sort=False))) if len(observations) else {}

    # Replace only the recomputed indicators' rows; the transaction keeps readers on the old ones.
    for model in (ZScore, NationalValue, TrajectoryFit, PooledEffect, SpcSummary, Alert):
        model.objects.filter(indicator_id__in=ids).delete()

    counts = {"observations": len(observations), "indicators": len(indicators)}
    totals = dict.fromkeys(("zscores", "national_values", "trajectories", "pooled_effects", "spc", "alerts"), 0)
    all_alerts = []
    survey: dict[str, pd.DataFrame] = {}
    n_charts = 0
    data_end = None
    for indicator in indicators:
        frame = by_indicator.get(indicator.pk)
        if frame is None or frame.empty:
            continue
        meta = _indicator_meta(indicator)
        say(f"{indicator.code}: {len(frame)} observations")
        results = compute.compute_indicator(frame, meta, spells, k=k, h=h)
        _store_indicator(run, indicator, results)
        totals["zscores"] += len(results.zscores)
        totals["national_values"] += len(results.national)
        totals["trajectories"] += len(results.trajectories)
        totals["pooled_effects"] += len(results.pooled)
        totals["spc"] += len(results.spc)
        totals["alerts"] += len(results.alerts)
        if meta.cadence != "annual":
            n_charts += results.zscores["organisation_id"].nunique()
            all_alerts.append(results.alerts.assign(indicator_id=indicator.pk))
            last = results.zscores["period"].max().date()
            data_end = max(data_end, last) if data_end else last
        if indicator.kind == IndicatorKind.SCORE and indicator.code.startswith("staff_survey"):
            survey[indicator.code] = results.zscores[["organisation_id", "period", "value"]]
    counts.update(totals)

    if indicator_codes is None:
        say("programme-level results: early warning, time in regime, categories, staff survey")
        alerts = pd.concat(all_alerts, ignore_index=True) if all_alerts else pd.DataFrame()
        _store_documents(run, episodes, spells, alerts, survey, n_charts, data_end, k, h, indicators)
    return counts


def _store_indicator(run, indicator: Indicator, results: compute.IndicatorResults) -> None:
    national = results.national
    _write_rows(
        NationalValue,
        ["run_id", "indicator_id", "period", "national", "phi", "tau2", "n_trusts"],
        [
            (
                run.pk,
                indicator.pk,
                row.period.date(),
                _clean(row.national),
                _clean(row.phi),
                _clean(row.tau2),
                int(row.n_trusts),
            )
            for row in national.itertuples(index=False)
        ],
    )
    z = results.zscores
    _write_rows(
        ZScore,
        ["run_id", "organisation_id", "indicator_id", "period", "numerator", "denominator", "value", "z", "z_adjusted"],
        list(
            zip(
                [run.pk] * len(z),
                z["organisation_id"].astype(int).tolist(),
                [indicator.pk] * len(z),
                [stamp.date() for stamp in z["period"]],
                [_clean(v) for v in z["numerator"].tolist()],
                [_clean(v) for v in z["denominator"].tolist()],
                [_clean(v) for v in z["value"].tolist()],
                [_clean(v) for v in z["z"].tolist()],
                [_clean(v) for v in z["z_adj"].tolist()],
                strict=True,
            )
        ),
    )
    TrajectoryFit.objects.bulk_create(
        [
            TrajectoryFit(
                run=run,
                indicator=indicator,
                organisation_id=fit["organisation_id"],
                regime_group=fit["regime_group"],
                spell_entered=fit["spell_entered"],
                spell_exited=fit["spell_exited"],
                regimes=fit["regimes"],
                method=fit["method"],
                n=fit["n"],
                n_change_points=fit["n_change_points"],
                rho=fit["rho"],
                durbin_watson=fit["durbin_watson"],
                coefficients=fit["coefficients"],
                series=fit["series"],
            )
            for fit in results.trajectories
        ],
        batch_size=500,
    )
    PooledEffect.objects.bulk_create(
        [PooledEffect(run=run, indicator=indicator, **_json_ready(row)) for row in results.pooled]
    )
    SpcSummary.objects.bulk_create(
        [SpcSummary(run=run, indicator=indicator, **chart) for chart in results.spc], batch_size=500
    )
    alerts = results.alerts
    _write_rows(
        Alert,
        ["run_id", "organisation_id", "indicator_id", "period", "kind", "statistic", "threshold"],
        [
            (
                run.pk,
                int(row.organisation_id),
                indicator.pk,
                pd.Timestamp(row.period).date(),
                "cusum",
                float(row.statistic),
                settings.EARLY_WARNING_CUSUM_H,
            )
            for row in alerts.itertuples(index=False)
        ],
    )


def _store_documents(run, episodes, spells, alerts, survey, n_charts, data_end, k, h, indicators) -> None:
    targets = dict(Regime.objects.values_list("code", "exit_target_months"))
    ratings: dict[int, list] = {}
    for org, rated_on, rating in QualityRating.objects.values_list("organisation_id", "rated_on", "rating"):
        ratings.setdefault(org, []).append((rated_on, rating))
    cutoff = timezone.localdate()
    documents = {
        "early_warning": compute.compute_early_warning(alerts, episodes, n_charts, data_end, k, h),
        "time_in_regime": compute.compute_time_in_regime(episodes, targets, cutoff),
        "performance_categories": compute.compute_categories(episodes, ratings),
        "staff_survey": compute.compute_staff_survey(
            survey, spells, {indicator.code: indicator.name for indicator in indicators}
        ),
    }
    AnalysisResult.objects.filter(key__in=documents).delete()
    AnalysisResult.objects.bulk_create(
        [AnalysisResult(run=run, key=key, payload=payload) for key, payload in documents.items()]
    )


def stored_document(key: str) -> dict | None:
    """The payload of a programme-level result, or None before the first run."""
    row = AnalysisResult.objects.filter(key=key).only("payload").first()
    return row.payload if row else None


__all__ = ["RecomputeBusy", "results_recompute", "stored_document"]
