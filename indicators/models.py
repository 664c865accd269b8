"""The indicator catalogue, observed values with their provenance, and the stored results of each run."""

import contextlib
import contextvars
from datetime import date

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from .constants import (
    BatchStatus,
    Cadence,
    EffectQuantity,
    ImportFormat,
    IndicatorKind,
    Polarity,
    RegimeGroup,
    RunStatus,
)


class Indicator(models.Model):
    """A measure tracked for every trust (ED 4-hour breaches, SHMI, staff survey theme…)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=IndicatorKind.choices)
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    polarity = models.CharField(max_length=16, choices=Polarity.choices, default=Polarity.LOWER_IS_BETTER)
    unit = models.CharField(max_length=40, blank=True)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=200, blank=True)
    pre_window_months = models.PositiveSmallIntegerField(default=18)
    synthetic = models.BooleanField(default=False, help_text="True when every value held is synthetic demo data.")
    analysis_cadence = models.CharField(
        max_length=10, choices=Cadence.choices, blank=True, help_text="The cadence analysed; blank: the cadence."
    )
    target = models.FloatField(null=True, blank=True, help_text="The national standard, e.g. 0.05 for ED breaches.")
    applies_to = models.JSONField(
        default=list, blank=True, help_text="Organisation kinds the indicator applies to; empty: every kind."
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_analysis_cadence(self) -> str:
        return self.analysis_cadence or self.cadence

    def applies_to_kind(self, kind: str) -> bool:
        """True when the indicator applies to organisations of `kind` (every kind when applies_to is empty)."""
        return not self.applies_to or kind in self.applies_to


class ImportBatch(models.Model):
    """One file loaded (or refused): the provenance of every stored number.

    It stays here, below ingest (which reads the files and writes these rows), on purpose. The rows that
    point at a batch live in this app (Observation, SurveyBenchmarkGroup) and in trusts (segments,
    ratings), and this app reads batches itself (the recompute and its fingerprints leave synthetic ones
    out, the demo generator records its own). Moved up to ingest, each of those would depend on a layer
    above: as a foreign key by string and a migration dependency the layer test cannot see, and as an
    import it would refuse. The provenance record belongs with what it is the provenance of; ingest
    depends on it, never the other way (issue 12). trusts' foreign keys to it are the one string reference
    left pointing up a layer, as before.
    """

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=20, choices=ImportFormat.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.RUNNING)
    rows_read = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_skipped = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    unverified_codes = models.JSONField(default=list, blank=True)
    excluded_codes = models.JSONField(
        default=list, blank=True, help_text="Providers in the file that are not NHS trusts, counted and not loaded."
    )
    synthetic = models.BooleanField(default=False)
    stored_file = models.CharField(
        max_length=255,
        blank=True,
        help_text="An upload waiting for its import task, under MEDIA_ROOT; removed once read",
    )
    heartbeat = models.DateTimeField(
        null=True, blank=True, help_text="When the import last reported progress; a running batch silent too long died."
    )

    class Meta:
        ordering = ["-started"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()}, {self.started:%Y-%m-%d %H:%M})"


class Observation(models.Model):
    """One organisation's value of one indicator for one period (first day of the month or quarter)."""

    # No single-column indexes on these two (issue 11): the unique key leads with the organisation and
    # the (indicator, period) index with the indicator, so each serves the lookups a lone index would,
    # and an import maintains two indexes fewer.
    # No database constraint on the three foreign keys either (issue 11, as the result tables): PostgreSQL
    # checks a foreign key row by row, and the three deferred checks of a 331,000-row import cost ~3.4 s
    # at COMMIT, more than writing the rows (bench/results/imports-2026-12-03b.txt). The references are
    # guarded instead where they are made and where they are removed:
    # - every writer takes its ids from the database inside its transaction: the importers from the
    #   catalogue and `organisation_ids` (whose set-based checks refuse an unknown indicator, with its
    #   row, column and value), the demo generator from the organisations and batch it has just read
    #   or made; the importers then lock the referenced rows (`ingest.importers.observation_writes.
    #   lock_observation_references`: FOR KEY SHARE, once per distinct id, the lock the per-row check
    #   took) and refuse the file if one has gone;
    # - a delete goes through Django's collector, which enforces PROTECT (and SET_NULL for the batch)
    #   itself, and on PostgreSQL a delete trigger on the organisation and indicator tables
    #   (indicators 0019) refuses to remove a row still referenced, whatever deletes it.
    organisation = models.ForeignKey(
        "trusts.Organisation",
        on_delete=models.PROTECT,
        related_name="observations",
        db_index=False,
        db_constraint=False,
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="observations", db_index=False, db_constraint=False
    )
    period = models.DateField()
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    lower = models.FloatField(null=True, blank=True)
    upper = models.FloatField(null=True, blank=True)
    batch = models.ForeignKey(
        ImportBatch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="observations",
        # No index (issue 11): only a rare batch delete reads by batch, and it cost each import ~0.4 s.
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["indicator", "period", "organisation"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "indicator", "period"], name="observation_unique_key")
        ]
        indexes = [
            models.Index(fields=["indicator", "period"]),
            # The API pages one indicator's observations by cursor in id order (indicators.api.views).
            models.Index(fields=["indicator", "id"], name="observation_indicator_id"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.indicator_id}/{self.period.isoformat()}"


class SurveyBenchmarkGroup(models.Model):
    """The NHS Staff Survey benchmarking group of an organisation in one survey year (its comparator)."""

    organisation = models.ForeignKey("trusts.Organisation", on_delete=models.CASCADE, related_name="survey_groups")
    year = models.PositiveSmallIntegerField()
    group = models.CharField(max_length=200)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["year", "group", "organisation"]
        constraints = [models.UniqueConstraint(fields=["organisation", "year"], name="survey_benchmark_group_unique")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.year}: {self.group}"


class ComputationRun(models.Model):
    """One recompute of the stored results: when, how, with what parameters, and what it wrote."""

    started = models.DateTimeField(auto_now_add=True)
    finished = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING)
    method_version = models.CharField(max_length=20)
    parameters = models.JSONField(default=dict, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    problems = models.JSONField(
        default=list,
        blank=True,
        help_text="Rows left out of the run, each {indicator, organisation, period, reason}: "
        "one bad row never fails a run.",
    )
    triggered_by = models.CharField(max_length=100, blank=True)
    changes = models.JSONField(
        default=dict,
        blank=True,
        help_text="What changed against the results this run replaced: new alerts, changed SPC variation icons.",
    )
    as_at = models.DateField(
        null=True,
        blank=True,
        db_index=True,
        help_text="An as-at run: computed only from data as it stood on this date; never served as current.",
    )

    class Meta:
        ordering = ["-started"]
        get_latest_by = "started"

    def __str__(self) -> str:
        return f"Run {self.pk} {self.get_status_display()} {self.started:%Y-%m-%d %H:%M}"

    @property
    def data_as_of(self) -> date | None:
        """The latest period of the data the run computed from (not when it ran)."""
        end = (self.counts or {}).get("data_end")
        return date.fromisoformat(end) if end else None


class CurrentResult(models.Model):
    """The one pointer readers follow: which run's rows are served for an indicator (or the programme).

    A run writes its rows under its own id and, once every part succeeded, moves the pointers of the
    indicators it recomputed in one short transaction, keeping the run it replaced as `previous_run`
    (so a page can say what changed). A failed or killed run never moves a pointer. The row with no
    indicator points at the programme-level documents (AnalysisResult).
    """

    indicator = models.OneToOneField(
        Indicator, null=True, blank=True, on_delete=models.CASCADE, related_name="current_result"
    )
    run = models.ForeignKey(ComputationRun, on_delete=models.PROTECT, related_name="+")
    previous_run = models.ForeignKey(ComputationRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fingerprint = models.CharField(max_length=64, blank=True, help_text="Hash of the inputs the run computed from.")
    switched = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["indicator_id"]

    def __str__(self) -> str:
        return f"{self.indicator_id or 'programme'} → run {self.run_id}"


def served_run_ids(indicator_ids) -> dict[int, int]:
    """{indicator id: the run its pointer serves}; an indicator before its first run is left out."""
    return dict(
        CurrentResult.objects.filter(indicator_id__in=list(indicator_ids)).values_list("indicator_id", "run_id")
    )


def rows_of_runs(sources: dict[int, int | None]) -> models.Q:
    """A filter on a results table: each indicator's rows of the run `sources` names for it (none for None).

    Naming each run outright lets PostgreSQL read one run's partition of the z-scores per indicator,
    where a correlated EXISTS on the pointers reads every kept run's rows (issue 11).
    """
    pairs = models.Q(pk__in=[])
    for indicator_id, run_id in sources.items():
        if run_id is not None:
            pairs |= models.Q(indicator_id=indicator_id, run_id=run_id)
    return pairs


# The run a page "as at" a date reads instead of the current pointers (`reading_run`); NO_RUN reads nothing.
NO_RUN = 0
_reading_run: contextvars.ContextVar[int | None] = contextvars.ContextVar("indicators_reading_run", default=None)


@contextlib.contextmanager
def reading_run(run_id: int | None):
    """Inside, every reader's manager serves the rows of run `run_id` (an as-at run) instead of the current run.

    None leaves the current pointers in force; NO_RUN serves no results at all (an as-at page whose run
    is not computed yet shows no signals rather than today's).
    """
    token = _reading_run.set(run_id)
    try:
        yield
    finally:
        _reading_run.reset(token)


class CurrentResultManager(models.Manager):
    """Every reader's manager: only the rows of the run each indicator's pointer names (CurrentResult).

    It is the default manager, so pages, the API, exports and reverse relations
    (`indicator.national_values`) can only ever read a current, complete run; the writer
    and the prune use `all_runs`.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        override = _reading_run.get()
        if override is not None:
            return queryset.filter(run_id=override)
        if any(field.name == "indicator" for field in self.model._meta.fields):
            return queryset.filter(
                models.Exists(
                    CurrentResult.objects.filter(
                        indicator_id=models.OuterRef("indicator_id"), run_id=models.OuterRef("run_id")
                    )
                )
            )
        return queryset.filter(
            run_id=models.Subquery(CurrentResult.objects.filter(indicator__isnull=True).values("run_id")[:1])
        )


class ResultModel(models.Model):
    """Every stored result names the run that made it (and so its method version).

    Result tables are derived data written under the run's id (never over another run's rows),
    whose inputs already passed the observation table's foreign keys. Their foreign keys
    therefore carry no database constraint (db_constraint=False): checking ~330,000 deferred
    constraints at commit cost more than the rest of the write (bench/recompute.py).
    Readers go through `objects` (the current run only); `all_runs` sees every run's rows.
    """

    run = models.ForeignKey(ComputationRun, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)

    objects = CurrentResultManager()
    all_runs = models.Manager()  # noqa: DJ012 — a manager, declared after the default one

    class Meta:
        abstract = True


class NationalValue(ResultModel):
    """The national value of an indicator in one period, with that period's overdispersion φ and τ²."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.DO_NOTHING, db_constraint=False, related_name="national_values"
    )
    period = models.DateField()
    national = models.FloatField(null=True)
    phi = models.FloatField(null=True)
    tau2 = models.FloatField(null=True)
    tau2_implied = models.FloatField(
        null=True,
        help_text="A ratio's τ² implied by its published 95% limits (median across trusts, methods §2); "
        "the funnel uses it when tau2 is unknown.",
    )
    n_trusts = models.PositiveIntegerField()

    class Meta:
        ordering = ["indicator", "period"]
        constraints = [models.UniqueConstraint(fields=["run", "indicator", "period"], name="national_value_unique")]


class ZScore(ResultModel):
    """One trust-period's z-score against the national value, unadjusted and overdispersion-adjusted."""

    organisation = models.ForeignKey(
        "trusts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="zscores"
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="zscores"
    )
    period = models.DateField()
    numerator = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    value = models.FloatField(null=True)
    z = models.FloatField(null=True)
    z_adjusted = models.FloatField(null=True)
    upper = models.FloatField(null=True, help_text="A ratio's 95% upper limit: published, or rebuilt (methods §2).")
    limits_rebuilt = models.BooleanField(
        default=False, help_text="The ratio had no published limits; they were rebuilt from observed and expected."
    )

    # The unique key (organisation, indicator, period) and the (indicator, period) index serve every
    # read; single-column indexes on the foreign keys would only slow the nightly COPY (~330k rows).
    run = models.ForeignKey(
        ComputationRun, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        ordering = ["indicator", "period", "organisation"]
        # Not a unique constraint: one z per observation holds by construction (tested), and a unique
        # index re-inserted over the rows deleted in the same transaction checks each dead duplicate
        # in the heap, which made the nightly write several times slower.
        indexes = [
            models.Index(fields=["organisation", "indicator", "period"], name="zscore_org_indicator_period"),
            models.Index(fields=["indicator", "period"], name="zscore_indicator_period"),
            # The API's cursor pages of the served run (run_id = … AND indicator_id = …, id order): without
            # the run in an index, a page reads the rows of every run kept before its first row.
            models.Index(fields=["run", "indicator", "id"], name="zscore_run_indicator_id"),
        ]


class TrajectoryFit(ResultModel):
    """A trust's interrupted-time-series fit of z_adj around one regime spell (methods §3)."""

    organisation = models.ForeignKey(
        "trusts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="trajectories"
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.DO_NOTHING, db_constraint=False, related_name="trajectories"
    )
    regime_group = models.CharField(max_length=8, choices=RegimeGroup.choices)
    spell_entered = models.DateField()
    spell_exited = models.DateField(null=True, blank=True)
    regimes = models.CharField(max_length=60, help_text="Regime codes in the spell, in order, e.g. CP>SMQ.")
    method = models.CharField(max_length=20)
    n = models.PositiveIntegerField()
    n_change_points = models.PositiveSmallIntegerField()
    rho = models.FloatField(null=True)
    durbin_watson = models.FloatField(null=True)
    coefficients = models.JSONField(help_text="{quantity: {estimate, se, ci_low, ci_high}}; missing rows absent.")
    series = models.JSONField(help_text="[{period, z_adj, fitted, counterfactual}] over the fitted window.")
    confidential = models.BooleanField(
        default=False, help_text="The spell includes an episode of a confidential regime (stamped at recompute)."
    )
    window_start = models.DateField(null=True, help_text="The first period the fit used.")
    window_end = models.DateField(null=True, help_text="The last period the fit used.")
    cadence = models.CharField(max_length=10, blank=True, help_text="The periods the fit is on (analysis cadence).")
    synthetic = models.BooleanField(
        default=False, help_text="Any input synthetic: an observation in the window or an episode of the spell."
    )

    class Meta:
        ordering = ["indicator", "organisation", "spell_entered"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "organisation", "indicator", "regime_group", "spell_entered"],
                name="trajectory_unique_spell",
            )
        ]


class PooledEffect(ResultModel):
    """One row of the evaluation's Table 23: a coefficient pooled across trusts by DerSimonian–Laird."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.DO_NOTHING, db_constraint=False, related_name="pooled_effects"
    )
    regime_group = models.CharField(max_length=8, choices=RegimeGroup.choices)
    quantity = models.CharField(max_length=24, choices=EffectQuantity.choices)
    n = models.PositiveIntegerField()
    estimate = models.FloatField(null=True)
    se = models.FloatField(null=True)
    ci_low = models.FloatField(null=True)
    ci_high = models.FloatField(null=True)
    tau2 = models.FloatField(null=True)
    i2 = models.FloatField(null=True)
    fixed_estimate = models.FloatField(null=True)
    confidential = models.BooleanField(
        default=False,
        help_text="Pooled over a fit of a confidential regime's episode (stamped at recompute). A group that is "
        "not confidential by definition (SMQ) also has a row pooled over the non-confidential fits only.",
    )
    cadence = models.CharField(max_length=10, blank=True, help_text="The periods the pooled fits are on.")
    synthetic = models.BooleanField(default=False, help_text="Any pooled fit synthetic.")

    class Meta:
        ordering = ["indicator", "regime_group", "quantity", "confidential"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "indicator", "regime_group", "quantity", "confidential"], name="pooled_effect_unique"
            )
        ]


class SpcSummary(ResultModel):
    """The XmR chart of one trust and indicator: limits, per-point types and the summary icons (§5)."""

    organisation = models.ForeignKey(
        "trusts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="spc"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.DO_NOTHING, db_constraint=False, related_name="spc")
    mean = models.FloatField(null=True)
    upper = models.FloatField(null=True)
    lower = models.FloatField(null=True)
    trial_limits = models.BooleanField(default=False)
    variation_icon = models.CharField(max_length=32, blank=True, help_text="The last charted point's type.")
    assurance = models.CharField(max_length=16, blank=True)
    target = models.FloatField(null=True, help_text="The indicator's target when the chart was drawn.")
    gap_before = models.BooleanField(
        default=False, help_text="True when earlier data, before a gap, are left out of the chart."
    )
    rebased_from = models.DateField(
        null=True, blank=True, help_text="The chart's limits are drawn from this period on (an SpcRebase)."
    )
    points = models.JSONField(help_text="[{period, value, rule, point_type}] of the latest run of data.")
    synthetic = models.BooleanField(default=False, help_text="Any charted value synthetic.")

    class Meta:
        ordering = ["indicator", "organisation"]
        constraints = [models.UniqueConstraint(fields=["run", "organisation", "indicator"], name="spc_unique")]


class Alert(ResultModel):
    """An early-warning signal: a CUSUM on a trust's z_adj crossed its threshold in a period (§6)."""

    organisation = models.ForeignKey(
        "trusts.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, related_name="alerts"
    )
    indicator = models.ForeignKey(Indicator, on_delete=models.DO_NOTHING, db_constraint=False, related_name="alerts")
    period = models.DateField(help_text="The period the signal fired.")
    kind = models.CharField(max_length=20, default="cusum")
    statistic = models.FloatField()
    threshold = models.FloatField()
    synthetic = models.BooleanField(default=False, help_text="The signalling period's value was synthetic.")

    class Meta:
        ordering = ["-period", "organisation"]
        indexes = [models.Index(fields=["period"])]


class AnalysisResult(ResultModel):
    """A whole-programme result stored as a document: survival curves, Tables 3/22/24/29, slipping list."""

    key = models.CharField(max_length=60)
    payload = models.JSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="analysis_result_run_key")]

    def __str__(self) -> str:
        return self.key


class SpcRebase(models.Model):
    """A person's decision that a trust's SPC chart of one indicator starts afresh at a period.

    A rebase says the process changed (a new pathway, a merger, a change of counting): from the
    next recompute the chart's mean, limits and point types are drawn from `rebased_from` on, as
    NHSRplotthedots' `rebase` does for the latest segment, and the chart says so with the reason.
    """

    organisation = models.ForeignKey("trusts.Organisation", on_delete=models.CASCADE, related_name="spc_rebases")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="spc_rebases")
    rebased_from = models.DateField(help_text="The first period of the new chart (the first day of its month).")
    reason = models.TextField(help_text="Why the process changed at that period.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "indicator", "rebased_from"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "indicator", "rebased_from"], name="spc_rebase_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation.ods_code} {self.indicator.code} rebased from {self.rebased_from.isoformat()}"


class RecomputeRequest(models.Model):
    """A recompute asked for while another ran: the running one picks it up as a follow-up run when it ends.

    Never dropped: a run claims (deletes) every request made before it took the lock, since it
    reads all the data committed by then; a request made later triggers the follow-up.
    """

    requested = models.DateTimeField(auto_now_add=True)
    triggered_by = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["requested"]

    def __str__(self) -> str:
        return f"recompute requested {self.requested:%Y-%m-%d %H:%M:%S} by {self.triggered_by or 'unknown'}"


class AsAtRequest(models.Model):
    """A person's request for results as at a past date (issue 15), from the board or trust page: audited.

    The request queues an as-at run (ComputationRun.as_at); the run names who asked in `triggered_by`.
    """

    as_at = models.DateField(help_text="The date the results are to be computed as at.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-requested"]

    def __str__(self) -> str:
        return f"results as at {self.as_at.isoformat()} requested {self.requested:%Y-%m-%d %H:%M}"
