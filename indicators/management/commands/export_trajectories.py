"""manage.py export_trajectories --indicator CODE --out FILE: stored results as CSV."""

from indicators import exports
from indicators.management.exporting import ExportCommand


class Command(ExportCommand):
    help = exports.export_trajectories.__doc__
    export = staticmethod(exports.export_trajectories)
