"""Fixtures for the ingest tests: the bundled files, a catalogue, and a way to write broken copies."""

import pytest

from tests.ingest.importers.importer_data import ETR_2025, INDICATORS_CSV, TRUSTS_2021


@pytest.fixture
def catalogue(db):
    """The bundled indicator catalogue (ed_4hr and the rest)."""
    from ingest.importers import import_file

    import_file("indicators", INDICATORS_CSV)


@pytest.fixture
def registers(db):
    """Both real organisation registers: the 2021 trust list, then the 2025 etr extract."""
    from ingest.importers import import_file

    import_file("organisations", TRUSTS_2021)
    import_file("organisations", ETR_2025)


@pytest.fixture
def write_csv(tmp_path):
    """Write text (or bytes) to a file and return its path: the broken copies live here."""

    def write(content, name="upload.csv", encoding="utf-8"):
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode(encoding)
        path.write_bytes(content)
        return path

    return write


@pytest.fixture
def row_counts(db):
    """The number of rows the importers can write, to show a refused file wrote nothing."""
    from indicators.models import Indicator, Observation
    from trusts.models import Organisation, RegimeEpisode

    def count():
        return {
            model.__name__: model.objects.count() for model in (Organisation, Observation, RegimeEpisode, Indicator)
        }

    return count
