"""manage.py export_zscores --indicator CODE --out FILE: stored results as CSV."""

from indicators import exports
from indicators.management.exporting import ExportCommand


class Command(ExportCommand):
    help = exports.export_zscores.__doc__
    export = staticmethod(exports.export_zscores)
