from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import NHS England monthly A&E CSVs as published (MSitAE-…): ed_4hr for type 1 departments, "
        "providers' names and regions. Each file is its own batch, all or nothing."
    )
    format = ImportFormat.AE_MONTHLY
    several_files = True
