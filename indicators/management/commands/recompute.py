"""manage.py recompute [--indicator CODE] [--force]: the nightly recompute, run now, with progress.

Without --force only the indicators whose inputs changed since the served run are recomputed.
"""

from django.core.management.base import BaseCommand, CommandError

from indicators.services import RecomputeBusy, results_recompute


class Command(BaseCommand):
    help = "Recompute z-scores, trajectories, pooled effects, SPC and early warning, and store them atomically."

    def add_arguments(self, parser):
        parser.add_argument("--indicator", action="append", dest="indicators", metavar="CODE")
        parser.add_argument("--force", action="store_true", help="Recompute every indicator, changed or not.")

    def handle(self, *args, indicators=None, force=False, **options):
        verbose = options["verbosity"] > 0
        try:
            run = results_recompute(
                indicator_codes=indicators,
                triggered_by="manage.py recompute",
                incremental=not force,
                progress=(lambda message: self.stderr.write(message)) if verbose else None,
            )
        except RecomputeBusy as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        counts = run.counts
        self.stdout.write(
            f"run {run.pk}: {counts.get('observations', 0)} observations, {counts.get('zscores', 0)} z-scores, "
            f"{counts.get('trajectories', 0)} trajectories, {counts.get('pooled_effects', 0)} pooled effects, "
            f"{counts.get('alerts', 0)} alerts"
        )
        self.stdout.write(
            f"run {run.pk} succeeded in {counts.get('seconds')} s: {counts.get('recomputed', 0)} indicators "
            f"recomputed, {counts.get('skipped', 0)} skipped"
        )
