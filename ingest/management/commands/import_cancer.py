from indicators.constants import ImportFormat
from ingest.importers.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import the cancer waiting times file by provider and month: cancer_62d (CMB62) and cancer_fds28 "
        "(FDS28) for NHS trusts."
    )
    format = ImportFormat.CANCER
    several_files = False
