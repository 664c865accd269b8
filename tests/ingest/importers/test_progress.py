"""Large files get a progress bar on stderr (tqdm stays silent when stderr is not a terminal); small ones none."""

import pytest
from tqdm import tqdm

from ingest.importers.base import PROGRESS_MIN_ROWS, ImportContext, ImportSummary
from ingest.importers.reading import ErrorList

pytestmark = []


def context(progress):
    return ImportContext(batch=None, summary=ImportSummary(batch=None), errors=ErrorList(), progress=progress)


@pytest.mark.parametrize(
    ("progress", "rows", "with_bar"),
    [(True, PROGRESS_MIN_ROWS, True), (True, 10, False), (False, PROGRESS_MIN_ROWS, False)],
)
def test_it_shows_a_bar_only_for_large_files_when_asked(progress, rows, with_bar):
    wrapped = context(progress).rows(list(range(rows)))

    assert isinstance(wrapped, tqdm) is with_bar
    assert sum(1 for _ in wrapped) == rows
