"""manage.py bootstrap: first-run setup for `make run` — bundled real data, synthetic companion, demo logins, results.

Safe to rerun: a bundled file already imported (same SHA-256) is skipped, the synthetic set is
generated only when none exists, accounts are updated in place, and results are recomputed
only when data arrived after the last successful run.
"""

import hashlib
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from indicators.constants import BatchStatus, ImportFormat
from indicators.demo import demo_data_generate
from indicators.models import ImportBatch
from indicators.recompute import results_recompute
from indicators.selectors import latest_successful_run
from ingest.importers import import_file
from trusts.models import Organisation, RegimeEpisode
from trusts.services import user_create

REAL = settings.DATA_DIR / "real"
BUNDLED = [
    (ImportFormat.ORGANISATIONS, REAL / "nhs_trusts_2021.csv"),
    (ImportFormat.ODS_ETR, REAL / "ods_trusts_etr_2025.csv"),
    (ImportFormat.ODS_SUCCESSORS, REAL / "ods_successors_2017_2019.csv"),
    (ImportFormat.INDICATORS, settings.DATA_DIR / "indicators.csv"),
    (ImportFormat.AE_ATTENDANCES, REAL / "ae_attendances.csv"),
    *[(ImportFormat.AE_MONTHLY, path) for path in sorted((REAL / "nhse-ae-monthly-2024-25").glob("msitae-*.csv"))],
    (ImportFormat.NOF_SEGMENTS, REAL / "nof-2025-26" / "trust_segments_2026-03.csv"),
    # After the A&E files: they bring in the merged predecessors (RJF…) the 2013 files name.
    *[(ImportFormat.SHMI, path) for path in sorted((REAL / "shmi" / "hscic-2011-2014").glob("shmi-*.csv"))],
    (ImportFormat.SHMI, REAL / "shmi" / "SHMI_data_at_trust_level_Feb25-Jan26_csv.csv"),
    (ImportFormat.RTT, REAL / "rtt-cancer-2022-26" / "rtt_incomplete_provider_monthly.csv"),
    (ImportFormat.CANCER, REAL / "rtt-cancer-2022-26" / "cwt_provider_monthly.csv"),
    (ImportFormat.STAFF_SURVEY, REAL / "staff-survey-2024" / "NSS24_detailed_spreadsheets_organisational_results.xlsx"),
    # The latest-publication list first: where it and the dated 2013–2019 ratings give one trust a
    # different rating on the same date (20 ratings do), the dated trust-level record wins.
    (ImportFormat.CQC_RATINGS, REAL / "cqc" / "acute_ratings_latest_publication.csv"),
    (ImportFormat.CQC_RATINGS, REAL / "cqc" / "ratings_2013_2019_by_core_service.csv"),
    # The 2013 Keogh entries: real SMQ entries, exits not recorded. Before the synthetic companion,
    # which then invents no Keogh-style entries of its own.
    (ImportFormat.EPISODES, REAL / "special-measures" / "keogh_2013.csv"),
]
# What each demo role may do, printed with its login (oversight.permissions decides; this only says it).
ROLE_CAN = {
    "oversight": "sees everything, CP watch list included; edits and approves every trust's records; audit; imports",
    "director": "sees published data; edits the records of the trusts assigned to them (their CP records too)",
    "analyst": "sees published data and every trust's records read-only; no confidential watch list; no edits",
}
DEMO_ACCOUNTS = [
    ("oversight", "oversight", "oversight-demo-pass"),
    ("director", "director", "director-demo-pass"),
    ("analyst", "analyst", "analyst-demo-pass"),
]


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Command(BaseCommand):
    help = "Load the bundled real data and synthetic companion (first run only), create demo accounts, compute."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic companion data")
        parser.add_argument("--no-compute", action="store_true")

    def handle(self, *args, seed, no_compute, **options):
        started = time.perf_counter()
        done = set(ImportBatch.objects.filter(status=BatchStatus.SUCCEEDED).values_list("sha256", flat=True))
        for fmt, path in BUNDLED:
            if _sha256(path) in done:
                continue
            summary = import_file(fmt, path, file_name=path.name)
            self.stdout.write(f"{path.name}: {summary}")

        if not RegimeEpisode.objects.filter(synthetic=True).exists():
            self.stdout.write("generating the synthetic companion data (labelled synthetic everywhere)…")
            self.stdout.write(str(demo_data_generate(seed=seed)))

        logins = self._demo_accounts()

        last = latest_successful_run()
        newest_batch = ImportBatch.objects.filter(status=BatchStatus.SUCCEEDED).order_by("-finished").first()
        stale = last is None or (newest_batch and newest_batch.finished and newest_batch.finished > last.finished)
        if not no_compute and stale:
            self.stdout.write("computing results…")
            run = results_recompute(triggered_by="bootstrap", progress=lambda m: self.stdout.write(f"  {m}"))
            self.stdout.write(f"results computed: run {run.pk}, {run.counts}")
        self.stdout.write(f"bootstrap finished in {time.perf_counter() - started:.1f} s")
        # Last, so the logins sit just above the address `make run` prints and do not scroll away.
        self.stdout.write(logins)

    def _demo_accounts(self):
        # The demo director looks after two trusts now in a regime, so their edit rights show.
        open_trusts = list(
            Organisation.objects.filter(
                episodes__isnull=False, episodes__exited__isnull=True, episodes__exit_unknown=False
            )
            .distinct()
            .order_by("ods_code")[:2]
        )
        for username, role, password in DEMO_ACCOUNTS:
            user_create(
                username=username,
                role=role,
                password=password,
                trusts=open_trusts if role == "director" else None,
            )
        lines = [
            f"  {role:<10} username {username:<10} password {password}\n  {'':<10} may: {ROLE_CAN[role]}"
            for username, role, password in DEMO_ACCOUNTS
        ]
        trusts = ", ".join(org.ods_code for org in open_trusts) or "none yet"
        return "Demo logins (local use only):\n" + "\n".join(lines) + f"\n  (director assigned to {trusts})"
