"""One number that changes whenever the data the API lists can change: the key of its cached answers.

Every import, demo generation and recompute, and every save or delete of a model registered with
`bump_on_change` (segments, organisations, indicators, batches, result pointers …), moves the
version on once its transaction commits. A cached list answer records the version it was read at
and is served only while the version is unchanged, so an edit shows up in the next response.

The version lives in the shared cache (settings.CACHES: Redis, or the database cache), so a bump
made by an import task in a Celery worker reaches every web worker. When the counter is missing
(a flushed or restarted cache) it starts again from the clock in nanoseconds, never from a number
an answer still in the cache could carry.

The bump after commit matters: a reader that read the old rows meanwhile stored them under a
version the bump then retires (answers are stored under the version read before the rows).
"""

import functools
import time

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import post_delete, post_save

KEY = "api:data-version"
TIMEOUT = None  # the version never expires by itself


def _start() -> int:
    return time.time_ns()


def current() -> int:
    """The data version now (set from the clock if the cache has none)."""
    version = cache.get(KEY)
    if version is None:
        cache.add(KEY, _start(), TIMEOUT)
        version = cache.get(KEY)
    return version


def from_cached(value) -> int:
    """The data version from a get_many() answer that asked for KEY (None: missing, so start it)."""
    return value if value is not None else current()


def of_request(request) -> int:
    """The data version a request reads at: read once per request and kept on it."""
    version = getattr(request, "_data_version", None)
    if version is None:
        version = current()
        request._data_version = version
    return version


_MEMO: dict[str, tuple[int, object]] = {}


def memo(name: str, request, compute):
    """compute(), kept in this process while the data version stands (computed afresh without a request).

    For small reads many requests repeat (the indicator codes, the served runs' pointers), whose
    tables are among those that move the version on. Keep the value small: one per name.
    """
    if request is None:
        return compute()
    version = of_request(request)
    held = _MEMO.get(name)
    if held is not None and held[0] == version:
        return held[1]
    value = compute()
    _MEMO[name] = (version, value)
    return value


def _bump_now() -> None:
    try:
        cache.incr(KEY)
    except ValueError:  # missing: a fresh start from the clock is a new version too
        cache.add(KEY, _start(), TIMEOUT)


def bump(using: str = DEFAULT_DB_ALIAS) -> None:
    """Move the version on now and, inside a transaction, once more when it commits.

    The bump at commit is the one that keeps answers honest: a reader that saw the old rows meanwhile
    stored them under a version this retires. The bump now lets a read in the writing transaction
    itself (a test, a service reading back what it wrote) see its own writes; it is registered on
    commit once per transaction, however many rows it saves.
    """
    _bump_now()
    connection = connections[using]
    if not connection.in_atomic_block:
        return
    # A bump registered in a savepoint that rolls back leaves this list with it, as do the saves in it.
    if not any(func is _bump_now for _, func, _ in connection.run_on_commit):
        transaction.on_commit(_bump_now, using=using)


def bumps(function):
    """Decorate a service that writes listed data in bulk (COPY, bulk_create, update): bump when it ends.

    It bumps whether the service returns or raises, as a failed run may have committed part of its work.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        finally:
            bump()

    return wrapper


def _on_change(sender, using=DEFAULT_DB_ALIAS, **kwargs):
    bump(using)


def bump_on_change(*models, deletes: bool = True) -> None:
    """Bump after every save (and, with `deletes`, delete) of these models (an app calls this in its ready()).

    Pass deletes=False for the long tables: a delete receiver makes Django load every row a queryset
    delete removes, to signal it (no fast delete); their bulk deletes are the services' (which bump).
    """
    for model in models:
        uid = f"dataversion:{model._meta.label_lower}"
        post_save.connect(_on_change, sender=model, dispatch_uid=f"{uid}:save", weak=False)
        if deletes:
            post_delete.connect(_on_change, sender=model, dispatch_uid=f"{uid}:delete", weak=False)
