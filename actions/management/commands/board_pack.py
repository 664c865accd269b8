"""manage.py board_pack --out FILE.pdf [--user NAME] [--as-at DATE]: the board pack as a PDF."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from actions.board_pack import NoAsAtResults, board_pack
from actions.services import system_viewer


class Command(BaseCommand):
    help = "Write the board pack (the board, then one page per trust in a regime) as an A4 landscape PDF."

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help="The PDF file to write.")
        parser.add_argument("--user", help="Render what this user may see (default: everything, as oversight staff).")
        parser.add_argument(
            "--as-at",
            help="A past date (YYYY-MM-DD): the pack as the board stood then, from that date's as-at run "
            "(`recompute --as-at DATE` computes it).",
        )

    def handle(self, *args, out, user=None, as_at=None, **options):
        viewer = system_viewer()
        if user:
            viewer = get_user_model().objects.filter(username=user, is_active=True).first()
            if viewer is None:
                raise CommandError(f"--user: no active user named {user!r}.")
        try:
            day = date.fromisoformat(as_at) if as_at else None
        except ValueError as exc:
            raise CommandError(f"--as-at: {as_at!r} is not a date (YYYY-MM-DD).") from exc
        try:
            content, trusts = board_pack(viewer, as_at=day)
        except NoAsAtResults as exc:
            raise CommandError(f"--as-at: {exc}.") from exc
        with open(out, "wb") as handle:
            handle.write(content)
        self.stdout.write(f"Wrote {out}: the board and {trusts} trust pages ({len(content)} bytes).")
