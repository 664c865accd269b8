"""manage.py evaluation_report --cutoff DATE --out FILE.html [--user NAME]: the evaluation's tables as one file."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string

from actions.evaluation import build_report, report_context
from actions.services import system_viewer


class Command(BaseCommand):
    help = "Write the evaluation report (Tables 13, 22, 23, 24, 29, Figure 6) at a cut-off as a standalone HTML file."

    def add_arguments(self, parser):
        parser.add_argument("--cutoff", required=True, help="YYYY-MM-DD")
        parser.add_argument("--out", required=True, help="The .html file to write.")
        parser.add_argument("--user", help="Render what this user may see (default: everything).")

    def handle(self, *args, cutoff, out, user=None, **options):
        try:
            day = date.fromisoformat(cutoff)
        except ValueError as exc:
            raise CommandError(f"--cutoff: {cutoff!r} is not a date (YYYY-MM-DD).") from exc
        if not out.lower().endswith((".html", ".htm")):
            raise CommandError("--out: only .html is written (print it to PDF from a browser).")
        viewer = system_viewer()
        if user:
            viewer = get_user_model().objects.filter(username=user, is_active=True).first()
            if viewer is None:
                raise CommandError(f"--user: no active user named {user!r}.")
        report = build_report(viewer, day)
        with open(out, "w", encoding="utf-8") as handle:
            handle.write(render_to_string("actions/report_file.html", report_context(report)))
        self.stdout.write(f"Wrote {out}: {len(report.table_23)} Table 23 rows at cut-off {day}.")
