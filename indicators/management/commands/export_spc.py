"""manage.py export_spc --indicator CODE --out FILE: every charted SPC point with its chart's limits and icons."""

from indicators import exports
from indicators.management.exporting import ExportCommand


class Command(ExportCommand):
    help = exports.export_spc.__doc__
    export = staticmethod(exports.export_spc)
