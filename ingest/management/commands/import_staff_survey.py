from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import the NHS Staff Survey organisational results workbook (xlsx): theme and People Promise scores "
        "and each organisation's benchmarking group."
    )
    format = ImportFormat.STAFF_SURVEY
    several_files = False
