"""The shared shape of the export_* commands: --indicator CODE --out FILE (or - for stdout)."""

import sys

from django.core.management.base import BaseCommand, CommandError

from indicators.constants import RegimeGroup
from indicators.exports import indicator_by_code


class ExportCommand(BaseCommand):
    export = None  # set by each command: a function (indicator, out, **kwargs) -> row count

    def add_arguments(self, parser):
        parser.add_argument("--indicator", required=True, metavar="CODE")
        parser.add_argument("--out", required=True, metavar="FILE", help="a path, or - for standard output")
        if "regime" in self.export.__code__.co_varnames or "regime_group" in self.export.__code__.co_varnames:
            parser.add_argument(
                "--regime", default="SMQ+CP", choices=RegimeGroup.values, help="regime group (default SMQ+CP)"
            )

    def handle(self, *args, indicator, out, **options):
        try:
            chosen = indicator_by_code(indicator)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        kwargs = {"regime_group": options["regime"]} if "regime" in options else {}
        if out == "-":
            count = self.export(chosen, sys.stdout, **kwargs)
        else:
            with open(out, "w", newline="", encoding="utf-8") as handle:
                count = self.export(chosen, handle, **kwargs)
        self.stderr.write(f"wrote {count} rows")
