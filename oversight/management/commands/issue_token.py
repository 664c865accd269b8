"""manage.py issue_token USERNAME --scope read|confidential|write [--name NAME]: prints the key once."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from oversight import permissions
from oversight.audit import audit_scope
from oversight.models import ApiToken, TokenScope


class Command(BaseCommand):
    help = "Issue an API token for a user. The key is printed once; only its hash is stored."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", required=True, choices=TokenScope.values)
        parser.add_argument("--name", default="")
        parser.add_argument("--expires-days", type=int, default=None, help="expire after this many days")

    def handle(self, *args, username, scope, name, expires_days, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        if permissions.role_of(user) is None:
            raise CommandError(f"{username} has no role; give them one with add_user first")
        if scope == TokenScope.CONFIDENTIAL and not permissions.can_see_confidential(user):
            raise CommandError(f"{username} may not see confidential data, so cannot hold a confidential token")
        key = ApiToken.new_key()
        token = ApiToken(user=user, name=name, scope=scope)
        if expires_days:
            token.expires_at = timezone.now() + timedelta(days=expires_days)
        token.set_key(key)
        token._change_reason = f"Issued ({scope})"
        with audit_scope(channel="command"):
            token.save()
        self.stderr.write(f"token {token.prefix}… ({scope}) for {username}; copy it now, it will not be shown again:")
        self.stdout.write(key)
