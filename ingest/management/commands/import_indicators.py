from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = "Import the indicator catalogue: code,name,kind,cadence,polarity[,unit,description,pre_window_months]."
    format = ImportFormat.INDICATORS
