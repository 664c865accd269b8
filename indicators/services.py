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
import hashlib
import io
import json
import logging
import math
import multiprocessing
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Sum
from django.utils import timezone

from oversight.permissions import RUN_COUNTS_WITHOUT_CONFIDENTIAL
from trusts.constants import Sector
from trusts.models import Organisation, QualityRating, Regime, RegimeEpisode

from . import compute
from .constants import IndicatorKind, RunStatus
from .criteria import criteria_evaluate
from .models import (
    Alert,
    AnalysisResult,
    ComputationRun,
    CurrentResult,
    ImportBatch,
    Indicator,
    NationalValue,
    Observation,
    PooledEffect,
    RecomputeRequest,
    SpcRebase,
    SpcSummary,
    SurveyBenchmarkGroup,
    TrajectoryFit,
    ZScore,
)
from .page_results import early_warning_series
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


PG_EPOCH = np.datetime64("2000-01-01", "D")
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
BINARY_TRAILER = b"\xff\xff"


BINARY_TYPES = {
    "bigint": ">i8",
    "integer": ">i4",
    "smallint": ">i2",
    "double precision": ">f8",
    "date": ">i4",
    "boolean": "?",
    "bool": "?",
}


def _binary_copy_payload(columns: list[np.ndarray], db_types: list[str]) -> bytes:
    """PostgreSQL binary COPY data for bigint, double precision and date columns (NaN/NaT → NULL).

    Rows are grouped by which of their fields are NULL; each group is one fixed-width NumPy
    record array, so the whole payload is built at memory speed with no per-row Python.
    """
    kinds, values, nulls = [], [], []
    for column, db_type in zip(columns, db_types, strict=True):
        kind = BINARY_TYPES[db_type]
        if db_type == "date":
            days = column.astype("datetime64[D]")
            nulls.append(np.isnat(days))
            values.append(np.where(np.isnat(days), 0, (days - PG_EPOCH).astype(np.int64)).astype(kind))
        elif kind == "?":
            nulls.append(np.zeros(len(column), dtype=bool))
            values.append(column.astype(bool))
        elif kind.startswith(">i"):
            nulls.append(np.zeros(len(column), dtype=bool))
            values.append(column.astype(kind))
        else:
            as_float = column.astype(float)
            nulls.append(~np.isfinite(as_float))
            values.append(as_float.astype(kind))
        kinds.append(kind)
    pattern = np.zeros(len(columns[0]), dtype=np.int64)
    for position, null in enumerate(nulls):
        pattern |= null.astype(np.int64) << position
    parts = [BINARY_HEADER]
    for code in np.unique(pattern):
        rows = np.flatnonzero(pattern == code)
        fields = [("count", ">i2")]
        for position, kind in enumerate(kinds):
            fields.append((f"length{position}", ">i4"))
            if not (code >> position) & 1:
                fields.append((f"value{position}", kind))
        records = np.empty(len(rows), dtype=fields)
        records["count"] = len(columns)
        for position, kind in enumerate(kinds):
            if (code >> position) & 1:
                records[f"length{position}"] = -1
            else:
                records[f"length{position}"] = np.dtype(kind).itemsize
                records[f"value{position}"] = values[position][rows]
        parts.append(records.tobytes())
    parts.append(BINARY_TRAILER)
    return b"".join(parts)


def _insert_many(model, frame: pd.DataFrame, fields, db_columns: str, json_columns: tuple[str, ...]) -> None:
    """The embedded-database path: one executemany of plain tuples (no model instances)."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        if name in json_columns:
            columns.append([json.dumps(value) for value in values])
        elif pd.api.types.is_datetime64_any_dtype(values.dtype):
            columns.append([None if stamp is pd.NaT else stamp.date().isoformat() for stamp in values])
        elif pd.api.types.is_float_dtype(values.dtype):
            columns.append([value if math.isfinite(value) else None for value in values.tolist()])
        else:
            columns.append([_clean(value) for value in values.tolist()])
    placeholders = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {model._meta.db_table} ({db_columns}) VALUES ({placeholders})",  # noqa: S608
            list(zip(*columns, strict=True)),
        )


def _write_frame(model, frame: pd.DataFrame, json_columns: tuple[str, ...] = (), raw=None) -> None:
    """Insert a frame whose columns are model field names: COPY on PostgreSQL, bulk_create elsewhere.

    Numeric and date tables go through binary COPY, the rest (JSON, text) through CSV COPY; the
    per-row adaptation of an ORM insert cost more than all the statistics (bench/recompute.py).
    """
    if frame.empty:
        return
    fields = [model._meta.get_field(name) for name in frame.columns]
    db_columns = ", ".join(field.column for field in fields)
    if connection.vendor != "postgresql":
        _insert_many(model, frame, fields, db_columns, json_columns)
        return
    db_types = [field.rel_db_type(connection) if field.is_relation else field.db_type(connection) for field in fields]
    db_types = [db_type.split(" CHECK")[0].strip() if db_type else "" for db_type in db_types]
    binary = all(db_type in BINARY_TYPES for db_type in db_types) and not json_columns
    if binary:
        payload = _binary_copy_payload([frame[column].to_numpy() for column in frame.columns], db_types)
        statement = f"COPY {model._meta.db_table} ({db_columns}) FROM STDIN WITH (FORMAT binary)"
    else:
        frame = frame.copy()
        for column in json_columns:
            frame[column] = [json.dumps(value) for value in frame[column]]
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False, na_rep=r"\N", date_format="%Y-%m-%d")
        payload = buffer.getvalue()
        statement = f"COPY {model._meta.db_table} ({db_columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    # `raw` is the psycopg connection of the run's transaction, handed to the writer thread
    # (Django's `connection` is per thread and would open a second, separate transaction there).
    with (raw or connection.connection).cursor() as cursor:
        with cursor.copy(statement) as copy:
            copy.write(payload)


def _indicator_meta(indicator: Indicator, rebases: tuple = ()) -> compute.IndicatorMeta:
    return compute.IndicatorMeta(
        id=indicator.pk,
        code=indicator.code,
        kind=indicator.kind,
        cadence=indicator.cadence,
        polarity=indicator.polarity,
        pre_window_months=indicator.pre_window_months,
        analysis_cadence=indicator.analysis_cadence,
        target=indicator.target,
        applies_to=tuple(indicator.applies_to or ()),
        rebases=rebases,
    )


def _episodes() -> list[compute.EpisodeRecord]:
    """Every episode with its regime's family (the taxonomy row), so analyses read meaning, not codes."""
    return [
        compute.EpisodeRecord(
            organisation_id=org,
            regime=code,
            entered=entered,
            exited=exited,
            route=route,
            family=family,
            exit_unknown=unknown,
            synthetic=synthetic,
        )
        for org, code, entered, exited, route, family, unknown, synthetic in RegimeEpisode.objects.values_list(
            "organisation_id",
            "regime__code",
            "entered",
            "exited",
            "route",
            "regime__family",
            "exit_unknown",
            "synthetic",
        )
    ]


def _analysed_observations(observations: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Observations as analysed: lineages merged under their successors, NHS trusts only.

    National values are NHS trusts' (ICBs and other providers are left out and counted). A
    predecessor's rows join its last successor's series (`compute.merge_lineages`).
    """
    left_out = set(Organisation.objects.filter(sector__in=[Sector.ICB, Sector.OTHER]).values_list("pk", flat=True))
    successors = dict(Organisation.objects.filter(successor__isnull=False).values_list("pk", "successor_id"))
    final_of = compute.final_successors(successors)
    info = {"rows_not_nhs_trusts": 0, "lineages_merged": len(set(final_of.values()))}
    if observations.empty:
        return observations, info
    if left_out:
        outside = observations["organisation_id"].isin(left_out).to_numpy()
        info["rows_not_nhs_trusts"] = int(outside.sum())
        observations = observations[~outside]
    return compute.merge_lineages(observations, final_of), info


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
    _retry: bool = False,
) -> ComputationRun:
    """Recompute and store every result (or those of some indicators) atomically; returns the run.

    An incremental full run (no indicator codes; the nightly run, `manage.py recompute` without
    --force) recomputes only the indicators whose inputs' fingerprint changed since the run served
    for them, plus the programme-level results; otherwise every indicator is recomputed.
    """
    say = progress or (lambda message: None)
    k, h = settings.EARLY_WARNING_CUSUM_K, settings.EARLY_WARNING_CUSUM_H
    parameters = {
        "indicators": indicator_codes or "all",
        "cusum_k": k,
        "cusum_h": h,
        "spc_points": compute.SPC_POINTS,
        "incremental": bool(incremental),
    }
    run = ComputationRun.objects.create(
        method_version=METHOD_VERSION, parameters=parameters, triggered_by=triggered_by[:100]
    )
    started = time.perf_counter()
    try:
        with transaction.atomic(), _recompute_lock():
            _abandon_stale_runs(current=run)
            # This run reads everything committed so far: it answers every request made before now.
            RecomputeRequest.objects.filter(requested__lte=run.started).delete()
            if connection.vendor == "postgresql":
                # Results are derived data: a crash in the instant after commit loses at most this
                # run (the previous one stays served), so skip waiting for the WAL flush.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            counts = _recompute_in_transaction(run, indicator_codes, k, h, say, incremental=incremental)
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
        if not _retry:
            _request_follow_up(triggered_by, incremental=incremental, progress=progress)
        raise
    except Exception as exc:
        ComputationRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished=timezone.now(), error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        run.refresh_from_db()
        _after_run(run)
        raise
    _prune_soon()
    say(
        f"run {run.pk} succeeded in {run.counts['seconds']} s: {run.counts.get('recomputed', 0)} indicators "
        f"recomputed, {run.counts.get('skipped', 0)} skipped"
    )
    _after_run(run)
    if RecomputeRequest.objects.exists():
        say("a recompute was requested during this run: running the follow-up")
        follow_up = results_recompute(triggered_by=f"follow-up of run {run.pk}", progress=progress, incremental=True)
        run.counts["follow_up_run"] = follow_up.pk
        ComputationRun.objects.filter(pk=run.pk).update(counts=run.counts)
    return run


def _after_run(run: ComputationRun) -> None:
    """Queue the notifications of what the run changed (issue 15), once committed."""
    from actions.signals import after_run

    after_run(run.pk)


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


def _inputs_fingerprints(indicators: list[Indicator], k: float, h: float) -> dict[int, str]:
    """A hash per indicator of everything its results are computed from.

    Its observations (count, newest id, sums of every number, batches), its catalogue row, and what
    every indicator shares: episodes and regimes (the spells fitted), organisations (lineages,
    sectors, kinds), synthetic batches, the parameters and the method version.
    """
    shared = json.dumps(
        {
            "method": METHOD_VERSION,
            "k": k,
            "h": h,
            "spc_points": compute.SPC_POINTS,
            "cutoff": str(settings.DATA_CUTOFF or ""),
            "episodes": list(
                RegimeEpisode.objects.order_by("pk").values_list(
                    "pk", "organisation_id", "regime_id", "entered", "exited", "route", "exit_unknown", "synthetic"
                )
            ),
            "regimes": list(Regime.objects.order_by("pk").values_list("pk", "code", "family", "confidential")),
            "organisations": list(
                Organisation.objects.order_by("pk").values_list("pk", "sector", "kind", "successor_id")
            ),
            "synthetic_batches": list(ImportBatch.objects.filter(synthetic=True).order_by("pk").values_list("pk")),
        },
        default=str,
        sort_keys=True,
    )
    aggregates = {
        row["indicator_id"]: row
        for row in Observation.objects.order_by()
        .values("indicator_id")
        .annotate(
            n=Count("id"),
            last=Max("id"),
            end=Max("period"),
            numerator=Sum("numerator"),
            denominator=Sum("denominator"),
            value=Sum("value"),
            lower=Sum("lower"),
            upper=Sum("upper"),
            batches=Sum("batch_id"),
        )
    }
    rebases: dict[int, list] = defaultdict(list)
    for indicator_id, *rebase in SpcRebase.objects.order_by("pk").values_list(
        "indicator_id", "organisation_id", "rebased_from"
    ):
        rebases[indicator_id].append(rebase)
    fingerprints = {}
    for indicator in indicators:
        own = {
            "row": [
                indicator.code,
                indicator.kind,
                indicator.cadence,
                indicator.polarity,
                indicator.pre_window_months,
                indicator.synthetic,
                indicator.analysis_cadence,
                indicator.target,
                indicator.applies_to,
            ],
            "observations": _stable(aggregates.get(indicator.pk)),
            "rebases": rebases.get(indicator.pk, []),  # a rebased SPC chart is redrawn
        }
        digest = hashlib.sha256(shared.encode())
        digest.update(json.dumps(own, default=repr, sort_keys=True).encode())
        fingerprints[indicator.pk] = digest.hexdigest()
    return fingerprints


def _stable(row: dict | None) -> dict | None:
    """Float sums to 10 significant digits: PostgreSQL's (parallel) float sums vary in the last bits by order."""
    if row is None:
        return None
    return {key: float(f"{value:.10g}") if isinstance(value, float) else value for key, value in row.items()}


def _is_staff_survey(indicator: Indicator) -> bool:
    """A staff-survey theme: the programme's staff-survey comparison (Table 24) reads its scores."""
    return indicator.kind == IndicatorKind.SCORE and indicator.code.startswith("staff_survey")


@dataclass
class _ProgrammeInputs:
    """What the programme-level results gather from each indicator, computed now or read from stored rows:
    its alerts and SPC concern points, its charts counted by cadence, the data's end and the staff survey."""

    alerts: list = field(default_factory=list)
    concerns: list = field(default_factory=list)
    n_charts: dict = field(default_factory=dict)
    survey: dict = field(default_factory=dict)
    data_end: date | None = None

    def add(self, indicator: Indicator, *, n_orgs: int, alerts, concerns, end: date | None, survey=None) -> None:
        if indicator.cadence != "annual" and end is not None:
            # Charts by the cadence of their points (SHMI's independent points are annual).
            cadence = "annual" if indicator.code in compute.ROLLING_YEAR_INDICATOR_CODES else indicator.cadence
            self.n_charts[cadence] = self.n_charts.get(cadence, 0) + n_orgs
            self.alerts.append(alerts)
            self.concerns.append(concerns)
            self.data_end = max(self.data_end, end) if self.data_end else end
        if survey is not None:
            self.survey[indicator.code] = survey

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

    def store(self, run, *, episodes, spells, cutoff, k, h, indicators, confidential_codes) -> None:
        """Write the programme-level documents (early warning, time in regime, categories, staff survey)."""
        _store_documents(
            run,
            episodes,
            spells,
            pd.concat(self.alerts, ignore_index=True) if self.alerts else pd.DataFrame(),
            self.survey,
            self.n_charts,
            self.data_end,
            cutoff,
            k,
            h,
            indicators,
            confidential_codes,
            pd.concat(self.concerns, ignore_index=True) if self.concerns else None,
        )


def _stored_programme_inputs(indicator: Indicator, run: ComputationRun | None = None) -> dict:
    """What the programme-level results need of an indicator from stored rows: served ones, or `run`'s."""

    def rows(model):
        return model.objects.all() if run is None else model.all_runs.filter(run=run)

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
    survey = None
    if _is_staff_survey(indicator):
        survey = pd.DataFrame(
            list(zscores.values("organisation_id", "period", "value")), columns=["organisation_id", "period", "value"]
        )
        survey["period"] = pd.to_datetime(survey["period"])
    return {
        "alerts": alerts.assign(indicator_id=indicator.pk),
        "concerns": compute.spc_concern_points(charts, indicator.pk),
        "n_orgs": zscores.order_by().values("organisation_id").distinct().count(),
        "data_end": zscores.aggregate(end=Max("period"))["end"],
        "survey": survey,
    }


MAX_CHANGES_LISTED = 200


def _switch_pointers(
    run: ComputationRun, indicator_ids: list[int], *, programme: bool, fingerprints: dict[int, str] | None = None
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
            CurrentResult.objects.create(indicator=None, run=run)
        else:
            CurrentResult.objects.filter(pk=row.pk).update(run=run, previous_run_id=row.run_id, switched=timezone.now())
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
    """
    indicator_ids = sorted(
        {pk for model in RESULT_MODELS for pk in model.all_runs.filter(run=run).values_list("indicator_id", flat=True)}
    )
    programme = AnalysisResult.all_runs.filter(run=run).exists()
    _switch_pointers(run, indicator_ids, programme=programme)
    return indicator_ids


def results_prune() -> dict[str, int]:
    """Delete result rows of runs no pointer serves, keeping each indicator's previous run (off the critical path).

    Rows of a run still running are kept (its parts may be writing); a failed or killed run's rows go.
    """
    deleted = {}
    with transaction.atomic():
        for model in RESULT_MODELS:
            keep = Exists(
                CurrentResult.objects.filter(indicator_id=OuterRef("indicator_id")).filter(
                    Q(run_id=OuterRef("run_id")) | Q(previous_run_id=OuterRef("run_id"))
                )
            )
            stale = model.all_runs.exclude(keep).exclude(run_id__in=_running_run_ids())
            deleted[model._meta.model_name] = stale._raw_delete(stale.db)
        programme = (
            CurrentResult.objects.filter(indicator__isnull=True).values_list("run_id", "previous_run_id").first()
        )
        kept = {run for run in (programme or ()) if run}
        stale = AnalysisResult.all_runs.exclude(run_id__in=kept).exclude(run_id__in=_running_run_ids())
        deleted["analysisresult"] = stale._raw_delete(stale.db)
    return deleted


def _running_run_ids() -> list[int]:
    return list(ComputationRun.objects.filter(status=RunStatus.RUNNING).values_list("pk", flat=True))


def _prune_soon() -> None:
    """Prune after the switch: queued to a worker with a broker, else here and now (after the commit)."""
    from .tasks import prune_results

    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            results_prune()
        else:
            prune_results.delay()
    except Exception:  # a prune that fails leaves extra rows, never wrong ones
        logger.exception("pruning old result rows failed")


class _ResultWriter:
    """Stores each indicator's results while the next indicator is computed.

    On PostgreSQL a single writer thread COPYs into the run's own transaction (the same
    psycopg connection, which serialises its use), so the server's index work overlaps the
    Python statistics; elsewhere it writes inline. An error in the writer is raised in the
    caller when the block ends, which rolls the whole run back.
    """

    def __init__(self, run):
        self.run = run
        self.seconds = 0.0
        self.waited = 0.0
        self.threaded = connection.vendor == "postgresql"
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self):
        if self.threaded:
            self._raw = connection.connection
            self._thread = threading.Thread(target=self._work, name="result-writer", daemon=True)
            self._thread.start()
        return self

    def submit(self, indicator, results) -> None:
        if not self.threaded:
            clock = time.perf_counter()
            _store_indicator(self.run, indicator, results)
            self.seconds += time.perf_counter() - clock
            return
        if self._error:
            raise self._error
        clock = time.perf_counter()
        self._queue.put((indicator, results))
        self.waited += time.perf_counter() - clock

    def _work(self):
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._error:
                continue
            clock = time.perf_counter()
            try:
                _store_indicator(self.run, *item, raw=self._raw)
            except BaseException as exc:  # noqa: BLE001 — handed to the caller's thread
                self._error = exc
            self.seconds += time.perf_counter() - clock

    def __exit__(self, exc_type, exc, traceback):
        if self._thread:
            clock = time.perf_counter()
            self._queue.put(None)
            self._thread.join()
            self.waited += time.perf_counter() - clock
        if self._error and exc is None:
            raise self._error
        return False


def _timed_compute(frame, meta, spells, k, h, synthetic_spells=frozenset()):
    clock = time.perf_counter()
    results = compute.compute_indicator(frame, meta, spells, k=k, h=h, synthetic_spells=synthetic_spells)
    return results, time.perf_counter() - clock


@contextlib.contextmanager
def _computed(work, spells, k, h, processes: int, synthetic_spells=frozenset()):
    """Yield (indicator, meta, results, seconds) in order, computed here or in forked worker processes.

    The statistics are pure (indicators.compute imports no Django), so with processes > 1 each
    indicator is computed in a child forked before the writer thread starts; the children never
    touch the database (they leave through os._exit, so the inherited connection is untouched).
    A daemonic process (a Celery prefork worker) may not have children: it computes in-process.
    """
    if processes <= 1 or len(work) < 2 or multiprocessing.current_process().daemon:
        yield (
            (indicator, meta, *_timed_compute(frame, meta, spells, k, h, synthetic_spells))
            for indicator, meta, frame in work
        )
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = [pool.submit(_timed_compute, frame, meta, spells, k, h, synthetic_spells) for _, meta, frame in work]
        yield ((indicator, meta, *future.result()) for (indicator, meta, _), future in zip(work, futures, strict=True))


def _recompute_in_transaction(run, indicator_codes, k, h, say, *, incremental=False) -> dict:
    indicators = list(Indicator.objects.order_by("code"))
    if indicator_codes:
        known = {indicator.code for indicator in indicators}
        unknown = sorted(set(indicator_codes) - known)
        if unknown:
            raise ValueError(f"unknown indicator code(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        indicators = [indicator for indicator in indicators if indicator.code in indicator_codes]
    fingerprints = _inputs_fingerprints(indicators, k, h)
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

    say(f"reading observations of {len(indicators)} indicators")
    clock = time.perf_counter()
    observations = observations_frame(ids)
    # Provenance: an observation loaded by a synthetic (demo) batch makes what it feeds synthetic.
    synthetic_batches = list(ImportBatch.objects.filter(synthetic=True).values_list("pk", flat=True))
    observations["synthetic"] = observations["batch_id"].isin(synthetic_batches).to_numpy(dtype=bool)
    observations, loading = _analysed_observations(observations)
    phases = {"read": time.perf_counter() - clock, "compute": 0.0, "write": 0.0}
    episodes = _episodes()
    spells = compute.spells_by_organisation(episodes)
    confidential_codes = frozenset(Regime.objects.filter(confidential=True).values_list("code", flat=True))
    by_indicator = dict(tuple(observations.groupby("indicator_id", sort=False))) if len(observations) else {}

    # Rows go in under this run's id beside the served ones; nothing is deleted here (results_prune).
    counts = {
        "observations": len(observations),
        "indicators": len(indicators),
        "recomputed": len(indicators),
        "skipped": len(skipped),
        "skipped_codes": [indicator.code for indicator in skipped],
        **loading,
    }
    problems: list[dict] = []
    totals = dict.fromkeys(("zscores", "national_values", "trajectories", "pooled_effects", "spc", "alerts"), 0)
    public = dict.fromkeys(("trajectories", "pooled_effects"), 0)  # rows a caller without confidential access sees
    programme = _ProgrammeInputs()
    work = []
    kinds = dict(Organisation.objects.values_list("pk", "kind"))
    rebases: dict[int, tuple] = defaultdict(tuple)
    for indicator_id, organisation_id, period in SpcRebase.objects.values_list(
        "indicator_id", "organisation_id", "rebased_from"
    ):
        rebases[indicator_id] += ((organisation_id, period),)
    for indicator in indicators:
        frame = by_indicator.pop(indicator.pk, None)
        meta = _indicator_meta(indicator, rebases.get(indicator.pk, ()))
        if frame is not None:
            frame = compute.applicable_observations(frame, meta, kinds)
            if indicator.synthetic:
                frame = frame.assign(synthetic=True)
        if frame is not None and not frame.empty:
            work.append((indicator, meta, frame))
    synthetic_spells = compute.spell_synthetic_keys(episodes, spells)
    with (
        _computed(work, spells, k, h, settings.RECOMPUTE_PROCESSES, synthetic_spells) as computed,
        _ResultWriter(run) as writer,
    ):
        for indicator, _meta, results, seconds in computed:
            say(f"{indicator.code}: {len(results.zscores)} observations")
            phases["compute"] += seconds
            _stamp_confidential(results, confidential_codes)
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
                survey=results.zscores[["organisation_id", "period", "value"]] if _is_staff_survey(indicator) else None,
            )
    for indicator in skipped:
        programme.add_stored(indicator)
    data_end = programme.data_end
    phases["write"] = writer.seconds
    phases["write_wait"] = writer.waited
    counts.update(totals)
    counts[RUN_COUNTS_WITHOUT_CONFIDENTIAL] = public
    counts["problems"] = len(problems)
    run.problems = _named_problems(problems[: compute.MAX_PROBLEMS_LISTED])
    counts["phase_seconds"] = {name: round(value, 3) for name, value in phases.items()}

    if data_end is not None:
        counts["data_end"] = data_end.isoformat()
    # Time in regime and the categories count to the data's cut-off, not to today (issue 10).
    cutoff = settings.DATA_CUTOFF or data_end or timezone.localdate()
    counts["data_cutoff"] = cutoff.isoformat()
    if indicator_codes is None:
        say("programme-level results: early warning, time in regime, categories, staff survey")
        programme.store(
            run,
            episodes=episodes,
            spells=spells,
            cutoff=cutoff,
            k=k,
            h=h,
            indicators=indicators,
            confidential_codes=confidential_codes,
        )
    run.changes = _switch_pointers(run, ids, programme=indicator_codes is None, fingerprints=fingerprints)
    return counts


def _named_problems(problems: list[dict]) -> list[dict]:
    """Problems with the organisation's ODS code beside its id, as a person reports them."""
    codes = dict(
        Organisation.objects.filter(pk__in={p["organisation_id"] for p in problems}).values_list("pk", "ods_code")
    )
    return [{**problem, "org_code": codes.get(problem["organisation_id"], "")} for problem in problems]


def _dates(values) -> np.ndarray:
    return pd.DatetimeIndex(values).to_numpy(dtype="datetime64[D]")


def _store_indicator(run, indicator: Indicator, results: compute.IndicatorResults, raw=None) -> None:
    national = results.national
    _write_frame(
        NationalValue,
        pd.DataFrame(
            {
                "run_id": run.pk,
                "indicator_id": indicator.pk,
                "period": _dates(national["period"]),
                "national": national["national"].to_numpy(dtype=float),
                "phi": national["phi"].to_numpy(dtype=float),
                "tau2": national["tau2"].to_numpy(dtype=float),
                "tau2_implied": national["tau2_implied"].to_numpy(dtype=float),
                "n_trusts": national["n_trusts"].to_numpy(dtype=int),
            }
        ),
        raw=raw,
    )
    z = results.zscores
    _write_frame(
        ZScore,
        pd.DataFrame(
            {
                "run_id": run.pk,
                "organisation_id": z["organisation_id"].to_numpy(dtype=int),
                "indicator_id": indicator.pk,
                "period": _dates(z["period"]),
                "numerator": z["numerator"].to_numpy(dtype=float),
                "denominator": z["denominator"].to_numpy(dtype=float),
                "value": z["value"].to_numpy(dtype=float),
                "z": z["z"].to_numpy(dtype=float),
                "z_adjusted": z["z_adj"].to_numpy(dtype=float),
                "upper": z["upper"].to_numpy(dtype=float),
                "limits_rebuilt": z["limits_rebuilt"].to_numpy(dtype=bool),
            }
        )
        .replace([np.inf, -np.inf], np.nan)
        # Rows in index order: B-tree inserts into neighbouring pages instead of all over the index.
        .sort_values(["organisation_id", "period"], kind="stable"),
        raw=raw,
    )
    if results.trajectories:
        fits = pd.DataFrame(results.trajectories)
        _write_frame(
            TrajectoryFit,
            fits.assign(run_id=run.pk, indicator_id=indicator.pk),
            json_columns=("coefficients", "series"),
            raw=raw,
        )
    if results.pooled:
        pooled = pd.DataFrame(results.pooled).assign(run_id=run.pk, indicator_id=indicator.pk)
        _write_frame(PooledEffect, pooled, raw=raw)
    if results.spc:
        _write_frame(
            SpcSummary,
            pd.DataFrame(results.spc).assign(run_id=run.pk, indicator_id=indicator.pk),
            json_columns=("points",),
            raw=raw,
        )
    alerts = results.alerts
    if len(alerts):
        _write_frame(
            Alert,
            pd.DataFrame(
                {
                    "run_id": run.pk,
                    "organisation_id": alerts["organisation_id"].to_numpy(dtype=int),
                    "indicator_id": indicator.pk,
                    "period": _dates(alerts["period"]),
                    "kind": alerts["kind"].to_numpy(),
                    "statistic": alerts["statistic"].to_numpy(dtype=float),
                    "threshold": alerts["threshold"].to_numpy(dtype=float),
                    "synthetic": alerts["synthetic"].to_numpy(dtype=bool),
                }
            ),
            raw=raw,
        )


def _stamp_confidential(results: compute.IndicatorResults, confidential_codes: frozenset[str]) -> None:
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


def _store_documents(
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
) -> None:
    targets = dict(Regime.objects.values_list("code", "exit_target_months"))
    ratings: dict[int, list] = {}
    # The clear-improver category asks for a later overall rating; key-question ratings are not it.
    for org, rated_on, rating in QualityRating.objects.filter(question="overall").values_list(
        "organisation_id", "rated_on", "rating"
    ):
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
        "performance_categories": compute.compute_categories(episodes, ratings, as_of=cutoff),
        "performance_categories_public": compute.compute_categories(public_episodes, ratings, as_of=cutoff),
        "staff_survey": compute.compute_staff_survey(survey, spells, theme_names, benchmark_groups),
        "staff_survey_public": compute.compute_staff_survey(survey, public_spells, theme_names, benchmark_groups),
    }
    documents["early_warning"]["cusum"] = early_warning_series(run, documents["early_warning"])  # for the page
    AnalysisResult.all_runs.bulk_create(
        [AnalysisResult(run=run, key=key, payload=payload) for key, payload in documents.items()]
    )


def stored_document(key: str) -> dict | None:
    """The payload of a programme-level result, or None before the first run."""
    row = AnalysisResult.objects.filter(key=key).only("payload").first()
    return row.payload if row else None


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
    indicators = list(Indicator.objects.order_by("code"))
    fingerprints = _inputs_fingerprints(indicators, k, h)
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
    observations, _ = _analysed_observations(observations)
    episodes = _episodes()
    spells = compute.spells_by_organisation(episodes)
    confidential_codes = frozenset(Regime.objects.filter(confidential=True).values_list("code", flat=True))
    meta = _indicator_meta(indicator)
    frame = compute.applicable_observations(observations, meta, dict(Organisation.objects.values_list("pk", "kind")))
    if indicator.synthetic:
        frame = frame.assign(synthetic=True)
    summary = {"indicator": indicator.code, "zscores": 0, "problems": []}
    with transaction.atomic():
        for model in RESULT_MODELS:
            model.all_runs.filter(run=run, indicator=indicator).delete()
        if not frame.empty:
            results, _ = _timed_compute(frame, meta, spells, k, h, compute.spell_synthetic_keys(episodes, spells))
            _stamp_confidential(results, confidential_codes)
            _store_indicator(run, indicator, results)
            summary.update(
                zscores=len(results.zscores),
                trajectories=len(results.trajectories),
                pooled_effects=len(results.pooled),
                alerts=len(results.alerts),
                problems=_named_problems(results.problems[: compute.MAX_PROBLEMS_LISTED]),
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
    k, h = run.parameters["cusum_k"], run.parameters["cusum_h"]
    done = {part["indicator"] for part in parts}
    fingerprints = {int(pk): value for pk, value in (run.counts.get("fingerprints") or {}).items()}
    try:
        with transaction.atomic(), _recompute_lock():
            indicators = list(Indicator.objects.order_by("code"))
            episodes = _episodes()
            spells = compute.spells_by_organisation(episodes)
            confidential_codes = frozenset(Regime.objects.filter(confidential=True).values_list("code", flat=True))
            programme = _ProgrammeInputs()
            for indicator in indicators:
                programme.add_stored(indicator, run if indicator.code in done else None)
            data_end = programme.data_end
            cutoff = settings.DATA_CUTOFF or data_end or timezone.localdate()
            programme.store(
                run,
                episodes=episodes,
                spells=spells,
                cutoff=cutoff,
                k=k,
                h=h,
                indicators=indicators,
                confidential_codes=confidential_codes,
            )
            ids = [indicator.pk for indicator in indicators if indicator.code in done]
            run.changes = _switch_pointers(run, ids, programme=True, fingerprints=fingerprints)
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
                "data_cutoff": cutoff.isoformat(),
                "seconds": round(time.perf_counter() - started + sum(part.get("seconds", 0) for part in parts), 3),
            }
            if data_end is not None:
                counts["data_end"] = data_end.isoformat()
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
        _after_run(run)
        raise
    _prune_soon()
    _after_run(run)  # a fanned-out run notifies as an in-process one does (issue 15)
    return run


__all__ = ["RecomputeBusy", "results_recompute", "stored_document"]
