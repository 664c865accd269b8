"""manage.py revoke_token PREFIX: revoke the token whose key starts with PREFIX (as shown in lists)."""

from django.core.management.base import BaseCommand, CommandError

from oversight.models import ApiToken
from oversight.tokens import token_revoke


class Command(BaseCommand):
    help = "Revoke an API token by its prefix (the first 8 characters of its key)."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        matches = list(ApiToken.objects.filter(prefix=prefix[:8], revoked_at__isnull=True))
        if not matches:
            raise CommandError(f"no active token has the prefix {prefix!r}")
        if len(matches) > 1:
            raise CommandError(f"{len(matches)} active tokens share the prefix {prefix!r}; revoke them in the admin")
        token = token_revoke(token=matches[0], reason="Revoked (revoke_token)", channel="command")
        self.stdout.write(f"revoked {token}")
