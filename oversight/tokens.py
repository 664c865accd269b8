"""Services that issue and revoke API tokens: the one path for `manage.py issue_token` and the token page."""

from datetime import timedelta

from django.utils import timezone

from oversight import permissions
from oversight.audit import audit_scope
from oversight.models import ApiToken


class TokenRefused(ValueError):
    """The token cannot be issued or revoked; the message says why, naming the field."""


def token_issue(*, user, scope: str, name: str = "", expires_days: int | None = None, channel: str | None = None):
    """A new token for `user` within `scope`, audited; returns (token, key). The key exists only in the return value."""
    if permissions.role_of(user) is None:
        raise TokenRefused(f"{user.get_username()} has no role; give them one with add_user first")
    if scope not in permissions.token_scopes_for(user):
        raise TokenRefused(f"scope: {user.get_username()} may not hold a {scope!r} token (beyond their rights)")
    if expires_days is not None and expires_days <= 0:
        raise TokenRefused("expires_days: must be a positive number of days")
    key = ApiToken.new_key()
    token = ApiToken(user=user, name=name.strip(), scope=scope)
    if expires_days:
        token.expires_at = timezone.now() + timedelta(days=expires_days)
    token.set_key(key)
    token._change_reason = f"Issued ({scope})"
    _save(token, channel)
    return token, key


def token_revoke(*, token: ApiToken, reason: str = "Revoked", channel: str | None = None) -> ApiToken:
    """Revoke a token now (idempotent: revoking a revoked token changes nothing)."""
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token._change_reason = reason
    _save(token, channel, update_fields=["revoked_at"])
    return token


def _save(token, channel, **kwargs):
    # Inside a request the middleware supplies the request id and channel; a command names its own.
    if channel is None:
        token.save(**kwargs)
        return
    with audit_scope(channel=channel):
        token.save(**kwargs)
