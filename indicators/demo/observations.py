"""Writing the synthetic demo series: one import batch, and every value in one bulk insert.

The values come from `indicators.stats.simulation.simulate_series`; this module decides which of
them are written: only where the trust existed, the indicator applies to the trust's kind, and
no real value of the indicator is held (an indicator with any real value is left to the real files).
"""

from __future__ import annotations

import hashlib
from datetime import date
from itertools import repeat

import numpy as np
from django.db import connection
from django.utils import timezone

from indicators.constants import BatchStatus, ImportFormat
from indicators.models import ImportBatch, Observation
from indicators.stats.simulation import (
    KEOGH_ENTRY,
    SERIES,
    STAFF_SURVEY_MEANS,
    SeriesBlock,
    month_number,
    month_start,
    simulate_series,
)
from trusts.constants import OrganisationKind

from .calibration import observation_orgs, organisation_spells

GENERATOR_VERSION = "demo-1"
GENERATED_CODES = [*SERIES, "shmi", *STAFF_SURVEY_MEANS, "financial_stability"]

OBSERVATION_FIELDS = (
    "organisation",
    "indicator",
    "period",
    "numerator",
    "denominator",
    "value",
    "lower",
    "upper",
    "batch",
)


def observations_insert(rows: list[tuple], rows_per_statement: int = 1000) -> None:
    """Insert observation rows (tuples in OBSERVATION_FIELDS order) as multi-row INSERTs.

    Not `bulk_create`: building and compiling a model instance per row costs ~0.15 ms, a minute
    for the full set on SQLite; plain parameterised INSERTs of 1,000 rows take a few seconds on
    SQLite and PostgreSQL alike. Observations have no signals or history to bypass.
    """
    meta, quote = Observation._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in OBSERVATION_FIELDS)
    one_row = "(" + ", ".join(["%s"] * len(OBSERVATION_FIELDS)) + ")"
    with connection.cursor() as cursor:
        for offset in range(0, len(rows), rows_per_statement):
            chunk = rows[offset : offset + rows_per_statement]
            values = ", ".join([one_row] * len(chunk))
            params = [value for row in chunk for value in row]
            cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}", params)


def observations_create(rng, orgs, episodes, indicators, seed: int, start: date, end: date, summary) -> None:
    """Monthly proportions, quarterly SHMI and finance, annual staff survey for the acute trusts; bulk insert."""
    trusts = observation_orgs(orgs, summary)
    batch = ImportBatch.objects.create(
        file_name=f"synthetic demo data (seed {seed}, {start.isoformat()} to {end.isoformat()})",
        sha256=hashlib.sha256(f"{GENERATOR_VERSION}:{seed}:{start}:{end}".encode()).hexdigest(),
        format=ImportFormat.SYNTHETIC,
        status=BatchStatus.RUNNING,
        synthetic=True,
    )
    if not trusts:
        batch.status, batch.finished = BatchStatus.SUCCEEDED, timezone.now()
        batch.save()
        return
    org_ids = [org.pk for org in trusts]
    spells = organisation_spells(episodes)
    keogh = {e.organisation_id for e in episodes if e.entered == KEOGH_ENTRY}
    real_keys = set(
        Observation.objects.exclude(batch__synthetic=True)
        .filter(organisation_id__in=org_ids, indicator__code__in=GENERATED_CODES)
        .values_list("organisation_id", "indicator_id", "period")
    )
    # An indicator with any real value is left to the real files: no synthetic value is mixed in.
    with_real = {indicator_id for _, indicator_id, _ in real_keys} | set(
        Observation.objects.exclude(batch__synthetic=True)
        .filter(indicator__code__in=GENERATED_CODES)
        .values_list("indicator_id", flat=True)
        .distinct()
    )
    # Where the indicator applies to the trust's kind (an unclassified stand-in counts as acute).
    kinds = [OrganisationKind.ACUTE if org.kind == OrganisationKind.OTHER else org.kind for org in trusts]
    rows: list[tuple] = []

    def emit(block: SeriesBlock) -> None:
        """Rows where the block holds a value, the indicator applies to the trust and no real value is held."""
        indicator = indicators[block.code]
        if indicator.pk in with_real:
            summary.real_indicators.add(block.code)
            return
        mask = block.mask & np.array([indicator.applies_to_kind(kind) for kind in kinds], dtype=bool)[:, None]
        days = [month_start(int(period)) for period in block.periods]
        stored = [connection.ops.adapt_datefield_value(day) for day in days]
        trust_index, period_index = np.nonzero(mask)
        count = trust_index.size
        columns = [
            [None] * count if column is None else np.asarray(column, dtype=float)[trust_index, period_index].tolist()
            for column in (block.numerators, block.denominators, block.values, block.lowers, block.uppers)
        ]
        organisation_ids = np.array(org_ids)[trust_index].tolist()
        new_rows = zip(
            organisation_ids,
            repeat(indicator.pk, count),
            [stored[t] for t in period_index],
            *columns,
            repeat(batch.pk, count),
            strict=True,
        )
        if real_keys:
            new_rows = [
                row
                for row, t in zip(new_rows, period_index, strict=True)
                if (row[0], indicator.pk, days[t]) not in real_keys
            ]
        rows.extend(new_rows)

    months = np.arange(month_number(start), month_number(end) + 1)
    blocks = simulate_series(
        rng,
        seed,
        months,
        spells=[spells.get(org.pk, []) for org in trusts],
        keogh=np.array([org.pk in keogh for org in trusts], dtype=bool),
        spans=[(org.opened, org.closed) for org in trusts],
    )
    for block in blocks:
        emit(block)
    observations_insert(rows)
    batch.rows_read = batch.rows_created = len(rows)
    batch.status, batch.finished = BatchStatus.SUCCEEDED, timezone.now()
    batch.save()
    summary.observations = len(rows)
