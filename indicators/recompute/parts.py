"""A fanned-out run: opened once, computed one indicator per part (Celery workers), finished in one transaction."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from trusts.models import Organisation
from trusts.selectors import confidential_regime_codes

from .. import compute
from ..constants import RunStatus
from ..criteria import criteria_evaluate
from ..models import (
    ComputationRun,
    CurrentResult,
    ImportBatch,
    Indicator,
)
from ..selectors import observations_frame
from ..stats import METHOD_VERSION
from . import partitions
from .fingerprints import inputs_fingerprints, programme_fingerprint
from .inputs import analysed_observations, episode_records, indicator_meta
from .lock import recompute_lock
from .pool import timed_compute
from .programme import ProgrammeInputs
from .run import named_problems, queue_run_notifications
from .store import RESULT_MODELS, prune_soon, stamp_confidential, store_indicator, switch_pointers


def results_fan_out_start(*, triggered_by: str = "", incremental: bool = False) -> tuple[ComputationRun, list[int]]:
    """Open a run whose parts are computed one per indicator (by Celery workers): the run and the parts."""
    k, h = settings.EARLY_WARNING_CUSUM_K, settings.EARLY_WARNING_CUSUM_H
    run = ComputationRun.objects.create(
        method_version=METHOD_VERSION,
        parameters={
            "indicators": "all",
            "cusum_k": k,
            "cusum_h": h,
            "spc_points": compute.SPC_POINTS,
            "incremental": incremental,
            "fan_out": True,
        },
        triggered_by=triggered_by[:100],
    )
    partitions.open_load_table(run.pk)  # the parts' z-scores go here, unseen until the final step attaches it
    indicators = list(Indicator.objects.order_by("code"))
    fingerprints = inputs_fingerprints(indicators, k, h)
    run.counts = {"fingerprints": {str(pk): value for pk, value in fingerprints.items()}}
    if incremental:
        served = dict(
            CurrentResult.objects.filter(indicator__isnull=False, run__method_version=METHOD_VERSION).values_list(
                "indicator_id", "fingerprint"
            )
        )
        indicators = [indicator for indicator in indicators if served.get(indicator.pk) != fingerprints[indicator.pk]]
    run.save(update_fields=["counts"])
    return run, [indicator.pk for indicator in indicators]


def results_compute_part(run_id: int, indicator_id: int) -> dict:
    """One part of a fanned-out run: compute one indicator and store its rows under the run, in one transaction.

    A retried part first deletes its own rows (this run, this indicator), so it replaces, never
    duplicates. Nothing is served until the final step switches the pointers.
    """
    run = ComputationRun.objects.get(pk=run_id)
    indicator = Indicator.objects.get(pk=indicator_id)
    k, h = run.parameters["cusum_k"], run.parameters["cusum_h"]
    started = time.perf_counter()
    observations = observations_frame([indicator.pk])
    synthetic_batches = list(ImportBatch.objects.filter(synthetic=True).values_list("pk", flat=True))
    observations["synthetic"] = observations["batch_id"].isin(synthetic_batches).to_numpy(dtype=bool)
    observations, _ = analysed_observations(observations)
    episodes = episode_records()
    spells = compute.spells_by_organisation(episodes)
    confidential_codes = confidential_regime_codes()
    meta = indicator_meta(indicator)
    frame = compute.applicable_observations(observations, meta, dict(Organisation.objects.values_list("pk", "kind")))
    if indicator.synthetic:
        frame = frame.assign(synthetic=True)
    summary = {"indicator": indicator.code, "zscores": 0, "problems": []}
    with transaction.atomic():
        for model in RESULT_MODELS:
            model.all_runs.filter(run=run, indicator=indicator).delete()
        partitions.clear_indicator(run.pk, indicator.pk)
        if not frame.empty:
            results, _ = timed_compute(frame, meta, spells, k, h, compute.spell_synthetic_keys(episodes, spells))
            stamp_confidential(results, confidential_codes)
            store_indicator(run, indicator, results)
            summary.update(
                zscores=len(results.zscores),
                trajectories=len(results.trajectories),
                pooled_effects=len(results.pooled),
                alerts=len(results.alerts),
                problems=named_problems(results.problems[: compute.MAX_PROBLEMS_LISTED]),
            )
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def results_fan_out_finish(run_id: int, parts: list[dict]) -> ComputationRun:
    """The final step of a fanned-out run: programme-level results, then switch the pointers, in one transaction.

    Computed from this run's rows for the indicators it recomputed and the served rows of the
    others. A failure leaves every pointer where it was (the run's rows are pruned later).
    """
    run = ComputationRun.objects.get(pk=run_id)
    started = time.perf_counter()
    done = {part["indicator"] for part in parts}
    fingerprints = {int(pk): value for pk, value in (run.counts.get("fingerprints") or {}).items()}
    try:
        with transaction.atomic(), recompute_lock():
            partitions.attach(run.pk)  # first: the programme-level step reads this run's z-scores
            indicators = list(Indicator.objects.order_by("code"))
            programme = ProgrammeInputs()
            programme.add_stored([(indicator, run if indicator.code in done else None) for indicator in indicators])
            programme.store(run, episodes=episode_records(), indicators=indicators)
            ids = [indicator.pk for indicator in indicators if indicator.code in done]
            run.changes = switch_pointers(
                run,
                ids,
                programme=True,
                fingerprints=fingerprints,
                programme_fingerprint=programme_fingerprint(fingerprints),
            )
            counts = {
                "recomputed": len(ids),
                "skipped": len(indicators) - len(ids),
                "zscores": sum(part.get("zscores", 0) for part in parts),
                "trajectories": sum(part.get("trajectories", 0) for part in parts),
                "pooled_effects": sum(part.get("pooled_effects", 0) for part in parts),
                "alerts": sum(part.get("alerts", 0) for part in parts),
                "parts": [
                    {key: part.get(key) for key in ("indicator", "zscores", "hostname", "seconds")} for part in parts
                ],
                "criteria_evaluated": criteria_evaluate(),
                "data_cutoff": programme.cutoff.isoformat(),
                "seconds": round(time.perf_counter() - started + sum(part.get("seconds", 0) for part in parts), 3),
            }
            if programme.data_end is not None:
                counts["data_end"] = programme.data_end.isoformat()
            run.problems = [problem for part in parts for problem in part.get("problems", [])][
                : compute.MAX_PROBLEMS_LISTED
            ]
            run.counts = counts
            run.status = RunStatus.SUCCEEDED
            run.finished = timezone.now()
            run.save(update_fields=["status", "finished", "counts", "problems", "changes"])
    except Exception as exc:
        ComputationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        run.refresh_from_db()
        queue_run_notifications(run)
        raise
    prune_soon()
    queue_run_notifications(run)  # a fanned-out run notifies as an in-process one does (issue 15)
    return run
