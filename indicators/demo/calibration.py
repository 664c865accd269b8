"""Which organisations the synthetic demo set works on, and which planned history each one gets.

Reads the register (organisations, and the real episodes that rule a trust out); the histories
themselves are planned without the database in `indicators.stats.simulation_plan`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from simple_history.utils import bulk_create_with_history

from indicators.stats.simulation import KEOGH_ENTRY, month_number, spells_from_episodes
from indicators.stats.simulation_plan import TrustPlan, plan_trusts
from trusts.constants import REGIONS, SMQ, OrganisationKind
from trusts.models import Organisation, RegimeEpisode

if TYPE_CHECKING:
    from .service import DemoSummary

PLACEHOLDER_TRUSTS = 150
ACUTE_KINDS = (OrganisationKind.ACUTE, OrganisationKind.ACUTE_COMMUNITY)
MENTAL_HEALTH_KINDS = (
    OrganisationKind.MENTAL_HEALTH,
    OrganisationKind.MENTAL_HEALTH_COMMUNITY,
    OrganisationKind.COMMUNITY,
)


class AssignedPlan(NamedTuple):
    """A planned regime history and the organisation given it."""

    organisation: Organisation
    plan: TrustPlan


def organisations_for_demo(organisations, summary: DemoSummary) -> list[Organisation]:
    """The organisations to work on, sorted by code so draws do not depend on database order."""
    if organisations is not None:
        orgs = list(Organisation.objects.filter(pk__in=[org.pk for org in organisations]))
    else:
        orgs = list(Organisation.objects.all())
    if not orgs and organisations is None:
        regions = sorted(REGIONS)
        placeholders = [
            Organisation(
                ods_code=f"ZZ{number:03d}",
                name=f"Synthetic trust {number:03d}",
                kind=OrganisationKind.ACUTE,
                sector="nhs_trust",  # stands in for a trust: ZZ codes have no NHS trust shape
                region=regions[number % len(regions)],
                verified=False,
            )
            for number in range(1, PLACEHOLDER_TRUSTS + 1)
        ]
        orgs = bulk_create_with_history(placeholders, Organisation, default_change_reason="synthetic demo data")
        summary.organisations_created = len(orgs)
    summary.organisations = len(orgs)
    return sorted(orgs, key=lambda org: org.ods_code)


def _says_nhs(org: Organisation) -> bool:
    return "NHS" in org.name.upper().replace(",", " ").split()


def is_nhs_provider(org: Organisation) -> bool:
    """An NHS trust the regimes and segments apply to: a classified trust kind, or an unclassified one
    whose name says NHS (the A&E files also bring in independent urgent care providers)."""
    if org.kind == OrganisationKind.ICB:
        return False
    if org.kind != OrganisationKind.OTHER:
        return True
    return org.verified and _says_nhs(org)


def prefer_nhs_named(orgs: list[Organisation], needed: int = 1) -> list[Organisation]:
    """Real registers name every NHS trust "… NHS (Foundation) Trust"; a site such as "Bridlington
    Hospital" is classified acute from its name but is not a trust. Placeholder and test
    organisations have no such names, so all of them are used."""
    named = [org for org in orgs if _says_nhs(org)]
    return named if len(named) >= needed else orgs


def open_between(org: Organisation, first: date, last: date) -> bool:
    return (org.opened is None or org.opened <= first) and (org.closed is None or org.closed > last)


def plans_assign(rng: np.random.Generator, orgs: list[Organisation], end: date, summary) -> list[AssignedPlan]:
    """Plan the SMQ/CP histories and NOF4 entries and give each to an organisation of a fitting kind."""
    with_real = set(
        RegimeEpisode.objects.filter(synthetic=False, organisation__in=orgs).values_list("organisation_id", flat=True)
    )
    # The 2013 Keogh entries are real (data/real/special-measures/keogh_2013.csv) once loaded.
    keogh_is_real = RegimeEpisode.objects.filter(synthetic=False, regime__code=SMQ, entered=KEOGH_ENTRY).exists()
    plans = plan_trusts(rng, month_number(end), keogh_is_real=keogh_is_real)

    pool = [org for org in orgs if org.pk not in with_real and is_nhs_provider(org)]
    if any(org.verified for org in pool):  # codes seen only in data are often merged predecessors
        pool = [org for org in pool if org.verified]
    pool = prefer_nhs_named(pool, needed=len(plans) + 10)
    kinds = {
        "acute": [org for org in pool if org.kind in ACUTE_KINDS],
        "ambulance": [org for org in pool if org.kind == OrganisationKind.AMBULANCE],
        "mental_health": [org for org in pool if org.kind in MENTAL_HEALTH_KINDS],
        "other": [org for org in pool if org.kind == OrganisationKind.OTHER],
    }
    taken: set[int] = set()
    organisation_of: dict[int, Organisation] = {}  # by position in plans
    for index in sorted(range(len(plans)), key=lambda position: plans[position].episodes[0].entry):
        plan = plans[index]
        first = plan.episodes[0].entered()
        for kind in (plan.kind, "acute", "other", "mental_health", "ambulance"):
            candidates = [org for org in kinds[kind] if org.pk not in taken and open_between(org, first, end)]
            if candidates:
                organisation = candidates[int(rng.integers(len(candidates)))]
                organisation_of[index] = organisation
                taken.add(organisation.pk)
                break
        else:
            raise ValueError(
                f"not enough organisations for the synthetic regime history: {len(plans)} trusts open from "
                f"2013 to {end.isoformat()} are needed (without real episodes; not ICBs); {len(pool)} are available"
            )
    summary.trusts_in_regimes = len(plans)
    return [AssignedPlan(organisation_of[index], plan) for index, plan in enumerate(plans)]


def organisation_spells(episodes: list[RegimeEpisode]) -> dict[int, list[tuple[date, date | None]]]:
    """Each organisation's regime spells (episodes joined where one follows on from the last)."""
    by_org: dict[int, list[tuple[date, date | None]]] = defaultdict(list)
    for episode in episodes:
        by_org[episode.organisation_id].append((episode.entered, episode.exited))
    return {org: spells_from_episodes(items) for org, items in by_org.items()}


def observation_orgs(orgs: list[Organisation], summary) -> list[Organisation]:
    """Acute trusts get series. Unclassified NHS trusts stand in only when no trust is classified acute."""
    acute = prefer_nhs_named([org for org in orgs if org.kind in ACUTE_KINDS])
    if not acute:
        acute = [org for org in orgs if org.kind == OrganisationKind.OTHER and is_nhs_provider(org)]
        if acute:
            summary.warnings.append(
                f"no organisation is classified acute; series generated for {len(acute)} unclassified trusts"
            )
    summary.acute_trusts = len(acute)
    return acute
