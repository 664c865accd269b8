from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = "Import the NHS-R A&E attendances series (period,org_code,type,attendances,breaches,admissions) as ed_4hr."
    format = ImportFormat.AE_ATTENDANCES
