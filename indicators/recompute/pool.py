"""Computing each indicator's results here or in forked worker processes (the statistics import no Django)."""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from .. import compute


def timed_compute(frame, meta, spells, k, h, synthetic_spells=frozenset()):
    """One indicator's results (compute.compute_indicator) and the seconds they took."""
    clock = time.perf_counter()
    results = compute.compute_indicator(frame, meta, spells, k=k, h=h, synthetic_spells=synthetic_spells)
    return results, time.perf_counter() - clock


def _one_by_one(work: list, spells, k, h, synthetic_spells):
    """In-process: each indicator's rows leave `work` as they are computed, so memory holds one at a time."""
    work.reverse()
    while work:
        indicator, meta, frame = work.pop()
        yield (indicator, meta, *timed_compute(frame, meta, spells, k, h, synthetic_spells))
        del frame


@contextlib.contextmanager
def computed_results(work, spells, k, h, processes: int, synthetic_spells=frozenset()):
    """Yield (indicator, meta, results, seconds) in order, computed here or in forked worker processes.

    The statistics are pure (indicators.compute imports no Django), so with processes > 1 each
    indicator is computed in a child forked before the writer thread starts; the children never
    touch the database (they leave through os._exit, so the inherited connection is untouched).
    A daemonic process (a Celery prefork worker) may not have children: it computes in-process.
    """
    if processes <= 1 or len(work) < 2 or multiprocessing.current_process().daemon:
        yield _one_by_one(work, spells, k, h, synthetic_spells)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = [pool.submit(timed_compute, frame, meta, spells, k, h, synthetic_spells) for _, meta, frame in work]
        yield ((indicator, meta, *future.result()) for (indicator, meta, _), future in zip(work, futures, strict=True))
