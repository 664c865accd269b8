"""manage.py add_user USERNAME --role oversight|director|analyst [--trust ODS ...] [--password-stdin]"""

import sys

from django.core.management.base import BaseCommand, CommandError

from oversight.audit import audit_scope
from trusts.models import Organisation
from trusts.services import ROLES, user_create


class Command(BaseCommand):
    help = "Create or update a user in one role; a director is assigned the given trusts from today."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=ROLES)
        parser.add_argument("--trust", action="append", default=[], metavar="ODS", help="ODS code (repeatable)")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from the first line of standard input"
        )
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, trust, password_stdin, email, **options):
        if trust and role != "director":
            raise CommandError("--trust is for improvement directors (--role director)")
        codes = [code.strip().upper() for code in trust]
        organisations = list(Organisation.objects.filter(ods_code__in=codes))
        missing = sorted(set(codes) - {organisation.ods_code for organisation in organisations})
        if missing:
            raise CommandError(f"no organisation has the ODS code {', '.join(missing)}")
        password = None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError("no password on standard input")
        with audit_scope(channel="command"):
            user = user_create(username=username, role=role, password=password, trusts=organisations, email=email)
        assigned = f", assigned {', '.join(codes)}" if codes else ""
        self.stdout.write(f"{user.username}: {role}{assigned}")
