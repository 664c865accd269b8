"""manage.py generate_demo_data: replace the synthetic demo set (labelled synthetic everywhere) from a seed."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from indicators.demo import demo_data_generate


class Command(BaseCommand):
    help = (
        "Generate the synthetic companion data (regime episodes and their records, segments, ratings and every "
        "indicator series except ed_4hr) for the organisations in the database, replacing any previous synthetic set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed; the same seed gives the same data")
        parser.add_argument(
            "--start", type=date.fromisoformat, default=date(2013, 1, 1), help="first month of the series (ISO date)"
        )
        parser.add_argument(
            "--end", type=date.fromisoformat, default=date(2025, 6, 1), help="last month of the data (ISO date)"
        )

    def handle(self, *args, seed, start, end, **options):
        try:
            summary = demo_data_generate(seed=seed, start=start, end=end)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(summary))
