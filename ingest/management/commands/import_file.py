from django.core.management.base import CommandError

from ingest import formats
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import files of any registered format (ingest.formats): --format names it, or each file's header "
        "(or being a workbook) tells it."
    )
    several_files = True

    def add_format_argument(self, parser) -> None:
        parser.add_argument(
            "--format",
            choices=list(formats.FORMATS),
            help="The files' format; detected from each file when left out.",
        )

    def format_of(self, path, options) -> str:
        if options["format"]:
            return formats.get_format(options["format"]).name
        try:
            detected = formats.detect_format(path)
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        if detected is None:
            raise CommandError(f"{path}: its header matches no registered format; name one with --format")
        return detected
