"""Exit readiness from the stored data: each exit criterion linked to an indicator, evaluated on every recompute.

The ID's own `status` is theirs; `data_status` and `met_since` are derived from the trust's
observations (indicators.stats.exit_readiness) and rewritten on every run, like any stored result,
so they neither bump the criterion's edit version (which guards people's edits) nor write history.
A criterion without an indicator, comparator or threshold is not evaluated (its data_status blank).
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Q
from django.utils import timezone

from trusts.models import ExitCriterion

from .constants import Cadence
from .models import Observation
from .stats.exit_readiness import criterion_readiness

STEP_MONTHS = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.ANNUAL: 12}


def criteria_evaluate(*, criterion_ids: list[int] | None = None) -> int:
    """Evaluate every linked criterion (or those given) against the stored observations; returns how many."""
    criteria = list(
        ExitCriterion.objects.filter(indicator__isnull=False, threshold__isnull=False)
        .exclude(comparator="")
        .select_related("indicator", "episode")
    )
    if criterion_ids is not None:
        wanted = set(criterion_ids)
        criteria = [c for c in criteria if c.pk in wanted]
    if not criteria:
        return 0
    pairs = {(c.episode.organisation_id, c.indicator_id) for c in criteria}
    series: dict[tuple[int, int], list] = defaultdict(list)
    condition = Q()
    for indicator_id in {i for _, i in pairs}:
        condition |= Q(indicator_id=indicator_id, organisation_id__in={o for o, i in pairs if i == indicator_id})
    for organisation_id, indicator_id, period, value in Observation.objects.filter(condition).values_list(
        "organisation_id", "indicator_id", "period", "value"
    ):
        series[(organisation_id, indicator_id)].append((period, value))
    now = timezone.now()
    for criterion in criteria:
        readiness = criterion_readiness(
            series.get((criterion.episode.organisation_id, criterion.indicator_id), []),
            comparator=criterion.comparator,
            threshold=criterion.threshold,
            months_sustained=criterion.months_sustained,
            step_months=STEP_MONTHS.get(criterion.indicator.cadence, 1),
        )
        criterion.data_status, criterion.met_since, criterion.data_evaluated_at = (
            readiness.status,
            readiness.met_since,
            now,
        )
    ExitCriterion.objects.bulk_update(criteria, ["data_status", "met_since", "data_evaluated_at"], batch_size=500)
    return len(criteria)
