"""manage.py recompute [--indicator CODE] [--force] [--as-at DATE]: the nightly recompute, run now, with progress.

Without --force only the indicators whose inputs changed since the served run are recomputed.
--as-at computes every result from the data as it stood on a past date (never served as current:
the board and trust page "as at" that date read it).
"""

from django.core.management.base import BaseCommand, CommandError

from indicators.as_at import AsAtError, parse_as_at
from indicators.recompute import RecomputeBusy, results_recompute


class Command(BaseCommand):
    help = "Recompute z-scores, trajectories, pooled effects, SPC and early warning, and store them atomically."
    # The system checks (URLs, admin, DRF, templates: ~1 s at start-up) guard deploys and requests, which
    # `manage.py check` and the tests run; the nightly job reads and writes results only.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--indicator", action="append", dest="indicators", metavar="CODE")
        parser.add_argument("--force", action="store_true", help="Recompute every indicator, changed or not.")
        parser.add_argument(
            "--via-celery",
            action="store_true",
            help="Queue the run as a Celery chord (one part per indicator), wait, and list which worker ran each.",
        )
        parser.add_argument("--timeout", type=int, default=1800, help="Seconds to wait for --via-celery.")
        parser.add_argument(
            "--as-at",
            metavar="YYYY-MM-DD",
            help="Compute every result from the data as it stood on this date (an as-at run, never served as current).",
        )

    def handle(self, *args, indicators=None, force=False, via_celery=False, **options):
        verbose = options["verbosity"] > 0
        as_at = None
        if options.get("as_at"):
            if indicators or via_celery:
                raise CommandError("--as-at recomputes every indicator in process: no --indicator, no --via-celery")
            try:
                as_at = parse_as_at(options["as_at"])
            except AsAtError as exc:
                raise CommandError(f"--as-at: {exc}") from exc
        if via_celery:
            if indicators:
                raise CommandError("--via-celery runs every indicator (changed ones without --force)")
            self._via_celery(force=force, timeout=options["timeout"])
            return
        try:
            run = results_recompute(
                indicator_codes=indicators,
                triggered_by="manage.py recompute" + (f" --as-at {as_at.isoformat()}" if as_at else ""),
                incremental=not force and as_at is None,
                as_at=as_at,
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

    def _via_celery(self, *, force: bool, timeout: int) -> None:
        import time

        from indicators.constants import RunStatus
        from indicators.tasks import recompute_fan_out

        run, _ = recompute_fan_out(triggered_by="manage.py recompute --via-celery", incremental=not force)
        # Wait on the run's own row (the final step stamps it), not on a result backend.
        deadline = time.monotonic() + timeout
        run.refresh_from_db()
        while run.status == RunStatus.RUNNING:
            if time.monotonic() > deadline:
                raise CommandError(f"run {run.pk} did not finish within {timeout} s")
            time.sleep(0.5)
            run.refresh_from_db()
        if run.status != RunStatus.SUCCEEDED:
            raise CommandError(f"run {run.pk} {run.status}: {run.error.splitlines()[0] if run.error else ''}")
        outcome = {"counts": run.counts}
        counts = outcome["counts"]
        for part in counts.get("parts", []):
            self.stdout.write(f"{part['indicator']}: {part['zscores']} z-scores on {part['hostname']}")
        self.stdout.write(
            f"run {run.pk} succeeded in {counts.get('seconds')} s: {counts.get('recomputed', 0)} indicators "
            f"recomputed, {counts.get('skipped', 0)} skipped"
        )
