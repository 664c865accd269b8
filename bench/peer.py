"""Benchmark the forced full recompute against the analyst's R workflow on the same national set (issue 11).

Usage (PostgreSQL and a scratch database; Debian `r-base-core r-cran-metafor` for Rscript):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oversight_bench .venv/bin/python bench/peer.py \
        [--trusts 230] [--indicators 16] [--months 90] [--spells 60] [--repeat 3]

It generates the national set with bench/recompute.py's generator (seeded), exports what the R
workflow reads (observations.csv: org_code, period YYYY-MM, indicator, numerator, denominator —
the proportion indicators, the only ones the R script models — and episodes.csv), then measures,
each in fresh processes, medians of --repeat:
  peer       `Rscript ../shared/bench/peer_workflow.R DIR`, whole-process wall time
  recompute  `bench/recompute.py --measure recompute` (a forced full run), whole-process wall time
             (interpreter, Django set-up and the run) and the run's own time as it prints it
and the ratio the issue sets a target for: forced recompute ≤ 0.5× the R workflow's whole-process time.
The R workflow does less (no SPC, alerts, ratio or score indicators, no writes), so the ratio favours R.
Then two floors of any recompute here, whole process, each against the R workflow: start-up only
(Python, Django and the recompute's libraries) and start-up plus reading every observation into
pandas (`recompute.py --measure floor`), with no statistic computed and nothing written.
"""

import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings.dev")
os.environ.setdefault("DEBUG", "false")

from recompute import bench_parser, ensure_database, generate, parse_on_postgres, setup_django  # noqa: E402  (bench/recompute.py, after the path)

PEER_SCRIPT = ROOT.parent / "shared" / "bench" / "peer_workflow.R"


def export_for_r(directory: Path) -> int:
    """Write the R workflow's two CSVs from the bench database; returns the observation rows written."""
    from indicators.models import Observation
    from trusts.models import RegimeEpisode

    rows = (
        Observation.objects.filter(denominator__gt=0)
        .values_list("organisation__ods_code", "period", "indicator__code", "numerator", "denominator")
        .order_by("indicator_id", "organisation_id", "period")
    )
    written = 0
    with open(directory / "observations.csv", "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["org_code", "period", "indicator", "numerator", "denominator"])
        for code, period, indicator, numerator, denominator in rows.iterator(chunk_size=20_000):
            out.writerow([code, period.strftime("%Y-%m"), indicator, f"{numerator:g}", f"{denominator:g}"])
            written += 1
    with open(directory / "episodes.csv", "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["org_code", "regime", "entered", "exited"])
        for code, regime, entered, exited in RegimeEpisode.objects.values_list(
            "organisation__ods_code", "regime__code", "entered", "exited"
        ).order_by("organisation__ods_code", "entered"):
            out.writerow([code, regime, entered.isoformat(), exited.isoformat() if exited else ""])
    return written


# What every recompute process does before its first statistic: Django and the recompute's libraries.
STARTUP = "import django; django.setup(); import indicators.recompute, pandas, scipy.special"


def timed(command: list[str], env=None) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return time.perf_counter() - started, completed.stdout


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--processes", type=int, default=1, help="RECOMPUTE_PROCESSES for the recompute")
    parser.add_argument("--peer-script", type=Path, default=PEER_SCRIPT, help="the R workflow (../shared/bench/)")
    args = parse_on_postgres(parser)
    rscript = shutil.which("Rscript")
    if not rscript or not args.peer_script.exists():
        parser.error(f"needs Rscript (apt-get install r-base-core r-cran-metafor) and {args.peer_script}")

    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    rows = generate(args.trusts, args.indicators, args.months, args.spells)
    print(f"generated and loaded {rows:,} observations", flush=True)
    with tempfile.TemporaryDirectory(prefix="oversight-peer-") as folder:
        directory = Path(folder)
        exported = export_for_r(directory)
        print(f"exported {exported:,} proportion observations for R to {directory}", flush=True)
        peer = []
        for _ in range(args.repeat):
            seconds, output = timed([rscript, str(args.peer_script), str(directory)])
            peer.append(seconds)
            print(f"peer {seconds:.2f} s: {output.strip().splitlines()[-1]}", flush=True)
    env = dict(os.environ, RECOMPUTE_PROCESSES=str(args.processes))
    whole, own = [], []
    for _ in range(args.repeat):
        seconds, output = timed([sys.executable, str(ROOT / "bench" / "recompute.py"), "--measure", "recompute"], env)
        measured = json.loads(output.strip().splitlines()[-1])
        whole.append(seconds)
        own.append(measured["own_seconds"])
        print(f"recompute {seconds:.2f} s whole process, run's own {measured['own_seconds']:.2f} s", flush=True)
    # The floor of any recompute in this stack: the interpreter, Django and the libraries set up, and
    # then also every observation read into pandas, with no statistic computed and nothing written.
    started_up = [timed([sys.executable, "-c", STARTUP], env)[0] for _ in range(args.repeat)]
    reading = [sys.executable, str(ROOT / "bench" / "recompute.py"), "--measure", "floor"]
    floor = [timed(reading, env)[0] for _ in range(args.repeat)]
    print(f"start-up only {' '.join(f'{v:.2f}' for v in started_up)} s", flush=True)
    print(f"start-up and reading {' '.join(f'{v:.2f}' for v in floor)} s", flush=True)
    peer_median, whole_median, own_median = (statistics.median(v) for v in (peer, whole, own))
    print(f"\nR workflow (whole process, {exported:,} observations): median {peer_median:.2f} s")
    print(f"forced full recompute (whole process, {rows:,} observations): median {whole_median:.2f} s")
    print(f"forced full recompute (run's own time): median {own_median:.2f} s")
    print(f"ratio recompute/R, whole process: {whole_median / peer_median:.2f} (target ≤ 0.5)")
    for label, values in (("start-up only", started_up), ("start-up and reading the observations", floor)):
        median = statistics.median(values)
        print(f"floor, {label} (whole process): median {median:.2f} s = {median / peer_median:.2f}× the R workflow")


if __name__ == "__main__":
    main()
