"""From signal to action (issue 15): subscriptions, the events a run or a decision produced, each
user's notifications of them, and outlier cases opened from a signal.

An Event is written once per event key (unique), so a task that turns a run into events can run
twice and change nothing. Its `confidential` flag is derived from Regime.confidential of the episode
it concerns (never from a regime code); who may be told of it is decided by
oversight.permissions (VISIBILITY_RULES), at fan-out and again when the inbox is read.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from trusts.constants import REGION_CHOICES


class EventKind(models.TextChoices):
    ALERT = "alert", "New alert or slipping signal"
    LIGHT = "light", "Traffic light changed"
    SPC = "spc", "New SPC concern"
    CRITERION = "criterion", "Exit criterion met, or changed after approval"
    DECISION = "decision", "Exit or entry proposed or approved"
    FAILURE = "failure", "An import or a recompute failed"
    BOARD_PACK = "board_pack", "The weekly board pack (PDF by email)"


ALL_EVENT_KINDS = [kind.value for kind in EventKind]
# A run's alert events are the signals in the last months of their indicator's data (the first run
# would otherwise announce every signal ever computed).
RECENT_MONTHS = 3


class SubscriptionTarget(models.TextChoices):
    TRUST = "trust", "A trust"
    REGION = "region", "A region"
    INDICATOR = "indicator", "An indicator"
    MY_TRUSTS = "my_trusts", "My trusts (my assignments as improvement director)"
    ALL = "all", "Everything I may see"


class Delivery(models.TextChoices):
    INBOX = "inbox", "Inbox only"
    IMMEDIATE = "immediate", "Inbox and an email at once"
    DIGEST = "digest", "Inbox and a daily email digest"


class Subscription(models.Model):
    """What a user wants to be told of: a target (trust, region, indicator, my trusts) and the event kinds."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscriptions")
    target = models.CharField(max_length=12, choices=SubscriptionTarget.choices)
    organisation = models.ForeignKey(
        "trusts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    region = models.CharField(max_length=3, choices=REGION_CHOICES, blank=True)
    indicator = models.ForeignKey(
        "indicators.Indicator", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    events = models.JSONField(default=list, help_text="Event kinds to be told of (EventKind values).")
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.INBOX)
    created = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user", "created"]

    def __str__(self) -> str:
        what = self.organisation or self.get_region_display() or self.indicator or self.get_target_display()
        return f"{self.user} → {what} ({', '.join(self.events)})"


class Event(models.Model):
    """Something that changed, once per key: what a run or a decision produced."""

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    organisation = models.ForeignKey(
        "trusts.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    indicator = models.ForeignKey(
        "indicators.Indicator", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    episode = models.ForeignKey(
        "trusts.RegimeEpisode", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    run = models.ForeignKey(
        "indicators.ComputationRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    confidential = models.BooleanField(default=False, help_text="From Regime.confidential of the episode concerned.")
    staff_only = models.BooleanField(default=False, help_text="Import and recompute failures: oversight staff only.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """One user told of one event: the inbox row, read or not, emailed or not."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
    created = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.INBOX)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="notification_once_per_event")]

    def __str__(self) -> str:
        return f"{self.user}: {self.event}"


class CaseSignal(models.TextChoices):
    ALERT = "z_alert", "z_adj beyond ±2 in the bad direction (alert)"
    ALARM = "z_alarm", "z_adj beyond ±3 in the bad direction (alarm)"
    CUSUM = "cusum", "CUSUM signal"


class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    AWAITING = "responded", "Trust responded"
    CLOSED = "closed", "Closed"


class OutlierCase(models.Model):
    """An outlier signal taken up (HQIP alert/alarm, CQC CUSUM): assigned, answered by the trust, closed."""

    organisation = models.ForeignKey("trusts.Organisation", on_delete=models.PROTECT, related_name="outlier_cases")
    indicator = models.ForeignKey("indicators.Indicator", on_delete=models.PROTECT, related_name="outlier_cases")
    period = models.DateField(help_text="The period of the signal.")
    signal = models.CharField(max_length=8, choices=CaseSignal.choices)
    value = models.FloatField(help_text="z_adj, or the CUSUM statistic, at the signal.")
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="outlier_cases"
    )
    response = models.TextField(blank=True, help_text="The trust's response.")
    responded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "indicator", "period", "signal"],
                condition=~models.Q(status="closed"),
                name="one_open_case_per_signal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator} at {self.organisation} ({self.period:%b %Y}, {self.get_signal_display()})"

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    @property
    def days_to_close(self) -> int | None:
        if self.closed_at is None:
            return None
        return (self.closed_at - self.opened_at).days

    @property
    def days_open(self) -> int:
        from django.utils import timezone

        return ((self.closed_at or timezone.now()) - self.opened_at).days


class LightState(models.Model):
    """The board light of an open episode as last seen after a run, to tell a change (light events)."""

    episode = models.OneToOneField("trusts.RegimeEpisode", on_delete=models.CASCADE, related_name="+")
    light = models.CharField(max_length=8)
    run = models.ForeignKey("indicators.ComputationRun", null=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.episode_id}: {self.light}"


class AnnotationKind(models.TextChoices):
    INSPECTION = "inspection", "CQC inspection"
    LEADERSHIP = "leadership", "Leadership change"
    REBASE = "rebase", "Rebase"
    DATA = "data_problem", "Data problem"
    OTHER = "other", "Other"


class ChartAnnotation(models.Model):
    """A note on a trust's charts at a date (an inspection, a new chief executive, a rebase, a data problem)."""

    organisation = models.ForeignKey("trusts.Organisation", on_delete=models.CASCADE, related_name="annotations")
    on = models.DateField()
    kind = models.CharField(max_length=12, choices=AnnotationKind.choices)
    text = models.CharField(max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation", "on", "pk"]

    def __str__(self) -> str:
        return f"{self.on:%d %b %Y}: {self.get_kind_display()} - {self.text}"


class SavedView(models.Model):
    """A user's remembered filters for a page (the board): applied when they open it without filters."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    page = models.CharField(max_length=20)
    query = models.CharField(max_length=500, help_text="The page's query string, e.g. region=Y56&sort=-months.")
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "page"], name="one_saved_view_per_page")]

    def __str__(self) -> str:
        return f"{self.user} {self.page}?{self.query}"


class TransitionStatus(models.TextChoices):
    ACTIVE = "active", "In transition"
    COMPLETED = "completed", "Completed"
    RE_ENTERED = "re_entered", "Re-entered a regime"


class Handover(models.TextChoices):
    REGION = "region", "Regional team"
    SYSTEM = "system", "Integrated care board (system)"
    BOTH = "both", "Region and system together"


class CheckInOutcome(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    CONCERN = "concern", "Concerns noted"
    ESCALATE = "escalate", "Escalate: consider re-entry"


class Transition(models.Model):
    """The period after an exit (the RSP review's "transition, not a cliff edge"): national support tapers
    on a schedule, the trust is handed over to its region and system, and check-ins watch for slippage.

    `schedule` is a list of {"starts", "ends", "support"} steps and `check_ins` a list of {"held", "outcome",
    "note", "by"}; every change is one history row (who, when, the new lists, the reason).
    """

    episode = models.OneToOneField("trusts.RegimeEpisode", on_delete=models.CASCADE, related_name="transition")
    starts = models.DateField(help_text="The exit date.")
    ends = models.DateField(help_text="The end of the probation phase.")
    status = models.CharField(max_length=10, choices=TransitionStatus.choices, default=TransitionStatus.ACTIVE)
    handover_to = models.CharField(max_length=8, choices=Handover.choices, default=Handover.BOTH)
    handover_note = models.TextField(blank=True)
    schedule = models.JSONField(default=list, blank=True)
    check_ins = models.JSONField(default=list, blank=True)
    re_entry = models.ForeignKey(
        "trusts.RegimeEpisode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts", "pk"]

    def __str__(self) -> str:
        return f"Transition of {self.episode} from {self.starts:%d %b %Y} ({self.get_status_display()})"


class CommunicationKind(models.TextChoices):
    ENTRY = "entry", "Entry"
    EXIT = "exit", "Exit"


class Audience(models.TextChoices):
    TRUST_BOARD = "trust_board", "Trust board"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System partners (ICB, region)"
    PUBLIC = "public", "Patients and public"
    MEDIA = "media", "Media"
    MPS = "mps", "MPs and stakeholders"


class Communication(models.Model):
    """A communication planned with an entry or exit decision, and when it went out."""

    episode = models.ForeignKey("trusts.RegimeEpisode", on_delete=models.CASCADE, related_name="communications")
    kind = models.CharField(max_length=5, choices=CommunicationKind.choices)
    audience = models.CharField(max_length=12, choices=Audience.choices)
    planned = models.DateField()
    sent = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["episode", "kind", "planned", "pk"]

    def __str__(self) -> str:
        state = f"sent {self.sent:%d %b %Y}" if self.sent else f"planned {self.planned:%d %b %Y}"
        return f"{self.get_kind_display()} communication to {self.get_audience_display()}, {state}"
