"""Benchmark the REST API's busiest reads against a bare endpoint on the same server.

Usage (against the current database; it must be migrated and hold data, e.g. after `manage.py bootstrap`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/oversight .venv/bin/python bench/api.py \
        [--requests 2000] [--clients 20] [--workers 2] [--port 8765]

It starts gunicorn on 127.0.0.1 (oversight.settings.dev with DEBUG off), issues a read token for a
bench user, and loads, each with --clients concurrent clients (threads with http.client, one
connection per request, --requests requests per endpoint after a warm-up):

  ping          /api/v1/ping/ — a constant behind the same token authentication and throttling
  segments      /api/v1/segments/?as_of=… — every organisation's published segment on a date
  observations  /api/v1/observations/?indicator=…&page_size=100 — one page of a long list
  zscores       /api/v1/zscores/?indicator=…&page_size=100 — one page of the served run's z-scores

taking the endpoints in turn in --rounds bursts (so background load on a shared machine weighs on
all of them alike), and prints p50/p95 latency, requests per second, and each endpoint's throughput as a share of
ping's. `--distinct` gives every request a parameter of its own, so nothing cached or kept from an
earlier request is reused (the cost of the first request after an import). Targets: at least 50%
of ping's throughput and p95 ≤ 50 ms. Loopback only; it stops by itself.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings.dev")
os.environ["DEBUG"] = "false"
HOST = "127.0.0.1"
BENCH_USER = "api-bench-reader"


def setup_django():
    import django

    django.setup()


def issue_bench_token() -> str:
    """A fresh read token for a bench analyst (earlier bench tokens are revoked)."""
    from django.utils import timezone

    from oversight.models import ApiToken
    from trusts.services import user_create

    user = user_create(username=BENCH_USER, role="analyst")
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key = ApiToken.new_key()
    token = ApiToken(user=user, scope="read", name="bench/api.py")
    token.set_key(key)
    token.save()
    return key


def endpoints() -> dict[str, str]:
    """The bench's URLs, with a date and an indicator that have data."""
    from django.db.models import Count, Max

    from indicators.models import Observation
    from trusts.models import SegmentAssignment

    newest = SegmentAssignment.objects.filter(published=True).aggregate(day=Max("effective_from"))["day"]
    busiest = (Observation.objects.values("indicator__code").annotate(n=Count("pk")).order_by("-n").first() or {}).get(
        "indicator__code", "ed_4hr"
    )
    as_of = newest.isoformat() if newest else "2025-01-01"
    return {
        "ping": "/api/v1/ping/",
        "segments": f"/api/v1/segments/?as_of={as_of}",
        "observations": f"/api/v1/observations/?indicator={busiest}&page_size=100",
        "zscores": f"/api/v1/zscores/?indicator={busiest}&page_size=100",
    }


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        DEBUG="false",
        API_THROTTLE_TOKEN_RATE="1000000/min",  # the bench measures the server, not the throttle
        LOG_LEVEL="WARNING",
    )
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "oversight.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--timeout",
        "120",  # a worker importing the app on a busy shared machine can take longer than the default 30 s
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 180 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def one_request(port: int, path: str, headers: dict) -> tuple[float, int, int]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return time.perf_counter() - started, response.status, len(body)
    finally:
        connection.close()


def load_interleaved(burst, urls: dict, rounds: int) -> dict:
    """Each endpoint's load split into `rounds` bursts, taken in turn, so a change in the machine's
    background load during the run weighs on every endpoint alike rather than on whichever ran then.

    `burst(path)` runs one burst and returns its n, elapsed, p50, p95 (and every latency when known).
    """
    bursts: dict[str, list[dict]] = {name: [] for name in urls}
    for _ in range(rounds):
        for name, path in urls.items():
            bursts[name].append(burst(path))
    merged = {}
    for name, results in bursts.items():
        n = sum(result["n"] for result in results)
        if all("latencies" in result for result in results):
            latencies = sorted(value for result in results for value in result["latencies"])
            p50, p95 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95) - 1]
        else:  # wrk reports percentiles per burst: the median p50 and the worst p95
            p50 = statistics.median(result["p50"] for result in results)
            p95 = max(result["p95"] for result in results)
        merged[name] = {
            "n": n,
            "statuses": set().union(*(result["statuses"] for result in results)),
            "bytes": statistics.mean(result["bytes"] for result in results),
            "p50": p50,
            "p95": p95,
            "rps": n / sum(result["elapsed"] for result in results),
        }
    return merged


WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format('WRK {"n": %d, "elapsed": %f, "p50": %f, "p95": %f, "errors": %d, "bytes": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    errors, summary.bytes))
end
"""


def load_wrk(port: int, path: str, headers: dict, seconds: float, clients: int) -> dict:
    """One burst of wrk (a C load generator, far lighter on the shared CPUs than Python threads)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        output = subprocess.run(
            [*command, f"http://{HOST}:{port}{path}"], capture_output=True, text=True, timeout=seconds + 60, check=True
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    result = json.loads(line[4:])
    return {
        "n": result["n"],
        "p50": result["p50"],
        "p95": result["p95"],
        "elapsed": result["elapsed"],
        "statuses": {200} if result["errors"] == 0 else {200, "errors"},
        "bytes": result["bytes"] / max(result["n"], 1),
    }


def load(port: int, path: str, headers: dict, requests: int, clients: int, distinct: bool = False) -> dict:
    """`requests` GETs of `path` from `clients` threads; latencies in ms, throughput in requests/s.

    With `distinct`, each request carries a parameter of its own (`bench=<n>`, ignored by the filters),
    so neither the list cache nor a kept statement (oversight.api.statements) has seen it: every
    request builds, compiles and runs its query, as the first request after an import does.
    """
    lock = threading.Lock()
    remaining = [requests]
    separator = "&" if "?" in path else "?"

    def client() -> list[tuple[float, int, int]]:
        results = []
        while True:
            with lock:
                if remaining[0] == 0:
                    return results
                remaining[0] -= 1
                number = remaining[0]
            target = f"{path}{separator}bench={time.monotonic_ns()}-{number}" if distinct else path
            results.append(one_request(port, target, headers))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        futures = [pool.submit(client) for _ in range(clients)]
        results = [item for future in futures for item in future.result()]
    elapsed = time.perf_counter() - started
    latencies = sorted(seconds * 1000 for seconds, _, _ in results)
    statuses = {status for _, status, _ in results}
    return {
        "n": len(results),
        "latencies": latencies,
        "elapsed": elapsed,
        "statuses": statuses,
        "bytes": statistics.mean(size for _, _, size in results),
        "p50": latencies[len(latencies) // 2],
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "rps": len(results) / elapsed,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rounds", type=int, default=4, help="bursts per endpoint, taken in turn")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "threads"],
        default="auto",
        help="wrk when installed (apt-get install wrk), else Python threads with http.client",
    )
    parser.add_argument("--seconds", type=float, default=12, help="wrk: seconds of load per endpoint")
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="threads: a parameter of its own on every request, so no cached answer or kept statement is reused",
    )
    args = parser.parse_args()
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "threads")
    if args.distinct and client == "wrk":
        parser.error("--distinct needs --client threads")

    setup_django()
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    if connection.vendor == "postgresql":
        # A freshly loaded database has no planner statistics yet; a live one has had autovacuum.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    key = issue_bench_token()
    urls = endpoints()
    connection.close()
    headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}

    server = start_server(args.port, args.workers)
    try:
        for path in urls.values():
            for _ in range(50):
                one_request(args.port, path, headers)  # warm-up: connections, caches, the token's last use
        if client == "wrk":
            seconds = args.seconds / args.rounds
            results = load_interleaved(
                lambda path: load_wrk(args.port, path, headers, seconds, args.clients), urls, args.rounds
            )
        else:
            per_round = max(1, args.requests // args.rounds)
            results = load_interleaved(
                lambda path: load(args.port, path, headers, per_round, args.clients, args.distinct),
                urls,
                args.rounds,
            )
    finally:
        stop_server(server)

    bare = results["ping"]["rps"]
    load_average = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"gunicorn {args.workers} sync workers, {args.clients} concurrent clients ({client}), "
        + (f"{args.seconds:g} s" if client == "wrk" else f"{args.requests} requests")
        + f" per endpoint in {args.rounds} rounds"
        + (", each request distinct" if args.distinct else "")
        + "; "
        f"{os.cpu_count()} CPUs, load average {load_average} (the clients share the machine)"
    )
    print(f"{'endpoint':<13} {'status':<8} {'bytes':>7} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>8} {'vs ping':>8}")
    failed = False
    for name, result in results.items():
        share = result["rps"] / bare
        statuses = ",".join(str(status) for status in sorted(result["statuses"]))
        print(
            f"{name:<13} {statuses:<8} {result['bytes']:>7.0f} {result['p50']:>8.1f} {result['p95']:>8.1f} "
            f"{result['rps']:>8.0f} {share:>7.0%}"
        )
        if result["statuses"] != {200}:
            failed = True
    for name in ("segments", "observations", "zscores"):
        result = results[name]
        verdict = "meets" if result["rps"] >= 0.5 * bare and result["p95"] <= 50 else "misses"
        print(f"{name}: {verdict} the target (≥ 50% of ping's throughput, p95 ≤ 50 ms); url {urls[name]}")
    if failed:
        raise SystemExit("some requests failed")


if __name__ == "__main__":
    main()
