"""The management commands' shared body: import each file, print the summary, list every error."""

from django.core.management.base import BaseCommand, CommandError

from .. import formats
from . import ImportRefused, import_file


class ImportCommand(BaseCommand):
    """`manage.py import_<format> FILE`: a thin wrapper around import_file; subclasses set `format`, a name
    in the registry (ingest.formats), which says how the file is read and which importer loads it."""

    format: str = ""
    several_files = False

    def add_arguments(self, parser):
        parser.add_argument("files" if self.several_files else "file", nargs="+" if self.several_files else None)
        self.add_format_argument(parser)
        parser.add_argument("--quiet", action="store_true", help="Show no progress bar.")
        parser.add_argument(
            "--no-recompute",
            action="store_true",
            help="Do not queue a recompute of the results after a successful import (e.g. before more imports).",
        )

    def add_format_argument(self, parser) -> None:
        """A command for one format takes no --format; `import_file` adds one."""

    def format_of(self, path, options) -> str:
        """The registered format to import `path` as: the command's own (a typo in it is a CommandError)."""
        try:
            return formats.get_format(self.format).name
        except formats.UnknownFormat as error:
            raise CommandError(str(error)) from None

    def handle(self, *args, **options):
        files = options["files"] if self.several_files else [options["file"]]
        refused, imported = [], []
        for path in files:
            try:
                summary = import_file(self.format_of(path, options), path, progress=not options["quiet"])
            except FileNotFoundError:
                raise CommandError(f"{path}: no such file") from None
            except ImportRefused as refusal:
                for line in refusal.lines():
                    self.stderr.write(f"{path}: {line}" if self.several_files else line)
                refused.append(f"{path} ({refusal.total} errors)")
                continue
            imported.append(path)
            if options["verbosity"] > 0:
                self.stdout.write(f"{path}: {summary}" if self.several_files else str(summary))
        if imported and not options["no_recompute"]:
            # A run after every import (issue 3): queued on the broker, or run here when there is none.
            from indicators.tasks import recompute_all

            outcome = recompute_all.delay(triggered_by=f"import {', '.join(map(str, imported))}"[:100])
            if options["verbosity"] > 0:
                self.stderr.write(f"recompute queued ({outcome.id})")
        if refused:
            raise CommandError(f"refused, nothing imported from: {', '.join(refused)}")
