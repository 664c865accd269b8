from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import dated CQC ratings (2013-2019 by core service, or latest publication per trust) as "
        "QualityRating, overall and key questions."
    )
    format = ImportFormat.CQC_RATINGS
    several_files = False
