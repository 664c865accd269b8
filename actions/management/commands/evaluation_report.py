"""manage.py evaluation_report --cutoff DATE --out FILE.html|FILE.pdf [--user NAME]: the evaluation's tables."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string

from actions.evaluation import build_report, report_context
from actions.report_pdf import report_pdf
from actions.services import system_viewer


class Command(BaseCommand):
    help = "Write the evaluation report (Tables 13, 22, 23, 24, 29, Figure 6) at a cut-off as an HTML or PDF file."

    def add_arguments(self, parser):
        parser.add_argument("--cutoff", required=True, help="YYYY-MM-DD")
        parser.add_argument("--out", required=True, help="The file to write: .html or .pdf.")
        parser.add_argument("--user", help="Render what this user may see (default: everything).")

    def handle(self, *args, cutoff, out, user=None, **options):
        try:
            day = date.fromisoformat(cutoff)
        except ValueError as exc:
            raise CommandError(f"--cutoff: {cutoff!r} is not a date (YYYY-MM-DD).") from exc
        if not out.lower().endswith((".html", ".htm", ".pdf")):
            raise CommandError(f"--out: {out!r} must end in .html, .htm or .pdf (the extension picks the format).")
        viewer = system_viewer()
        if user:
            viewer = get_user_model().objects.filter(username=user, is_active=True).first()
            if viewer is None:
                raise CommandError(f"--user: no active user named {user!r}.")
        report = build_report(viewer, day)
        if out.lower().endswith(".pdf"):
            with open(out, "wb") as handle:
                handle.write(report_pdf(report))
        else:
            with open(out, "w", encoding="utf-8") as handle:
                handle.write(render_to_string("actions/report_file.html", report_context(report)))
        self.stdout.write(f"Wrote {out}: {len(report.table_23)} Table 23 rows at cut-off {day}.")
