from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import observations from a long CSV: org_code,period,indicator then numerator,denominator "
        "(proportions) or value[,lower,upper] (ratios and scores)."
    )
    format = ImportFormat.OBSERVATIONS
