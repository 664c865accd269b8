"""State-changing operations on indicator results: the recompute that fills the stored result tables.

Flow (house-style.md): read every observation in bulk → `indicators.compute` → write every
result in ONE transaction and stamp the ComputationRun as succeeded inside it. A run that
fails or is killed rolls back, so the previous results stay served; a run that died leaves
its ComputationRun 'running' and the next run marks it 'abandoned'. Two runs never
interleave: on PostgreSQL a transaction-level advisory lock, elsewhere a file lock.

`run` (the in-process run) and `parts` (a run fanned out to workers) orchestrate; `lock`,
`inputs`, `fingerprints`, `pool` (worker processes), `writer` (COPY and the writer thread),
`programme` (programme-level inputs) and `store` (rows, pointers, prune) do one thing each.
"""

from .inputs import episode_records
from .lock import RecomputeBusy
from .parts import results_compute_part, results_fan_out_finish, results_fan_out_start
from .run import results_recompute
from .store import as_at_run, results_prune, results_serve_run, stored_document

__all__ = [
    "RecomputeBusy",
    "as_at_run",
    "episode_records",
    "results_compute_part",
    "results_fan_out_finish",
    "results_fan_out_start",
    "results_prune",
    "results_recompute",
    "results_serve_run",
    "stored_document",
]
