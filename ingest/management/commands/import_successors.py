from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import ODS successor links (predecessor_code,predecessor_name,successor_code,successor_name,effective): "
        "each predecessor's series then joins its successor's lineage."
    )
    format = ImportFormat.ODS_SUCCESSORS
