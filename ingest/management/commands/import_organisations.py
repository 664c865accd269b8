from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import an organisation register: our CSV (org_code,name,kind,…), the ODS etr extract (no header) "
        "or the 2021 trust list. A blank cell never erases what is known."
    )
    format = ImportFormat.ORGANISATIONS
