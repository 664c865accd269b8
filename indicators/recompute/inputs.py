"""What a recompute reads besides observations: indicator metadata, episodes, lineages and sectors."""

from __future__ import annotations

from datetime import date

import pandas as pd

from trusts.constants import Sector
from trusts.models import Organisation, RegimeEpisode

from .. import compute
from ..models import (
    Indicator,
)


def indicator_meta(indicator: Indicator, rebases: tuple = ()) -> compute.IndicatorMeta:
    return compute.IndicatorMeta(
        id=indicator.pk,
        code=indicator.code,
        kind=indicator.kind,
        cadence=indicator.cadence,
        polarity=indicator.polarity,
        pre_window_months=indicator.pre_window_months,
        analysis_cadence=indicator.analysis_cadence,
        target=indicator.target,
        applies_to=tuple(indicator.applies_to or ()),
        rebases=rebases,
    )


def episode_records(as_at: date | None = None) -> list[compute.EpisodeRecord]:
    """Every episode with its regime's family (the taxonomy row), so analyses read meaning, not codes.

    As at a date: the episodes entered on or before it, an exit after it treated as not yet happened.
    """
    episodes = RegimeEpisode.objects.all() if as_at is None else RegimeEpisode.objects.filter(entered__lte=as_at)
    return [
        compute.EpisodeRecord(
            organisation_id=org,
            regime=code,
            entered=entered,
            exited=exited if as_at is None or exited is None or exited <= as_at else None,
            route=route,
            family=family,
            exit_unknown=unknown,
            synthetic=synthetic,
        )
        for org, code, entered, exited, route, family, unknown, synthetic in episodes.values_list(
            "organisation_id",
            "regime__code",
            "entered",
            "exited",
            "route",
            "regime__family",
            "exit_unknown",
            "synthetic",
        )
    ]


def analysed_observations(observations: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Observations as analysed: lineages merged under their successors, NHS trusts only.

    National values are NHS trusts' (ICBs and other providers are left out and counted). A
    predecessor's rows join its last successor's series (`compute.merge_lineages`).
    """
    left_out = set(Organisation.objects.filter(sector__in=[Sector.ICB, Sector.OTHER]).values_list("pk", flat=True))
    successors = dict(Organisation.objects.filter(successor__isnull=False).values_list("pk", "successor_id"))
    final_of = compute.final_successors(successors)
    info = {"rows_not_nhs_trusts": 0, "lineages_merged": len(set(final_of.values()))}
    if observations.empty:
        return observations, info
    if left_out:
        outside = observations["organisation_id"].isin(left_out).to_numpy()
        info["rows_not_nhs_trusts"] = int(outside.sum())
        observations = observations[~outside]
    return compute.merge_lineages(observations, final_of), info
