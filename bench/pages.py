"""Server time and query count of the heaviest pages against the current database.

    DATABASE_URL=postgres://… .venv/bin/python bench/pages.py [--repeat 20] [--trust RF4]

Logs in with Django's test Client as an oversight user (no network, no browser), warms each page
up, then reports the median of `--repeat` requests and the number of SQL queries one request makes.
The trust page is measured for the trust with the most z-scores among those now in a regime (the
heaviest charts), unless `--trust` names one.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oversight.settings.dev")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from trusts.models import Organisation  # noqa: E402


def oversight_user():
    users = get_user_model().objects
    user = users.filter(is_superuser=True).first() or users.filter(groups__name="oversight").first()
    if user is None:
        sys.exit("no oversight user in this database: run `manage.py bootstrap` first")
    return user


def heaviest_trust_in_regime() -> str:
    organisation = (
        Organisation.objects.filter(episodes__isnull=False, episodes__exited__isnull=True)
        .annotate(points=Count("zscores", distinct=True))
        .order_by("-points", "ods_code")
        .first()
    )
    if organisation is None:
        sys.exit("no trust is in a regime in this database")
    return organisation.ods_code


def measure(client: Client, url: str, repeat: int) -> tuple[float, int, int]:
    """(median seconds, queries, bytes) of GET url."""
    for _ in range(2):  # warm-up: imports, template loading, database caches
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = len(captured)  # now: the captured list is a lazy slice of a log later requests reset
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), queries, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--trust", help="ODS code of the trust page to time (default: the heaviest in a regime)")
    args = parser.parse_args()

    client = Client()
    client.force_login(oversight_user())
    code = args.trust or heaviest_trust_in_regime()
    pages = [
        ("national board", "/"),
        (f"trust page {code}", f"/trusts/{code}/"),
        (f"trust page {code}, SHMI", f"/trusts/{code}/?indicator=shmi"),
    ]
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; median of {args.repeat} requests")
    print(f"{'page':<32} {'median ms':>10} {'queries':>8} {'KiB':>8}")
    for label, url in pages:
        median, queries, size = measure(client, url, args.repeat)
        print(f"{label:<32} {median * 1000:>10.1f} {queries:>8} {size / 1024:>8.0f}")


if __name__ == "__main__":
    main()
