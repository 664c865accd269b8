"""Shared fixtures: named personas whose rights are stated once, and small data builders.

alice  — oversight staff: sees everything, approves decisions.
bob    — improvement director assigned to the trusts in `bob_trusts`.
carol  — analyst: read only, no confidential access.
"""

from datetime import date

import pytest


@pytest.fixture
def regimes(db):
    from trusts.models import Regime

    return {regime.code: regime for regime in Regime.objects.all()}


@pytest.fixture
def make_org(db):
    from trusts.models import Organisation

    def make(code="RXX", name=None, **fields):
        fields.setdefault("kind", "acute")
        fields.setdefault("region", "Y56")
        fields.setdefault("sector", "nhs_trust")  # a test's organisation is a trust unless it says (issue 16)
        return Organisation.objects.create(ods_code=code, name=name or f"Trust {code}", **fields)

    return make


@pytest.fixture
def alice(db):
    from trusts.services import user_create

    return user_create(username="alice", role="oversight", password="alice-password-1")


@pytest.fixture
def carol(db):
    from trusts.services import user_create

    return user_create(username="carol", role="analyst", password="carol-password-1")


@pytest.fixture
def bob_trusts(make_org):
    return [make_org("RB1", "Bob One Trust"), make_org("RB2", "Bob Two Trust")]


@pytest.fixture
def other_trust(make_org):
    return make_org("RZ9", "Somebody Else's Trust")


@pytest.fixture
def bob(db, bob_trusts):
    from trusts.services import user_create

    return user_create(
        username="bob", role="director", password="bob-password-1", trusts=bob_trusts, assigned_from=date(2024, 1, 1)
    )


@pytest.fixture
def child_env(transactional_db):
    from tests.processes import subprocess_environment

    return subprocess_environment()


@pytest.fixture
def celery_worker(monkeypatch):
    """`with celery_worker(env, "name"):` runs a real Celery worker on the configured broker for the block.

    Tasks stop running eagerly in this process from then on (to the test's end), and the queue is purged
    of anything an earlier run left in it.
    """
    from oversight.celery import app
    from tests.processes import celery_worker_running

    def start(env: dict, name: str):
        monkeypatch.setattr(app.conf, "task_always_eager", False)
        app.control.purge()
        return celery_worker_running(env, name)

    return start


@pytest.fixture(autouse=True)
def _empty_cache():
    """Sign-in lockouts and API throttle counts from one test must not reach the next.

    Only the tests' own memory cache is cleared: a shared one (CACHE_URL) may hold others' keys.
    """
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        backend.clear()
    yield


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Regimes and role groups come from data migrations; a transactional test's flush removes them."""
    wants_db = {"db", "transactional_db", "live_server", "child_env"} & set(request.fixturenames)
    if request.node.get_closest_marker("django_db") is None and not wants_db:
        return
    transactional = {"transactional_db", "live_server", "child_env"} & set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if transactional or (marker and marker.kwargs.get("transaction")):
        request.getfixturevalue("transactional_db")
    else:
        request.getfixturevalue("db")
    from tests.reference_data import ensure_reference_data

    ensure_reference_data()
