"""A small, fully explicit world for the page tests: trusts, two indicators, episodes, records, results.

`build_world` returns the objects the tests look for by name; `results_recompute()` fills the
stored results the pages read. Every world has the same shape whatever its size, so the query
counts of a small and a big world can be compared.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from indicators.stats.periods import shift_months
from tests.indicators.builders import episode, organisations, panel, proportion_indicator
from trusts.models import (
    DiagnosticStocktake,
    EpisodeNote,
    ExitCriterion,
    Organisation,
    SegmentAssignment,
    SupportFunding,
)
from trusts.services import user_create


@dataclass
class World:
    indicators: list
    orgs: list[Organisation]
    smq: object  # open SMQ episode of orgs[0] (synthetic, with full records)
    cp: object  # open, confidential CP episode of orgs[1]
    exited: object  # SMQ episode of orgs[2], exited
    nof4: object  # open NOF4 episode of orgs[4]
    criterion: ExitCriterion
    slipping: Organisation  # orgs[3]: in no regime, worsening on both indicators at the end


def build_world(n_trusts=6, months=36, *, prefix="T", start=date(2015, 1, 1), indicators=None) -> World:
    assert n_trusts >= 5
    if indicators is None:
        indicators = [
            proportion_indicator("ed_4hr", name="A&E over 4 hours"),
            proportion_indicator("rtt_18wk", name="RTT over 18 weeks", synthetic=True),
        ]
    orgs = organisations(n_trusts, prefix=prefix)
    for index, org in enumerate(orgs):
        org.region = "Y56" if index % 2 == 0 else "Y62"
    Organisation.objects.bulk_update(orgs, ["region"])
    entry_t = months // 2
    entry = shift_months(start, entry_t)
    late = months - 8

    def improving_after_entry(t):
        return 0.35 if t < entry_t else 0.35 - 0.04 * (t - entry_t)

    def slipping(t):
        return 0.9 if t >= late else 0.0

    for seed, indicator in enumerate(indicators):
        panel(indicator, orgs, start, months, seed=seed + 1, effects={0: improving_after_entry, 3: slipping})

    smq = episode(orgs[0], "SMQ", entry, synthetic=True, reason="Inadequate for well-led and safe.")
    cp = episode(orgs[1], "CP", entry, reason="At risk of SMQ.")
    exited = episode(orgs[2], "SMQ", shift_months(start, 8), shift_months(start, months - 10))
    nof4 = episode(orgs[4], "NOF4", date(2021, 9, 1), route="transferred")

    director = user_create(
        username=f"id-{prefix.lower()}",
        role="director",
        password="id-password-1",
        trusts=[orgs[0]],
        assigned_from=entry,
    )
    director.first_name, director.last_name = "Dana", "Director"
    director.save()
    SegmentAssignment.objects.create(organisation=orgs[0], segment=4, effective_from=date(2021, 7, 1))
    SegmentAssignment.objects.create(organisation=orgs[0], segment=3, effective_from=date(2024, 4, 1), published=False)
    DiagnosticStocktake.objects.create(
        episode=smq, root_causes="Board turnover and weak ward-to-board assurance.", leadership_direction="partial"
    )
    criterion = ExitCriterion.objects.create(
        episode=smq,
        theme="governance",
        description="Board assurance framework in use",
        status="approved",
        indicator=indicators[0],
        comparator="le",
        threshold=0.2,
        months_sustained=3,
        approved_at=timezone.now(),
        approved_snapshot=None,
    )
    criterion.approved_snapshot = {**criterion.approval_view(), "threshold": 0.15}
    criterion.save()
    ExitCriterion.objects.create(episode=smq, theme="culture", description="Staff survey engagement at median")
    SupportFunding.objects.create(episode=smq, year=2016, category="care_improvement", budget=250000, spent=120000)
    SupportFunding.objects.create(episode=smq, year=2017, category="qi_training", budget=100000, spent=90000)
    EpisodeNote.objects.create(episode=smq, author=director, text="Monthly review held; ED flow improving.")
    return World(
        indicators=indicators,
        orgs=orgs,
        smq=smq,
        cp=cp,
        exited=exited,
        nof4=nof4,
        criterion=criterion,
        slipping=orgs[3],
    )


def figure_in(response, element_id: str) -> dict:
    """The Plotly figure a page embedded in <script type="application/json" id=element_id>."""
    html = response.content.decode()
    match = re.search(rf'<script id="{re.escape(element_id)}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no JSON block {element_id!r} in the page"
    return json.loads(match.group(1))


def trace_names(figure: dict) -> list[str]:
    return [trace.get("name") for trace in figure["data"]]
