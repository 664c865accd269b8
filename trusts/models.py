"""Organisations, the regimes they can be placed in, and the records of each episode."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from .constants import (
    REGION_CHOICES,
    AssignmentRole,
    Comparator,
    CriterionDataStatus,
    CriterionStatus,
    CriterionTheme,
    EpisodeRoute,
    FundingCategory,
    LeadershipRating,
    OrganisationKind,
    RegimeFamily,
    Sector,
)

ods_code_validator = RegexValidator(
    r"^[A-Z0-9]{3,6}$", "An ODS code is 3 to 6 capital letters or digits, such as RF4 or QOP."
)


def _not_before(end: str, start: str, *, name: str) -> models.CheckConstraint:
    """The database refuses a period whose `end` (empty while open) comes before its `start`."""
    return models.CheckConstraint(condition=Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": F(start)}), name=name)


class VersionedModel(models.Model):
    """Adds an edit counter for optimistic concurrency: a save based on a stale version is refused."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class Organisation(VersionedModel):
    """An NHS trust or an integrated care board, identified by its ODS code."""

    ods_code = models.CharField(max_length=6, unique=True, validators=[ods_code_validator])
    name = models.CharField(max_length=200, help_text="The name as shown, in the NHS's own casing.")
    name_source = models.CharField(
        max_length=200, blank=True, help_text="The name as the register spells it (often in capitals)."
    )
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices, default=OrganisationKind.OTHER)
    sector = models.CharField(
        max_length=12,
        choices=Sector.choices,
        blank=True,
        help_text="NHS trust, ICB or other provider; blank is filled from the ODS code's shape on save.",
    )
    region = models.CharField(max_length=3, choices=REGION_CHOICES, blank=True)
    parent_icb = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_trusts",
        limit_choices_to={"kind": OrganisationKind.ICB},
    )
    foundation_trust = models.BooleanField(default=False)
    opened = models.DateField(null=True, blank=True)
    closed = models.DateField(null=True, blank=True)
    successor = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="predecessors")
    verified = models.BooleanField(
        default=True, help_text="False for a code seen in data but in no organisation register."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed__isnull=True) | Q(opened__isnull=True) | Q(closed__gte=F("opened")),
                name="organisation_closed_after_opened",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"

    def save(self, *args, **kwargs):
        # Every creation path (admin, API, tests, a hand-made row) gets a sector; importers set it
        # explicitly from the registers (bulk_create bypasses this).
        if not self.sector:
            from .naming import sector_from_code

            self.sector = sector_from_code(self.ods_code, kind=self.kind)
        super().save(*args, **kwargs)

    @property
    def is_nhs_trust(self) -> bool:
        return self.sector == Sector.NHS_TRUST

    def clean(self):
        if self.successor_id and self.successor_id == self.pk:
            raise ValidationError({"successor": "An organisation cannot be its own successor."})

    def lineage_codes(self) -> list[str]:
        """ODS codes of this organisation and every predecessor, to follow a series across mergers."""
        codes, frontier, seen = [self.ods_code], [self], {self.pk}
        while frontier:
            current = frontier.pop()
            for predecessor in current.predecessors.all():
                if predecessor.pk not in seen:
                    seen.add(predecessor.pk)
                    codes.append(predecessor.ods_code)
                    frontier.append(predecessor)
        return codes


class Regime(models.Model):
    """A kind of oversight regime (SMQ, CP, NOF4…), effective-dated: a new regime is a row, not code."""

    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=120)
    family = models.CharField(
        max_length=32,
        choices=RegimeFamily.choices,
        default=RegimeFamily.IMPROVEMENT,
        help_text="What the regime is: spells, pooled groups, time in regime and categories follow the family.",
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    exit_target_months = models.PositiveSmallIntegerField(null=True, blank=True)
    confidential = models.BooleanField(default=False, help_text="Episodes visible only with confidential access.")
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["valid_from", "code"]
        permissions = [
            ("view_confidential", "Can see the confidential CP watch list and unpublished segments"),
            ("approve_decisions", "Can approve exit criteria and entry and exit decisions"),
        ]

    def __str__(self) -> str:
        return self.code

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class RegimeEpisode(VersionedModel):
    """One period an organisation spent in one regime, from entry to exit (open while exited is empty)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="episodes")
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="episodes")
    entered = models.DateField()
    exited = models.DateField(null=True, blank=True)
    exit_unknown = models.BooleanField(
        default=False,
        help_text="The exit happened but its date is not recorded (e.g. the 2013 Keogh entries): not ongoing.",
    )
    route = models.CharField(max_length=24, choices=EpisodeRoute.choices, default=EpisodeRoute.DIRECT, blank=True)
    reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    buddy_trust = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="buddied_episodes"
    )
    synthetic = models.BooleanField(default=False, help_text="Generated demo data, not a real episode.")
    proposed_exit = models.DateField(null=True, blank=True, help_text="Exit date proposed by the ID, pending approval.")
    proposed_exit_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name", "entered"]
        constraints = [_not_before("exited", "entered", name="episode_exit_not_before_entry")]
        indexes = [models.Index(fields=["regime", "entered"])]

    def __str__(self) -> str:
        end = self.exited.isoformat() if self.exited else "exit not recorded" if self.exit_unknown else "ongoing"
        return f"{self.organisation.ods_code} {self.regime.code} {self.entered.isoformat()}–{end}"

    @property
    def is_open(self) -> bool:
        return self.exited is None and not self.exit_unknown

    def months_in(self, today: date | None = None) -> int | None:
        """Whole months from entry to exit (or to today for an open episode); None when the exit is unknown."""
        if self.exit_unknown and self.exited is None:
            return None
        end = self.exited or today or date.today()
        return (end.year - self.entered.year) * 12 + end.month - self.entered.month

    def clean(self):
        errors = {}
        if self.route == EpisodeRoute.NOT_DISCLOSED:
            errors["route"] = "'not_disclosed' is how a hidden route is shown; give the actual route."
        if self.exited and self.entered and self.exited < self.entered:
            errors["exited"] = "The exit date cannot be before the entry date."
        if self.regime_id and self.entered and not self.regime.is_valid_on(self.entered):
            until = self.regime.valid_to.isoformat() if self.regime.valid_to else "now"
            errors["entered"] = (
                f"{self.regime.code} accepted entries from {self.regime.valid_from.isoformat()} to {until}; "
                f"{self.entered.isoformat()} is outside that."
            )
        if self.organisation_id and self.regime_id and self.entered and not errors:
            overlapping = RegimeEpisode.objects.filter(
                organisation_id=self.organisation_id, regime_id=self.regime_id
            ).exclude(pk=self.pk)
            end = self.exited or date.max
            # An episode whose exit is not recorded ended at some time before the next entry to the
            # same regime: it clashes only with an episode that was already running when it began.
            overlapping = overlapping.filter(
                Q(exited__isnull=True, exit_unknown=False)
                | Q(exited__gt=self.entered)
                | Q(exited__isnull=True, exit_unknown=True, entered__gte=self.entered),
                entered__lt=end,
            )
            clash = overlapping.first()
            if clash:
                errors["entered"] = f"This overlaps the existing {clash.regime.code} episode {clash}."
        if errors:
            raise ValidationError(errors)


class FrameworkVersion(models.Model):
    """One edition of the NHS Oversight Framework: its dates, domains, segment meanings and boundary rule.

    A new year is a row (a data migration), not code: `boundary_rule` names one of the rules in
    indicators/stats/segmentation.py and `rule_parameters` holds its numbers, e.g.
    {"deficit_cap": 3} for quartiles within category, or {"thresholds": [1.5, 2.0, 2.5],
    "deficit_cap": 3} for fixed thresholds (a score up to thresholds[k-1] is segment k).
    """

    QUARTILE_WITHIN_CATEGORY = "quartile_within_category"
    FIXED_THRESHOLDS = "fixed_thresholds"
    JUDGEMENT = "judgement"
    RULES = [
        (QUARTILE_WITHIN_CATEGORY, "Quartiles of average score within category"),
        (FIXED_THRESHOLDS, "Fixed thresholds of average score"),
        (JUDGEMENT, "Judgement (no arithmetic rule)"),
    ]

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    segment_meanings = models.JSONField(default=dict, help_text='{"1": "…", "2": "…"}: what each segment means.')
    domains = models.JSONField(default=list, help_text='[{"code": "access", "name": "Access"}, …], in display order.')
    categories = models.JSONField(default=list, help_text="The categories trusts are compared within.")
    boundary_rule = models.CharField(max_length=32, choices=RULES)
    rule_parameters = models.JSONField(default=dict, blank=True)
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["effective_from"]

    def __str__(self) -> str:
        return self.code

    @property
    def max_segment(self) -> int:
        return max((int(key) for key in self.segment_meanings), default=4)


class SegmentCategory(models.TextChoices):
    """The peer groups the 2025/26 framework segments within (NHS England's Trust_type)."""

    ACUTE = "acute", "Acute"
    NON_ACUTE = "non_acute", "Non-acute (mental health and community)"
    AMBULANCE = "ambulance", "Ambulance"


class SegmentAssignment(VersionedModel):
    """The NHS Oversight Framework segment (1 best – 4, 5 allowed) an organisation held over a period."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="segments")
    segment = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    published = models.BooleanField(default=True)
    source = models.CharField(max_length=200, blank=True)
    synthetic = models.BooleanField(default=False)
    # The framework edition the segment was given under; empty only for rows made before versions
    # existed in code that does not set it (the data migration put every existing row in nof-2021).
    framework = models.ForeignKey(
        FrameworkVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    category = models.CharField(max_length=12, choices=SegmentCategory.choices, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True, help_text="League-table rank within category.")
    average_score = models.FloatField(null=True, blank=True, help_text="Average metric score, 1 best – 4 worst.")
    in_deficit = models.BooleanField(null=True, blank=True, help_text="In financial deficit (the league table's flag).")
    finance_in_deficit = models.BooleanField(null=True, blank=True, help_text="The finance domain's deficit flag.")
    pre_adjustment_segment = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The segment before the deficit adjustment, as published."
    )
    domain_access = models.PositiveSmallIntegerField(null=True, blank=True)
    domain_effectiveness_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    domain_finance_productivity = models.PositiveSmallIntegerField(null=True, blank=True)
    domain_patient_safety = models.PositiveSmallIntegerField(null=True, blank=True)
    domain_people_workforce = models.PositiveSmallIntegerField(null=True, blank=True)
    batch = models.ForeignKey(
        "indicators.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="segments"
    )
    history = HistoricalRecords()

    DOMAIN_FIELDS = {
        "access": "domain_access",
        "effectiveness_experience": "domain_effectiveness_experience",
        "finance_productivity": "domain_finance_productivity",
        "patient_safety": "domain_patient_safety",
        "people_workforce": "domain_people_workforce",
    }

    class Meta:
        ordering = ["organisation__name", "effective_from"]
        constraints = [
            _not_before("effective_to", "effective_from", name="segment_to_not_before_from"),
            models.CheckConstraint(condition=Q(segment__gte=1, segment__lte=5), name="segment_between_1_and_5"),
            # One real assignment per organisation, framework and date: what makes an import idempotent.
            models.UniqueConstraint(
                fields=["organisation", "framework", "effective_from"],
                condition=Q(synthetic=False),
                name="segment_one_real_per_framework_and_date",
            ),
        ]
        indexes = [models.Index(fields=["effective_from", "effective_to"])]

    def __str__(self) -> str:
        return f"{self.organisation.ods_code} segment {self.segment} from {self.effective_from.isoformat()}"


class ImprovementDirectorAssignment(models.Model):
    """An improvement director's assignment to a trust (or, as System Improvement Director, to an ICB in the
    programme) over a period (open while `to` is empty)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="id_assignments")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="id_assignments")
    role = models.CharField(max_length=28, choices=AssignmentRole.choices, default=AssignmentRole.IMPROVEMENT_DIRECTOR)
    date_from = models.DateField()
    date_to = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name", "-date_from"]
        constraints = [_not_before("date_to", "date_from", name="id_assignment_to_not_before_from")]

    def __str__(self) -> str:
        return f"{self.user} at {self.organisation.ods_code} from {self.date_from.isoformat()}"

    def is_current(self, today: date | None = None) -> bool:
        today = today or date.today()
        return self.date_from <= today and (self.date_to is None or today <= self.date_to)


class DiagnosticStocktake(VersionedModel):
    """The diagnostic stocktake of an episode: the baseline account of why the trust entered."""

    episode = models.OneToOneField(RegimeEpisode, on_delete=models.CASCADE, related_name="stocktake")
    root_causes = models.TextField(blank=True)
    structural_issues = models.TextField(blank=True)
    leadership_capability = models.TextField(blank=True)
    leadership_direction = models.CharField(max_length=12, choices=LeadershipRating.choices, default="unknown")
    leadership_alignment = models.CharField(max_length=12, choices=LeadershipRating.choices, default="unknown")
    leadership_commitment = models.CharField(max_length=12, choices=LeadershipRating.choices, default="unknown")
    completed_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Stocktake for {self.episode}"


class ExitCriterion(VersionedModel):
    """One exit criterion of an episode under one theme, with its evidence and approval."""

    episode = models.ForeignKey(RegimeEpisode, on_delete=models.CASCADE, related_name="exit_criteria")
    theme = models.CharField(max_length=20, choices=CriterionTheme.choices)
    description = models.TextField()
    indicator = models.ForeignKey(
        "indicators.Indicator", null=True, blank=True, on_delete=models.SET_NULL, related_name="exit_criteria"
    )
    comparator = models.CharField(max_length=2, choices=Comparator.choices, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    months_sustained = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=CriterionStatus.choices, default=CriterionStatus.PROPOSED)
    evidence = models.TextField(blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_snapshot = models.JSONField(
        null=True, blank=True, help_text="The criterion as approved, to show changes made after approval."
    )
    # What the stored observations say, evaluated on every recompute (the person's `status` stays theirs).
    data_status = models.CharField(max_length=20, choices=CriterionDataStatus.choices, blank=True)
    met_since = models.DateField(null=True, blank=True, help_text="First month of the current run of months met.")
    data_evaluated_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["episode", "theme", "pk"]
        verbose_name_plural = "exit criteria"

    def __str__(self) -> str:
        return f"{self.get_theme_display()}: {self.description[:60]}"

    @property
    def was_approved(self) -> bool:
        """Whether the criterion was ever approved (its terms frozen), whatever its status since."""
        return self.approved_snapshot is not None or self.approved_at is not None

    APPROVAL_FIELDS = ("theme", "description", "indicator_id", "comparator", "threshold", "months_sustained")

    @property
    def data_disagrees(self) -> bool:
        """The ID's status and the data's say different things (met against not met): flagged, the person decides."""
        if self.status == CriterionStatus.MET:
            return self.data_status in (CriterionDataStatus.NOT_MET, CriterionDataStatus.MET_NOT_SUSTAINED)
        if self.status in (CriterionStatus.NOT_MET, CriterionStatus.IN_PROGRESS):
            return self.data_status == CriterionDataStatus.MET
        return False

    def approval_view(self) -> dict:
        return {field: getattr(self, field) for field in self.APPROVAL_FIELDS}

    def changes_since_approval(self) -> dict:
        """Fields changed after approval, as {field: (approved, now)}: the visible 'mission creep'."""
        if not self.approved_snapshot:
            return {}
        now = self.approval_view()
        return {
            field: (self.approved_snapshot.get(field), now[field])
            for field in self.APPROVAL_FIELDS
            if self.approved_snapshot.get(field) != now[field]
        }


class SupportFunding(VersionedModel):
    """Support funding awarded to an episode for one financial year and category, and what was spent."""

    episode = models.ForeignKey(RegimeEpisode, on_delete=models.CASCADE, related_name="funding")
    year = models.PositiveSmallIntegerField(help_text="Financial year starting, e.g. 2024 for 2024/25.")
    category = models.CharField(max_length=32, choices=FundingCategory.choices)
    budget = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    spent = models.DecimalField(max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)])
    history = HistoricalRecords()

    class Meta:
        ordering = ["episode", "year", "category"]
        constraints = [models.UniqueConstraint(fields=["episode", "year", "category"], name="funding_unique_line")]
        verbose_name_plural = "support funding"

    def __str__(self) -> str:
        return f"{self.episode} {self.year} {self.get_category_display()}"


class EpisodeNote(models.Model):
    """A dated free-text note on an episode, written by an ID or oversight staff."""

    episode = models.ForeignKey(RegimeEpisode, on_delete=models.CASCADE, related_name="episode_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    text = models.TextField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"Note on {self.episode} at {self.created:%Y-%m-%d}"


class QualityRating(models.Model):
    """A CQC rating of an organisation on a date, overall or for one key question (well-led…).

    The overall ratings give the 'clear improver' category its "later rated good or outstanding".
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="ratings")
    rated_on = models.DateField()
    question = models.CharField(
        max_length=12,
        default="overall",
        choices=[
            ("overall", "Overall"),
            ("safe", "Safe"),
            ("effective", "Effective"),
            ("caring", "Caring"),
            ("responsive", "Responsive"),
            ("well_led", "Well-led"),
        ],
    )
    batch = models.ForeignKey(
        "indicators.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rating = models.CharField(
        max_length=24,
        choices=[
            ("outstanding", "Outstanding"),
            ("good", "Good"),
            ("requires_improvement", "Requires improvement"),
            ("inadequate", "Inadequate"),
        ],
    )
    synthetic = models.BooleanField(default=False)

    class Meta:
        ordering = ["organisation", "rated_on"]
        indexes = [models.Index(fields=["organisation", "question", "rated_on"])]

    def __str__(self) -> str:
        return f"{self.organisation.ods_code} {self.question} {self.rating} {self.rated_on.isoformat()}"


class EntryProposal(VersionedModel):
    """A proposed entry of an organisation into a regime, waiting for a second oversight user's approval.

    Entry is a decision, so it needs two people: one proposes, a different oversight user approves.
    The episode is only created on approval, so a proposal never shows as open on the board nor
    counts in any analysis (every one of them reads RegimeEpisode); the proposal keeps the decision's
    who and when, and points at the episode it became.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="entry_proposals")
    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="entry_proposals")
    entered = models.DateField()
    route = models.CharField(max_length=24, choices=EpisodeRoute.choices, default=EpisodeRoute.DIRECT)
    reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    buddy_trust = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="buddied_entry_proposals"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    episode = models.OneToOneField(
        RegimeEpisode, null=True, blank=True, on_delete=models.PROTECT, related_name="entry_proposal"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-proposed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.organisation.ods_code} into {self.regime.code} from {self.entered.isoformat()} ({self.status})"


# The ICB system programme's links live in their own module (this one is at its size limit).
from .system_models import SystemProgrammeLink  # noqa: E402, F401
