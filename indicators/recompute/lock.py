"""The single recompute lock: a transaction-level advisory lock on PostgreSQL, a file lock elsewhere."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator

from django.conf import settings
from django.db import connection

ADVISORY_LOCK_KEY = 7_305_001  # any constant shared by every process of this app
LOCK_FILE = settings.BASE_DIR / ".recompute.lock"


class RecomputeBusy(RuntimeError):
    """Another recompute holds the lock."""


@contextlib.contextmanager
def recompute_lock() -> Iterator[None]:
    """Hold the single recompute lock for the current transaction (PostgreSQL) or process (SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise RecomputeBusy("another recompute is running")
        yield
        return
    with open(LOCK_FILE, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RecomputeBusy("another recompute is running") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
