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
    Comparator,
    CriterionStatus,
    CriterionTheme,
    EpisodeRoute,
    FundingCategory,
    LeadershipRating,
    OrganisationKind,
)

ods_code_validator = RegexValidator(
    r"^[A-Z0-9]{3,6}$", "An ODS code is 3 to 6 capital letters or digits, such as RF4 or QOP."
)


class VersionedModel(models.Model):
    """Adds an edit counter for optimistic concurrency: a save based on a stale version is refused."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class Organisation(VersionedModel):
    """An NHS trust or an integrated care board, identified by its ODS code."""

    ods_code = models.CharField(max_length=6, unique=True, validators=[ods_code_validator])
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices, default=OrganisationKind.OTHER)
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
    route = models.CharField(max_length=24, choices=EpisodeRoute.choices, default=EpisodeRoute.DIRECT)
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
        constraints = [
            models.CheckConstraint(
                condition=Q(exited__isnull=True) | Q(exited__gte=F("entered")),
                name="episode_exit_not_before_entry",
            )
        ]
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


class SegmentAssignment(VersionedModel):
    """The NHS Oversight Framework segment (1 best – 4, 5 allowed) an organisation held over a period."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="segments")
    segment = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    published = models.BooleanField(default=True)
    source = models.CharField(max_length=200, blank=True)
    synthetic = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name", "effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="segment_to_not_before_from",
            ),
            models.CheckConstraint(condition=Q(segment__gte=1, segment__lte=5), name="segment_between_1_and_5"),
        ]
        indexes = [models.Index(fields=["effective_from", "effective_to"])]

    def __str__(self) -> str:
        return f"{self.organisation.ods_code} segment {self.segment} from {self.effective_from.isoformat()}"


class ImprovementDirectorAssignment(models.Model):
    """An improvement director's assignment to a trust over a period (open while `to` is empty)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="id_assignments")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="id_assignments")
    date_from = models.DateField()
    date_to = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name", "-date_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__isnull=True) | Q(date_to__gte=F("date_from")),
                name="id_assignment_to_not_before_from",
            )
        ]

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
    history = HistoricalRecords()

    class Meta:
        ordering = ["episode", "theme", "pk"]
        verbose_name_plural = "exit criteria"

    def __str__(self) -> str:
        return f"{self.get_theme_display()}: {self.description[:60]}"

    APPROVAL_FIELDS = ("theme", "description", "indicator_id", "comparator", "threshold", "months_sustained")

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
