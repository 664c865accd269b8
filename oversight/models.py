"""API tokens, the audit context of each recorded change, and the history of user accounts."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from simple_history import register
from simple_history.models import HistoricalRecords

TOKEN_PREFIX_LENGTH = 8


class TokenScope(models.TextChoices):
    READ = "read", "Read published data"
    CONFIDENTIAL = "confidential", "Read, including confidential data"
    WRITE = "write", "Read and write, acting for the user"


def hash_token_key(key: str) -> str:
    """The SHA-256 of a token key: the only form of the key the database ever holds."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A secret a REST client presents as `Authorization: Bearer <key>`, acting for one user within one scope.

    The key is shown once when issued; only its first characters (to tell tokens apart in lists)
    and its SHA-256 are stored. A token never exceeds its user's rights: the scope only narrows them.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for, e.g. 'ICB dashboard'.")
    scope = models.CharField(max_length=12, choices=TokenScope.choices, default=TokenScope.READ)
    prefix = models.CharField(max_length=TOKEN_PREFIX_LENGTH, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["key_hash", "last_used_at"])

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.prefix}… {self.scope} for {self.user} ({self.name or 'unnamed'})"

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    def set_key(self, key: str) -> None:
        self.prefix = key[:TOKEN_PREFIX_LENGTH]
        self.key_hash = hash_token_key(key)

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class AuditContext(models.Model):
    """What a history row alone cannot hold: the request id, the channel and the full reason of one change.

    One row per historical record written through a save (forms, admin, API, services, commands),
    and one per import batch (bulk imports write their history rows without signals).
    The historical models belong to other apps, so they are referred to by label and id.
    """

    history_model = models.CharField(
        max_length=100, help_text="Label of the historical model, e.g. trusts.historicalregimeepisode."
    )
    history_id = models.BigIntegerField()
    request_id = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=12, blank=True, help_text="form, api, admin, import, command or other.")
    reason = models.TextField(blank=True)
    # The import batch that made the change, set from the audit context the importer opens
    # (oversight.audit.audit_batch). A plain integer, not a foreign key: batches belong to the
    # indicators app, above this one, and the audit trail must outlive any batch it names.
    batch_id = models.IntegerField(null=True, blank=True, db_index=True)
    recorded = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded"]
        indexes = [models.Index(fields=["history_model", "history_id"])]

    def __str__(self) -> str:
        return f"{self.history_model}#{self.history_id} {self.channel} {self.request_id}"


# Users are audited too (who was given which role). The password hash and the last login are left
# out: the first is a secret, the second changes on every sign-in and says nothing about the account.
User = get_user_model()
if not hasattr(User, "history"):
    register(User, app="oversight", excluded_fields=["password", "last_login"], m2m_fields=["groups"])


# Connected in OversightConfig.ready(): a sign-in alone (last_login) writes no history row.
def skip_login_only_saves(sender, instance, update_fields=None, **kwargs):
    if (
        update_fields is not None
        and set(update_fields) <= {"last_login"}
        and not hasattr(instance, "skip_history_when_saving")
    ):
        instance.skip_history_when_saving = True
        instance._audit_skipped_login = True


def restore_history_after_save(sender, instance, **kwargs):
    if getattr(instance, "_audit_skipped_login", False):
        del instance.skip_history_when_saving
        del instance._audit_skipped_login
