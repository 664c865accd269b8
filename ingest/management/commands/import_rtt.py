from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import the RTT incomplete-pathways file by provider and month: rtt_18wk and rtt_52wk for NHS trusts;"
        " other providers are listed, not loaded."
    )
    format = ImportFormat.RTT
    several_files = False
