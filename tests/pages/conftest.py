"""Fixtures for the page tests: a computed small world shared by a module's tests, and logged-in clients.

Building and computing the world takes about a second, and the page tests only read it, so it is
built once per module inside an outer transaction: each test's own transaction is a savepoint
within it (whatever a test writes is undone after the test), and the whole world is rolled back
when the module ends, leaving the reused test database as it was.
"""

import importlib

import pytest
from django.db import transaction
from django.test import Client

from indicators.recompute import results_recompute
from tests.pages.world import build_world


def _reference_data():
    """Regimes and role groups, which a transactional test elsewhere in the session may have flushed."""
    from django.apps import apps as django_apps
    from django.contrib.auth.models import Group

    from trusts.models import Regime

    if not Regime.objects.exists():
        importlib.import_module("trusts.migrations.0002_seed_regimes").seed(django_apps, None)
    if not Group.objects.exists():
        importlib.import_module("oversight.migrations.0001_roles").ensure_roles(django_apps)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        _reference_data()
        built = build_world()
        results_recompute(triggered_by="test")
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def login():
    """login(user) → a Client with that user's session."""

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make
