from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import NHS England's NHS Oversight Framework league-table results (trust_segments_YYYY-MM.csv): "
        "published segments with rank, average score, deficit flags and domain segments. All or nothing."
    )
    format = ImportFormat.NOF_SEGMENTS
