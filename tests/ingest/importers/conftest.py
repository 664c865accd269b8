"""Fixtures shared by the importer tests."""

import pytest
from django.db import connection

from ingest.importers import staging


@pytest.fixture(params=["simple", "staged"])
def path(request, monkeypatch):
    """Which path the long observations import takes; the staged one exists on PostgreSQL only."""
    if request.param == "staged" and connection.vendor != "postgresql":
        pytest.skip("the staging path runs on PostgreSQL")
    monkeypatch.setattr(staging, "ENABLED", request.param == "staged")
    return request.param
