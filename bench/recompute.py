"""Benchmark the full recompute at national scale against the floor of merely reading the data.

Usage (PostgreSQL and a scratch database; the script creates and migrates it):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oversight_bench .venv/bin/python bench/recompute.py \
        [--trusts 230] [--indicators 16] [--months 90] [--spells 60] [--repeat 3] [--scale 1,10] [--incremental]

For each scale it generates trusts × indicators × months observations (seeded), loads them
with COPY, then in fresh subprocesses measures (median of --repeat runs):
  floor      reading every observation with COPY into pandas arrays (indicators.selectors)
  recompute  indicators.recompute.results_recompute: read, compute, write every result
and the peak resident memory of the recompute process.
With --incremental (issue 11), at scale 1 only: forced full runs (the run's own time) against a
`psql \\copy` of the observations to /dev/null, then nightly runs with no new data, then runs after
one new month of one indicator, each ratio to the forced run. It prints a table and the ratios the
issue sets targets for: recompute/floor ≤ 2, peak ≤ 1.5 GB, time(10×)/time(1×) ≤ 10.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings.dev")
os.environ.setdefault("DEBUG", "false")


def setup_django():
    import django

    django.setup()


def generate(trusts: int, indicators: int, months: int, spells: int, seed: int = 7) -> int:
    """Replace the bench database's contents with a seeded national-scale panel; returns observations."""
    from datetime import date

    import numpy as np
    from django.core.management import call_command
    from django.db import connection

    from indicators.models import Indicator, Observation
    from trusts.models import Organisation, Regime, RegimeEpisode

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        for table in (
            "indicators_zscore",
            "indicators_nationalvalue",
            "indicators_trajectoryfit",
            "indicators_pooledeffect",
            "indicators_spcsummary",
            "indicators_alert",
            "indicators_analysisresult",
            "indicators_observation",
            # what the actions app keeps about the runs and episodes (a previous bench run's events, lights)
            "actions_notification",
            "actions_event",
            "actions_lightstate",
            "actions_historicaltransition",
            "actions_transition",
            "actions_historicalcommunication",
            "actions_communication",
            "trusts_regimeepisode",
            "trusts_historicalregimeepisode",
            "indicators_currentresult",
            "indicators_recomputerequest",
            "indicators_computationrun",
        ):
            cursor.execute(f"DELETE FROM {table}")
    Indicator.objects.all().delete()
    Organisation.objects.filter(ods_code__startswith="B").delete()

    rng = np.random.default_rng(seed)
    orgs = Organisation.objects.bulk_create(
        [Organisation(ods_code=f"B{i:05d}", name=f"Bench trust {i}", kind="acute") for i in range(trusts)]
    )
    kinds = ["proportion"] * (indicators - 2) + ["ratio", "score"]
    catalogue = Indicator.objects.bulk_create(
        [
            Indicator(
                code=f"bench_{j:02d}", name=f"Bench {j}", kind=kinds[j], cadence="monthly", polarity="lower_is_better"
            )
            for j in range(indicators)
        ]
    )
    start_year, start_month = 2014, 1
    periods = [date(start_year + (start_month - 1 + t) // 12, (start_month - 1 + t) % 12 + 1, 1) for t in range(months)]

    smq = Regime.objects.get(code="SMQ")
    chosen = rng.choice(trusts, size=min(spells, trusts), replace=False)
    episodes = []
    for i in chosen:
        entry_t = int(rng.integers(20, months - 12))
        exit_t = entry_t + int(rng.integers(8, 40))
        entered = periods[entry_t]
        if entered < smq.valid_from:
            entered = smq.valid_from
        exited = periods[exit_t] if exit_t < months else None
        episodes.append(RegimeEpisode(organisation=orgs[i], regime=smq, entered=entered, exited=exited))
    RegimeEpisode.objects.bulk_create(episodes)

    table = Observation._meta.db_table
    total = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY {table} (organisation_id, indicator_id, period, numerator, denominator, value, lower, upper) "
            "FROM STDIN"
        ) as copy:
            for indicator, kind in zip(catalogue, kinds, strict=True):
                base = rng.uniform(0.05, 0.3)
                effect = rng.normal(0, 0.2, trusts)
                size = rng.integers(2000, 20000, trusts)
                for period in periods:
                    logit = np.log(base / (1 - base)) + effect + rng.normal(0, 0.05, trusts)
                    p = 1 / (1 + np.exp(-logit))
                    if kind == "proportion":
                        numerators = rng.binomial(size, p)
                        for org, n, r in zip(orgs, size, numerators, strict=True):
                            copy.write_row((org.pk, indicator.pk, period, float(r), float(n), None, None, None))
                    elif kind == "ratio":
                        expected = size / 10.0
                        shmi = np.exp(rng.normal(effect * 0.3, 0.05))
                        upper = np.exp(1.959964 * np.sqrt(1 / expected + 0.003))
                        for org, value, up in zip(orgs, shmi, upper, strict=True):
                            copy.write_row(
                                (org.pk, indicator.pk, period, None, None, float(value), float(1 / up), float(up))
                            )
                    else:
                        scores = 6.5 + effect + rng.normal(0, 0.2, trusts)
                        for org, value in zip(orgs, scores, strict=True):
                            copy.write_row((org.pk, indicator.pk, period, None, None, float(value), None, None))
                    total += trusts
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    return total


def measure(kind: str) -> dict:
    """Run one measurement in this (fresh) process; print JSON with seconds and peak RSS."""
    import resource

    from indicators.recompute import results_recompute
    from indicators.selectors import observations_frame

    started = time.perf_counter()
    phases = {}
    own = None
    if kind == "floor":
        frame = observations_frame()
        rows = len(frame)
    else:
        if kind == "new_month":
            add_month_of_first_indicator()
        run = results_recompute(triggered_by=f"bench {kind}", incremental=kind in ("nightly", "new_month"))
        rows = run.counts.get("observations", 0)
        phases = run.counts.get("phase_seconds", {})
        own = run.counts.get("seconds")
        phases["recomputed"] = run.counts.get("recomputed")
        phases["skipped"] = run.counts.get("skipped")
    seconds = time.perf_counter() - started
    # The recompute process's own peak, plus the largest forked compute process's when there are some.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "kind": kind,
        "seconds": seconds,
        "own_seconds": own,
        "rows": rows,
        "peak_mb": peak_mb,
        "child_peak_mb": child_peak_mb,
        "phases": phases,
    }


def add_month_of_first_indicator() -> None:
    """One new month of the first bench indicator for every trust (its latest month's values, +1 month)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO indicators_observation (organisation_id, indicator_id, period, numerator, denominator)
            SELECT organisation_id, indicator_id, (period + interval '1 month')::date, numerator, denominator
            FROM indicators_observation
            WHERE indicator_id = (SELECT id FROM indicators_indicator WHERE code = 'bench_00')
              AND period = (SELECT max(period) FROM indicators_observation o JOIN indicators_indicator i
                            ON i.id = o.indicator_id WHERE i.code = 'bench_00')
            """
        )


def psql_copy_seconds(url: str) -> float:
    """Wall time of `psql -c "\\copy indicators_observation TO /dev/null"` (the issue's floor)."""
    started = time.perf_counter()
    subprocess.run(
        ["psql", url, "-q", "-c", "\\copy indicators_observation TO '/dev/null'"], check=True, capture_output=True
    )
    return time.perf_counter() - started


def incremental(args) -> None:
    """Forced full runs against psql's copy, then no-new-data nightly runs and one-new-month runs."""
    url = os.environ["DATABASE_URL"]
    rows = generate(args.trusts, args.indicators, args.months, args.spells)
    print(f"generated and loaded {rows:,} observations", flush=True)
    copy = statistics.median(psql_copy_seconds(url) for _ in range(args.repeat))
    figures = {"psql_copy_s": copy}
    for kind in ("recompute", "nightly", "new_month"):
        runs = [run_child(kind) for _ in range(args.repeat)]
        figures[kind] = {
            "own_median_s": statistics.median(m["own_seconds"] for m in runs),
            "process_median_s": statistics.median(m["seconds"] for m in runs),
            "recomputed_skipped": [(m["phases"]["recomputed"], m["phases"]["skipped"]) for m in runs],
        }
        print(kind, json.dumps(figures[kind]), flush=True)
    forced = figures["recompute"]["own_median_s"]
    print(f"\npsql \\copy of {rows:,} observations to /dev/null: median {copy:.2f} s")
    print(f"forced full recompute (run's own time): median {forced:.2f} s = {forced / copy:.2f}× the psql copy")
    for kind, label in (("nightly", "nightly run, no new data"), ("new_month", "one new month of one indicator")):
        own = figures[kind]["own_median_s"]
        print(f"{label}: median {own:.2f} s = {own / forced:.1%} of the forced run")


def bench_parser(description: str) -> argparse.ArgumentParser:
    """The options every recompute bench shares: the size of the generated data set and the repeats."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trusts", type=int, default=230)
    parser.add_argument("--indicators", type=int, default=16)
    parser.add_argument("--months", type=int, default=90)
    parser.add_argument("--spells", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    return parser


def parse_on_postgres(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The parsed options, or the usage error when DATABASE_URL is not a (scratch) PostgreSQL database."""
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        parser.error("set DATABASE_URL to a scratch PostgreSQL database, e.g. .../oversight_bench")
    return args


def run_child(kind: str, processes: int = 1) -> dict:
    env = dict(os.environ, RECOMPUTE_PROCESSES=str(processes))
    output = subprocess.run(
        [sys.executable, __file__, "--measure", kind], capture_output=True, text=True, check=True, cwd=ROOT, env=env
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = bench_parser(__doc__)
    parser.add_argument("--scale", default="1,10", help="comma-separated multiples of --trusts to run")
    parser.add_argument("--processes", default="1,2", help="comma-separated RECOMPUTE_PROCESSES to measure")
    parser.add_argument("--measure", choices=["floor", "recompute", "nightly", "new_month"], help=argparse.SUPPRESS)
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="at scale 1: forced runs vs psql \\copy, nightly runs with no new data, one new month of one indicator",
    )
    args = parse_on_postgres(parser)
    if args.measure:
        setup_django()
        print(json.dumps(measure(args.measure)))
        return

    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    if args.incremental:
        incremental(args)
        return
    results = []
    for scale in [int(s) for s in args.scale.split(",")]:
        trusts = args.trusts * scale
        started = time.perf_counter()
        rows = generate(trusts, args.indicators, args.months, args.spells * scale)
        print(
            f"scale {scale}×: generated and loaded {rows:,} observations in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        floor = [run_child("floor") for _ in range(args.repeat)]
        floor_median = statistics.median(m["seconds"] for m in floor)
        for processes in [int(p) for p in args.processes.split(",")]:
            full = [run_child("recompute", processes) for _ in range(args.repeat)]
            row = {
                "scale": scale,
                "processes": processes,
                "observations": rows,
                "floor_median_s": floor_median,
                "recompute_median_s": statistics.median(m["seconds"] for m in full),
                "recompute_runs_s": [round(m["seconds"], 3) for m in full],
                "recompute_peak_mb": max(m["peak_mb"] for m in full),
                "compute_process_peak_mb": max(m["child_peak_mb"] for m in full),
                "phases_median_s": {
                    phase: round(statistics.median(m["phases"][phase] for m in full), 3) for phase in full[0]["phases"]
                },
            }
            row["ratio_to_floor"] = row["recompute_median_s"] / row["floor_median_s"]
            results.append(row)
            print(json.dumps(row), flush=True)

    print("\nscale  processes  observations  floor(s)  recompute(s)  ratio  peak(MB)")
    for row in results:
        print(
            f"{row['scale']:>4}×  {row['processes']:>9}  {row['observations']:>12,}  {row['floor_median_s']:>8.2f}  "
            f"{row['recompute_median_s']:>12.2f}  {row['ratio_to_floor']:>5.2f}  {row['recompute_peak_mb']:>8.0f}"
        )
    for processes in sorted({row["processes"] for row in results}):
        same = [row for row in results if row["processes"] == processes]
        if len(same) > 1:
            base, big = same[0], same[-1]
            print(
                f"processes={processes}: time({big['scale']}×)/time({base['scale']}×) = "
                f"{big['recompute_median_s'] / base['recompute_median_s']:.2f} for "
                f"{big['observations'] / base['observations']:.1f}× the observations"
            )


def ensure_database(url: str) -> None:
    """Create the scratch database named in DATABASE_URL if it does not exist."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
