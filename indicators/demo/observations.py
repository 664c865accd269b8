"""Writing the synthetic demo series: one import batch, and every value in one bulk write (the recompute's).

The values come from `indicators.stats.simulation.simulate_series`; this module decides which of
them are written: only where the trust existed, the indicator applies to the trust's kind, and
no real value of the indicator is held (an indicator with any real value is left to the real files).
"""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pandas as pd
from django.utils import timezone

from indicators.constants import BatchStatus, ImportFormat
from indicators.models import ImportBatch, Observation
from indicators.recompute.writer import write_frame
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

VALUE_FIELDS = ("numerator", "denominator", "value", "lower", "upper")  # SeriesBlock's columns, in order


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
    frames: list[pd.DataFrame] = []

    def emit(block: SeriesBlock) -> None:
        """Rows where the block holds a value, the indicator applies to the trust and no real value is held."""
        indicator = indicators[block.code]
        if indicator.pk in with_real:
            summary.real_indicators.add(block.code)
            return
        mask = block.mask & np.array([indicator.applies_to_kind(kind) for kind in kinds], dtype=bool)[:, None]
        days = np.array([month_start(int(period)) for period in block.periods], dtype="datetime64[D]")
        trust_index, period_index = np.nonzero(mask)
        count = trust_index.size
        frame = pd.DataFrame(
            {
                "organisation": np.asarray(org_ids, dtype=np.int64)[trust_index],
                "indicator": np.full(count, indicator.pk, dtype=np.int64),
                "period": days[period_index],
                **{
                    name: np.full(count, np.nan) if column is None else np.asarray(column, dtype=float)[mask]
                    for name, column in zip(
                        VALUE_FIELDS,
                        (block.numerators, block.denominators, block.values, block.lowers, block.uppers),
                        strict=True,
                    )
                },
                "batch": np.full(count, batch.pk, dtype=np.int64),
            }
        )
        if real_keys:
            held = [
                (organisation, indicator.pk, day) not in real_keys
                for organisation, day in zip(frame["organisation"].tolist(), days[period_index].tolist(), strict=True)
            ]
            frame = frame[np.array(held, dtype=bool)]
        frames.append(frame)

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
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    write_frame(Observation, rows)  # the recompute's bulk path: COPY on PostgreSQL, one executemany elsewhere
    batch.rows_read = batch.rows_created = len(rows)
    batch.status, batch.finished = BatchStatus.SUCCEEDED, timezone.now()
    batch.save()
    summary.observations = len(rows)
