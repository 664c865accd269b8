"""Errors the apps' services raise when an edit is refused, which the pages and the API (409) translate.

In the bottom layer so that oversight.api.exceptions translates them without naming an app above it;
trusts.services raises them (and they stay importable from there).
"""

from django.utils import timezone


class ConcurrentEditError(Exception):
    """The record changed since the editor opened it; nothing was saved."""

    def __init__(self, instance, *, changed_by=None, changed_at=None):
        self.instance = instance
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = str(changed_by) if changed_by else "someone else"
        when = timezone.localtime(changed_at).strftime("%d %b %Y %H:%M") if changed_at else "an unknown time"
        super().__init__(
            f"This record was changed by {who} at {when} since you opened it; reload to see their changes. "
            "Nothing was overwritten."
        )


class DecisionNeedsApproval(Exception):
    """An edit tried to make a decision (entry, exit, regime) that needs a second oversight user; nothing was saved.

    `field` names what the edit tried to change; the message says where to propose it instead.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)
