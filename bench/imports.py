"""Time and peak memory of importing a long observations CSV, against psql's \\copy of the same file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oversight .venv/bin/python bench/imports.py \\
        [--megabytes 50] [--runs 3]

The database must be migrated; the script adds the indicator catalogue if it is missing and
`--orgs` bench organisations (codes BN0000…), and deletes their observations before each run.
It writes a CSV in the observations format (org_code,period,indicator,numerator,denominator) of
about --megabytes MB, then, --runs times, each in a fresh Python process: `import_file` end to
end (scan, parse, check, write, commit), its wall time and the process's peak RSS
(resource.getrusage, which includes Django itself: the RSS before the import is shown too).
Then --runs times `psql -c "\\copy bench_import_copy from FILE csv header"` into a scratch table
(dropped afterwards). Prints the medians and the ratio. Targets (issue 11): peak RSS ≤ 300 MB for
a 50 MB file; the import within 10× of \\copy. The bench rows are deleted and the table vacuumed
(untimed) before each run, as autovacuum would between two imports of a served database. `--again`
also times, after each run, a second import of the same file over the rows just written (it should
change nothing).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings.dev")
os.environ["DEBUG"] = "false"
ORG_PREFIX = "BN"

CHILD = """
import json, resource, sys, time
import django
django.setup()
from ingest.importers import import_file
from indicators.models import Observation
if %(clear)r:
    Observation.objects.filter(organisation__ods_code__startswith=%(prefix)r).delete()
    # What autovacuum does on a served database (this machine's server runs without it): without it each
    # run inserts beside the dead rows of every run before it, and the figures creep up run by run.
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) indicators_observation")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
started = time.perf_counter()
summary = import_file("observations", %(path)r)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "before_mb": before, "read": summary.read,
                  "created": summary.created, "updated": summary.updated}))
"""


def setup(orgs: int) -> tuple[list[str], list[str]]:
    """The catalogue's monthly proportion indicators and the bench organisations, created once."""
    import django

    django.setup()
    from indicators.constants import Cadence, IndicatorKind
    from indicators.models import Indicator
    from ingest.importers import import_file
    from trusts.models import Organisation
    from trusts.naming import sector_from_code

    if not Indicator.objects.exists():
        import_file("indicators", ROOT / "data" / "indicators.csv")
    codes = [f"{ORG_PREFIX}{index:04d}" for index in range(orgs)]
    held = set(Organisation.objects.filter(ods_code__in=codes).values_list("ods_code", flat=True))
    Organisation.objects.bulk_create(
        [
            Organisation(
                ods_code=code, name=f"Bench trust {code}", kind="acute", sector=sector_from_code(code, kind="acute")
            )
            for code in codes
            if code not in held
        ]
    )
    indicators = list(
        Indicator.objects.filter(kind=IndicatorKind.PROPORTION, cadence=Cadence.MONTHLY).values_list("code", flat=True)
    )
    if not indicators:
        sys.exit("no monthly proportion indicator in the catalogue")
    return codes, indicators


def write_csv(path: Path, megabytes: float, codes: list[str], indicators: list[str]) -> int:
    """Rows of every organisation × indicator × month (from 2000-01) until the file reaches the size."""
    limit = int(megabytes * 1024 * 1024)
    rows = size = 0
    with open(path, "w", newline="") as file:
        header = "org_code,period,indicator,numerator,denominator\n"
        file.write(header)
        size = len(header)
        for month in range(600):
            period = f"{2000 + month // 12}-{month % 12 + 1:02d}"
            for indicator in indicators:
                for index, code in enumerate(codes):
                    denominator = 10000 + (index * 37 + month * 11) % 9000
                    line = f"{code},{period},{indicator},{denominator // 10 + month % 97},{denominator}\n"
                    file.write(line)
                    size += len(line)
                    rows += 1
                    if size >= limit:
                        return rows
    return rows


def psql_copy(url: str, path: Path) -> float:
    os.environ["PGOPTIONS"] = "-c client_min_messages=warning"  # no NOTICE for the DROP … IF EXISTS
    psql = ["psql", url.replace("postgres://", "postgresql://"), "-v", "ON_ERROR_STOP=1", "-q"]
    subprocess.run(
        [*psql, "-c", "DROP TABLE IF EXISTS bench_import_copy; CREATE TABLE bench_import_copy "
         "(org_code text, period text, indicator text, numerator float8, denominator float8)"],
        check=True,
    )  # fmt: skip
    started = time.perf_counter()
    subprocess.run([*psql, "-c", f"\\copy bench_import_copy from '{path}' with (format csv, header)"], check=True)
    seconds = time.perf_counter() - started
    subprocess.run([*psql, "-c", "DROP TABLE bench_import_copy"], check=True)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--orgs", type=int, default=2000)
    parser.add_argument("--again", action="store_true", help="also time a second import of the same file")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set DATABASE_URL to a migrated PostgreSQL database")
    codes, indicators = setup(args.orgs)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "observations.csv"
        rows = write_csv(path, args.megabytes, codes, indicators)
        print(f"file: {path.stat().st_size / 1e6:.1f} MB, {rows} rows, {len(indicators)} indicators")
        imports, agains = [], []
        for run in range(args.runs):
            result = child_import(path, clear=True)
            imports.append(result)
            print(
                f"import run {run + 1}: {result['seconds']:.1f} s, peak RSS {result['peak_mb']:.0f} MB "
                f"(before the import {result['before_mb']:.0f} MB), read {result['read']}, created {result['created']}"
                f" (load {os.getloadavg()[0]:.1f})"
            )
            if args.again:
                again = child_import(path, clear=False)
                agains.append(again)
                print(
                    f"  second import: {again['seconds']:.1f} s, peak RSS {again['peak_mb']:.0f} MB, "
                    f"created {again['created']}, updated {again['updated']} (load {os.getloadavg()[0]:.1f})"
                )
        copies = [psql_copy(url, path) for _ in range(args.runs)]
        print("psql \\copy runs: " + ", ".join(f"{seconds:.2f} s" for seconds in copies))
    seconds = statistics.median(result["seconds"] for result in imports)
    peak = statistics.median(result["peak_mb"] for result in imports)
    copy = statistics.median(copies)
    print(f"median import {seconds:.1f} s, median peak RSS {peak:.0f} MB (target ≤ 300 MB)")
    print(f"median psql \\copy {copy:.2f} s; import / copy = {seconds / copy:.1f}× (target ≤ 10×)")
    if agains:
        again = statistics.median(result["seconds"] for result in agains)
        print(f"median second import {again:.1f} s ({again / copy:.1f}× \\copy)")
    print(f"load average at the end: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


def child_import(path: Path, *, clear: bool) -> dict:
    """`import_file` in a fresh Python process (its own peak RSS); `clear` first deletes the bench rows."""
    child = subprocess.run(
        [sys.executable, "-c", CHILD % {"prefix": ORG_PREFIX, "path": str(path), "clear": clear}],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    if child.returncode:
        sys.exit(child.stderr[-3000:])
    return json.loads(child.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
