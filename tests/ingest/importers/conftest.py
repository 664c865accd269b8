"""Fixtures shared by the importer tests."""

import pytest
from django.db import connection

from ingest.importers import line_copy, staging


@pytest.fixture(params=["simple", "staged", "staged-python"])
def path(request, monkeypatch):
    """Which path the long observations import takes; the staged ones exist on PostgreSQL only.

    `staged` COPYs a plain file as it is written (`line_copy`); `staged-python` reads every file
    in Python into the staging table, as the staged path does a file that is not plain.
    """
    if request.param != "simple" and connection.vendor != "postgresql":
        pytest.skip("the staging path runs on PostgreSQL")
    monkeypatch.setattr(staging, "ENABLED", request.param != "simple")
    monkeypatch.setattr(line_copy, "ENABLED", request.param == "staged")
    return request.param
