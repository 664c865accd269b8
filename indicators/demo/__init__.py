"""Seeded synthetic demo data, labelled synthetic everywhere, calibrated to the national evaluation.

`demo_data_generate` fills what no offline real file covers (shared/data/README.md): regime
episodes and their records (stocktakes, exit criteria, funding, notes, improvement directors),
NOF segment history, CQC ratings and every indicator series except ed_4hr, which is real.

The calibration targets are in specs/domain.md and the evaluation report
(seeds/smq-cp-evaluation-report.txt): Table 13 (who was in which regime), Table 22 (time in
regime), Table 23 (trajectories), Table 24 (staff survey) and Table 28 (how support was spent).

The numbers are planned and drawn without the database in `indicators.stats.simulation` (the
series) and `indicators.stats.simulation_plan` (the regime and segment histories); this package
reads the register (`calibration`), writes the records (`writer`, `records`, `observations`) and
runs it all in one transaction (`service`). Every random draw comes from one
`numpy.random.Generator` stream per purpose, spawned from the seed, so the same seed gives the
same data, and a longer or shorter observation range leaves the episodes unchanged.
"""

from .service import EARLIEST_END, DemoSummary, demo_data_generate
from .writer import synthetic_data_delete

__all__ = ["EARLIEST_END", "DemoSummary", "demo_data_generate", "synthetic_data_delete"]
