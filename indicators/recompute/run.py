"""The in-process recompute: read, compute, write every result and switch the pointers in one transaction.

A recompute refused by the lock records a request, and the holder runs a follow-up when it ends.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date

import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from oversight.permissions import RUN_COUNTS_WITHOUT_CONFIDENTIAL
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
    RecomputeRequest,
    SpcRebase,
)
from ..selectors import observations_frame
from ..signals import run_finished
from ..stats import METHOD_VERSION
from . import partitions
from .fingerprints import inputs_fingerprints, programme_fingerprint
from .inputs import analysed_observations, episode_records, indicator_meta
from .lock import RecomputeBusy, recompute_lock
from .pool import computed_results
from .programme import ProgrammeInputs, is_staff_survey
from .store import prune_soon, stamp_confidential, store_indicator, switch_pointers
from .writer import ResultWriter


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
    incremental: bool = False,
    as_at: date | None = None,
    _retry: bool = False,
) -> ComputationRun:
    """Recompute and store every result (or those of some indicators) atomically; returns the run.

    An incremental full run (no indicator codes; the nightly run, `manage.py recompute` without
    --force) recomputes only the indicators whose inputs' fingerprint changed since the run served
    for them, plus the programme-level results; otherwise every indicator is recomputed.

    An as-at run (`as_at`, issue 15) computes every indicator from the data as it stood on that date
    (observations of periods up to it, episodes as entered by then with later exits still open); it
    never moves a pointer, answers no recompute request, evaluates no exit criteria and notifies
    nobody: the board and trust page "as at" the date read it (indicators.models.reading_run).
    """
    if as_at is not None and (indicator_codes or incremental):
        raise ValueError("an as-at run recomputes every indicator: no --indicator, no incremental run")
    say = progress or (lambda message: None)
    k, h = settings.EARLY_WARNING_CUSUM_K, settings.EARLY_WARNING_CUSUM_H
    parameters = {
        "indicators": indicator_codes or "all",
        "cusum_k": k,
        "cusum_h": h,
        "spc_points": compute.SPC_POINTS,
        "incremental": bool(incremental),
    }
    if as_at is not None:
        parameters["as_at"] = as_at.isoformat()
    run = ComputationRun.objects.create(
        method_version=METHOD_VERSION, parameters=parameters, triggered_by=triggered_by[:100], as_at=as_at
    )
    started = time.perf_counter()
    try:
        with transaction.atomic(), recompute_lock():
            _abandon_stale_runs(current=run)
            if as_at is None:  # This run reads everything committed so far: it answers every request made before now.
                RecomputeRequest.objects.filter(requested__lte=run.started).delete()
            if connection.vendor == "postgresql":
                # Results are derived data: a crash in the instant after commit loses at most this
                # run (the previous one stays served), so skip waiting for the WAL flush.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            counts = _recompute_in_transaction(run, indicator_codes, k, h, say, incremental=incremental, as_at=as_at)
            if as_at is None:
                counts["criteria_evaluated"] = criteria_evaluate()  # exit readiness from the same data (issue 13)
            counts["seconds"] = round(time.perf_counter() - started, 3)
            run.status = RunStatus.SUCCEEDED
            run.finished = timezone.now()
            run.counts = counts
            run.save(update_fields=["status", "finished", "counts", "problems", "changes"])
    except RecomputeBusy:
        ComputationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            finished=timezone.now(),
            error="another recompute is running: a follow-up is queued",
        )
        run.refresh_from_db()
        if not _retry and as_at is None:
            _request_follow_up(triggered_by, incremental=incremental, progress=progress)
        raise
    except Exception as exc:
        ComputationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        run.refresh_from_db()
        if as_at is None:
            queue_run_notifications(run)
        raise
    prune_soon()
    say(
        f"run {run.pk} succeeded in {run.counts['seconds']} s: {run.counts.get('recomputed', 0)} indicators "
        f"recomputed, {run.counts.get('skipped', 0)} skipped"
    )
    if as_at is not None:
        return run
    queue_run_notifications(run)
    if RecomputeRequest.objects.exists():
        say("a recompute was requested during this run: running the follow-up")
        follow_up = results_recompute(triggered_by=f"follow-up of run {run.pk}", progress=progress, incremental=True)
        run.counts["follow_up_run"] = follow_up.pk
        ComputationRun.objects.filter(pk=run.pk).update(counts=run.counts)
    return run


def queue_run_notifications(run: ComputationRun) -> None:
    """Tell the apps above (the actions app queues the notifications of what the run changed, issue 15)."""
    run_finished.send(sender=ComputationRun, run_id=run.pk)


def _request_follow_up(triggered_by: str, *, incremental: bool, progress=None) -> None:
    """Record the refused request, then try once more: the holder may have finished in between.

    The holder looks for requests after it released the lock, and this side retries after it
    recorded one, so in every interleaving either the holder runs a follow-up or this side runs.
    """
    RecomputeRequest.objects.create(triggered_by=triggered_by[:100])
    if transaction.get_connection().in_atomic_block:
        return  # inside someone's transaction (the holder's own, in tests): the holder will see it at commit
    try:
        results_recompute(
            triggered_by=f"coalesced: {triggered_by}"[:100], progress=progress, incremental=incremental, _retry=True
        )
    except RecomputeBusy:
        pass  # still held: the holder finds the request when it ends


def _recompute_in_transaction(run, indicator_codes, k, h, say, *, incremental=False, as_at=None) -> dict:
    indicators = list(Indicator.objects.order_by("code"))
    if indicator_codes:
        known = {indicator.code for indicator in indicators}
        unknown = sorted(set(indicator_codes) - known)
        if unknown:
            raise ValueError(f"unknown indicator code(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        indicators = [indicator for indicator in indicators if indicator.code in indicator_codes]
    fingerprints = inputs_fingerprints(indicators, k, h) if as_at is None else {}
    skipped: list[Indicator] = []
    if indicator_codes is None and incremental:
        served = dict(
            CurrentResult.objects.filter(indicator__isnull=False, run__method_version=METHOD_VERSION).values_list(
                "indicator_id", "fingerprint"
            )
        )
        skipped = [indicator for indicator in indicators if served.get(indicator.pk) == fingerprints[indicator.pk]]
        indicators = [indicator for indicator in indicators if indicator not in skipped]
    ids = [indicator.pk for indicator in indicators]
    say(f"{len(indicators)} indicators to recompute, {len(skipped)} unchanged since the run served")
    # The programme-level documents read every indicator's results: with none recomputed and the same
    # inputs as the served documents, they would come out the same, so the served ones stay (issue 11).
    programme_key = programme_fingerprint(fingerprints) if indicator_codes is None and as_at is None else ""
    programme_unchanged = bool(
        incremental
        and not indicators
        and programme_key
        and CurrentResult.objects.filter(
            indicator__isnull=True, fingerprint=programme_key, run__method_version=METHOD_VERSION
        ).exists()
    )

    say(f"reading observations of {len(indicators)} indicators")
    clock = time.perf_counter()
    observations = observations_frame(ids)
    if as_at is not None:  # only what had been observed by the date: periods up to it
        observations = observations[observations["period"] <= pd.Timestamp(as_at)]
    # Provenance: an observation loaded by a synthetic (demo) batch makes what it feeds synthetic.
    synthetic_batches = list(ImportBatch.objects.filter(synthetic=True).values_list("pk", flat=True))
    observations["synthetic"] = observations["batch_id"].isin(synthetic_batches).to_numpy(dtype=bool)
    observations, loading = analysed_observations(observations)
    phases = {"read": time.perf_counter() - clock, "compute": 0.0, "write": 0.0}
    episodes = episode_records(as_at=as_at)
    spells = compute.spells_by_organisation(episodes)
    confidential_codes = confidential_regime_codes()
    by_indicator = dict(tuple(observations.groupby("indicator_id", sort=False))) if len(observations) else {}
    n_observations = len(observations)
    del observations  # each indicator's rows are in by_indicator now: at 10× the data this frame is ~300 MB

    # Rows go in under this run's id beside the served ones; nothing is deleted here (results_prune).
    counts = {
        "observations": n_observations,
        "indicators": len(indicators),
        "recomputed": len(indicators),
        "skipped": len(skipped),
        "skipped_codes": [indicator.code for indicator in skipped],
        **loading,
    }
    problems: list[dict] = []
    totals = dict.fromkeys(("zscores", "national_values", "trajectories", "pooled_effects", "spc", "alerts"), 0)
    public = dict.fromkeys(("trajectories", "pooled_effects"), 0)  # rows a caller without confidential access sees
    programme = ProgrammeInputs()
    work = []
    kinds = dict(Organisation.objects.values_list("pk", "kind"))
    rebases: dict[int, tuple] = defaultdict(tuple)
    decided = SpcRebase.objects.all() if as_at is None else SpcRebase.objects.filter(created_at__date__lte=as_at)
    for indicator_id, organisation_id, period in decided.values_list("indicator_id", "organisation_id", "rebased_from"):
        rebases[indicator_id] += ((organisation_id, period),)
    for indicator in indicators:
        frame = by_indicator.pop(indicator.pk, None)
        meta = indicator_meta(indicator, rebases.get(indicator.pk, ()))
        if frame is not None:
            frame = compute.applicable_observations(frame, meta, kinds)
            if indicator.synthetic:
                frame = frame.assign(synthetic=True)
        if frame is not None and not frame.empty:
            work.append((indicator, meta, frame))
    synthetic_spells = compute.spell_synthetic_keys(episodes, spells)
    if work:
        partitions.open_load_table(run.pk)
    with (
        computed_results(work, spells, k, h, settings.RECOMPUTE_PROCESSES, synthetic_spells) as computed,
        ResultWriter(run, store_indicator) as writer,
    ):
        for indicator, _meta, results, seconds in computed:
            say(f"{indicator.code}: {len(results.zscores)} observations")
            phases["compute"] += seconds
            stamp_confidential(results, confidential_codes)
            problems.extend(results.problems)
            writer.submit(indicator, results)
            public["trajectories"] += sum(1 for fit in results.trajectories if not fit["confidential"])
            public["pooled_effects"] += sum(1 for row in results.pooled if not row["confidential"])
            totals["zscores"] += len(results.zscores)
            totals["national_values"] += len(results.national)
            totals["trajectories"] += len(results.trajectories)
            totals["pooled_effects"] += len(results.pooled)
            totals["spc"] += len(results.spc)
            totals["alerts"] += len(results.alerts)
            latest = results.zscores["period"].max()
            programme.add(
                indicator,
                n_orgs=results.zscores["organisation_id"].nunique(),
                alerts=results.alerts.assign(indicator_id=indicator.pk),
                concerns=compute.spc_concern_points(results.spc, indicator.pk),
                end=latest.date() if pd.notna(latest) else None,  # every row may have been screened out
                survey=results.zscores[["organisation_id", "period", "value"]] if is_staff_survey(indicator) else None,
                zscores=results.zscores[["organisation_id", "period", "z_adj"]],
            )
    clock = time.perf_counter()
    partitions.attach(run.pk)  # the z-scores' indexes are built here, once, over the loaded rows
    phases["attach"] = time.perf_counter() - clock
    if skipped and not programme_unchanged:
        programme.add_stored([(indicator, None) for indicator in skipped])
    data_end = programme.data_end
    phases["write"] = writer.seconds
    phases["write_wait"] = writer.waited
    counts.update(totals)
    counts[RUN_COUNTS_WITHOUT_CONFIDENTIAL] = public
    counts["problems"] = len(problems)
    run.problems = named_problems(problems[: compute.MAX_PROBLEMS_LISTED])
    counts["phase_seconds"] = {name: round(value, 3) for name, value in phases.items()}

    if data_end is not None:
        counts["data_end"] = data_end.isoformat()
    if as_at is not None:
        counts["as_at"] = as_at.isoformat()
    counts["data_cutoff"] = programme.cutoff_for(run).isoformat()
    counts["programme_unchanged"] = programme_unchanged
    if programme_unchanged:
        say("programme-level results: unchanged since the run served (same inputs), kept")
    elif indicator_codes is None:
        say("programme-level results: early warning, time in regime, categories, staff survey")
        clock = time.perf_counter()
        programme.store(run, episodes=episodes, indicators=indicators)
        counts["phase_seconds"]["programme"] = round(time.perf_counter() - clock, 3)
    if as_at is None:  # an as-at run is read by the as-at pages only, never served as current
        run.changes = switch_pointers(
            run,
            ids,
            programme=indicator_codes is None and not programme_unchanged,
            fingerprints=fingerprints,
            programme_fingerprint=programme_key,
        )
    return counts


def named_problems(problems: list[dict]) -> list[dict]:
    """Problems with the organisation's ODS code beside its id, as a person reports them."""
    codes = dict(
        Organisation.objects.filter(pk__in={p["organisation_id"] for p in problems}).values_list("pk", "ods_code")
    )
    return [{**problem, "org_code": codes.get(problem["organisation_id"], "")} for problem in problems]
