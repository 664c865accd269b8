"""A hash per indicator of everything its results are computed from, so an unchanged indicator is skipped."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

from django.conf import settings
from django.db.models import Count, Max, Sum

from trusts.models import Organisation, Regime, RegimeEpisode

from .. import compute
from ..models import (
    ImportBatch,
    Indicator,
    Observation,
    SpcRebase,
)
from ..stats import METHOD_VERSION


def inputs_fingerprints(indicators: list[Indicator], k: float, h: float) -> dict[int, str]:
    """A hash per indicator of everything its results are computed from.

    Its observations (count, newest id, sums of every number, batches), its catalogue row, and what
    every indicator shares: episodes and regimes (the spells fitted), organisations (lineages,
    sectors, kinds), synthetic batches, the parameters and the method version.
    """
    shared = json.dumps(
        {
            "method": METHOD_VERSION,
            "k": k,
            "h": h,
            "spc_points": compute.SPC_POINTS,
            "cutoff": str(settings.DATA_CUTOFF or ""),
            "episodes": list(
                RegimeEpisode.objects.order_by("pk").values_list(
                    "pk", "organisation_id", "regime_id", "entered", "exited", "route", "exit_unknown", "synthetic"
                )
            ),
            "regimes": list(Regime.objects.order_by("pk").values_list("pk", "code", "family", "confidential")),
            "organisations": list(
                Organisation.objects.order_by("pk").values_list("pk", "sector", "kind", "successor_id")
            ),
            "synthetic_batches": list(ImportBatch.objects.filter(synthetic=True).order_by("pk").values_list("pk")),
        },
        default=str,
        sort_keys=True,
    )
    aggregates = {
        row["indicator_id"]: row
        for row in Observation.objects.order_by()
        .values("indicator_id")
        .annotate(
            n=Count("id"),
            last=Max("id"),
            end=Max("period"),
            numerator=Sum("numerator"),
            denominator=Sum("denominator"),
            value=Sum("value"),
            lower=Sum("lower"),
            upper=Sum("upper"),
            batches=Sum("batch_id"),
        )
    }
    rebases: dict[int, list] = defaultdict(list)
    for indicator_id, *rebase in SpcRebase.objects.order_by("pk").values_list(
        "indicator_id", "organisation_id", "rebased_from"
    ):
        rebases[indicator_id].append(rebase)
    fingerprints = {}
    for indicator in indicators:
        own = {
            "row": [
                indicator.code,
                indicator.kind,
                indicator.cadence,
                indicator.polarity,
                indicator.pre_window_months,
                indicator.synthetic,
                indicator.analysis_cadence,
                indicator.target,
                indicator.applies_to,
            ],
            "observations": _stable(aggregates.get(indicator.pk)),
            "rebases": rebases.get(indicator.pk, []),  # a rebased SPC chart is redrawn
        }
        digest = hashlib.sha256(shared.encode())
        digest.update(json.dumps(own, default=repr, sort_keys=True).encode())
        fingerprints[indicator.pk] = digest.hexdigest()
    return fingerprints


def _stable(row: dict | None) -> dict | None:
    """Float sums to 10 significant digits: PostgreSQL's (parallel) float sums vary in the last bits by order."""
    if row is None:
        return None
    return {key: float(f"{value:.10g}") if isinstance(value, float) else value for key, value in row.items()}


def programme_fingerprint(fingerprints: dict[int, str]) -> str:
    """A hash of what the programme-level results are computed from: every indicator's fingerprint.

    Those documents (early warning, time in regime, categories, staff survey, re-entry) read the
    indicators' results, the episodes and regimes, the parameters and the data's cut-off, and each
    indicator's fingerprint already holds the shared inputs and its own observations, so the sorted
    pairs are enough: unchanged pairs, unchanged documents.
    """
    pairs = json.dumps(sorted(fingerprints.items()))
    return hashlib.sha256(f"programme:{METHOD_VERSION}:{pairs}".encode()).hexdigest()
