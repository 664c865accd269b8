"""manage.py issue_token USERNAME --scope read|confidential|write [--name NAME]: prints the key once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from oversight import permissions
from oversight.models import TokenScope
from oversight.tokens import TokenRefused, token_issue


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
        if scope == TokenScope.CONFIDENTIAL and not permissions.can_see_confidential(user):
            raise CommandError(f"{username} may not see confidential data, so cannot hold a confidential token")
        try:
            token, key = token_issue(user=user, scope=scope, name=name, expires_days=expires_days, channel="command")
        except TokenRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"token {token.prefix}… ({scope}) for {username}; copy it now, it will not be shown again:")
        self.stdout.write(key)
