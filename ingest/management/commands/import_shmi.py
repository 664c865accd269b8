from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import SHMI trust-level CSVs as published (NHS Digital 2020s layout or HSCIC 2011-2014): observed, "
        "expected, SHMI and the overdispersed limits; the period comes from the file name. Each file is its "
        "own batch, all or nothing."
    )
    format = ImportFormat.SHMI
    several_files = True
