"""Writing the synthetic demo set's trust records: episodes, improvement directors, segments, ratings.

Also removes the previous synthetic set and keeps the indicator catalogue and its synthetic flags.
Records are created in bulk, with a creation history row where people review them; the random
draws come from the streams `indicators.demo.service` hands in, in a fixed order.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from indicators.constants import ED_4HR
from indicators.models import ImportBatch, Indicator, Observation
from indicators.stats.periods import shift_months
from indicators.stats.simulation import (
    NOF4_FIRST_M,
    NOF4_START,
    REGIME_END,
    month_number,
    month_start,
    pick,
    quarter_ceil,
    quarter_floor,
    spells_from_episodes,
)
from indicators.stats.simulation_plan import segment_path
from trusts.constants import CP, NOF4, NOF_2021, SMQ, EpisodeRoute, OrganisationKind
from trusts.models import (
    DiagnosticStocktake,
    EpisodeNote,
    ExitCriterion,
    FrameworkVersion,
    ImprovementDirectorAssignment,
    QualityRating,
    Regime,
    RegimeEpisode,
    SegmentAssignment,
    SupportFunding,
)
from trusts.services import user_create

from .calibration import AssignedPlan, is_nhs_provider, organisation_spells

SYNTHETIC_SOURCE = "synthetic"
DEMO_EMAIL_DOMAIN = "demo.invalid"  # reserved TLD: marks the improvement directors this package created
DIRECTOR_NAMES = ("amara", "ben", "chloe", "dev", "elena", "femi", "grace", "hamish")

# --- the previous set, the catalogue -----------------------------------------------------------


def synthetic_data_delete() -> int:
    """Remove the previous synthetic set and its audit trail; real records are untouched. Returns rows removed."""
    removed, _ = Observation.objects.filter(batch__synthetic=True).delete()
    removed += ImportBatch.objects.filter(synthetic=True).delete()[0]
    removed += QualityRating.objects.filter(synthetic=True).delete()[0]
    children = (DiagnosticStocktake, ExitCriterion, SupportFunding, EpisodeNote)
    for model in children:
        removed += _delete_quietly(model.objects.filter(episode__synthetic=True))
    removed += _delete_quietly(RegimeEpisode.objects.filter(synthetic=True), already_deleted=children)
    removed += _delete_quietly(SegmentAssignment.objects.filter(synthetic=True))
    demo_users = get_user_model().objects.filter(
        username__in=[f"id_{name}" for name in DIRECTOR_NAMES], email__endswith=f"@{DEMO_EMAIL_DOMAIN}"
    )
    demo_user_ids = list(demo_users.values_list("pk", flat=True))
    removed += _delete_quietly(ImprovementDirectorAssignment.objects.filter(user_id__in=demo_user_ids))
    removed += demo_users.delete()[0]
    # The history of generated trust records describes nothing real: drop it, so a rerun leaves
    # those history tables as it found them.
    synthetic_episodes = RegimeEpisode.history.model.objects.filter(synthetic=True).values("id")
    for model in children:
        model.history.model.objects.filter(episode_id__in=synthetic_episodes).delete()
    RegimeEpisode.history.model.objects.filter(synthetic=True).delete()
    SegmentAssignment.history.model.objects.filter(synthetic=True).delete()
    ImprovementDirectorAssignment.history.model.objects.filter(user_id__in=demo_user_ids).delete()
    # The demo directors' own account history stays: accounts being created and removed is
    # exactly what an audit trail of users is for.
    return removed


def _delete_quietly(queryset, already_deleted=()) -> int:
    """Delete generated rows without a history row each (their history is purged next).

    `QuerySet.delete()` would write a "-" history row per object through signals (seconds for a
    few thousand rows), only for us to purge it. Deleting in SQL is safe only when nothing else
    can point at the rows, so that is checked from the model's reverse relations (history models
    keep no constraint and are not listed); otherwise the ordinary delete runs and cascades.
    """
    model = queryset.model
    if all(relation.related_model in already_deleted for relation in model._meta.related_objects):
        return queryset._raw_delete(queryset.db) or 0  # None when the filter cannot match
    return queryset.delete()[0]


def indicators_ensure() -> dict[str, Indicator]:
    """The catalogue rows of data/indicators.csv, created or brought up to date."""
    with (settings.DATA_DIR / "indicators.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            code = row.pop("code")
            row["pre_window_months"] = int(row.get("pre_window_months") or 18)
            row["analysis_cadence"] = row.get("analysis_cadence") or row["cadence"]
            row["target"] = float(row["target"]) if row.get("target") else None
            row["applies_to"] = sorted(kind for kind in (row.get("applies_to") or "").split(";") if kind)
            Indicator.objects.update_or_create(code=code, defaults=row)
    return {indicator.code: indicator for indicator in Indicator.objects.all()}


def indicator_flags_set(indicators: dict[str, Indicator]) -> None:
    """Synthetic means every value held is synthetic: not ed_4hr, and no real value of the indicator exists."""
    with_real = set(
        Observation.objects.exclude(batch__synthetic=True).values_list("indicator_id", flat=True).distinct()
    )
    for code, indicator in indicators.items():
        flag = code != ED_4HR and indicator.pk not in with_real
        if indicator.synthetic != flag:
            Indicator.objects.filter(pk=indicator.pk).update(synthetic=flag)


# --- episodes and directors --------------------------------------------------------------------


REASONS = {
    "keogh": (
        "One of the 11 trusts placed in special measures after the Keogh mortality review (July 2013): "
        "persistently high mortality and weak board oversight of quality.",
    ),
    (SMQ, EpisodeRoute.DIRECT): (
        "CQC rated the trust inadequate overall, with well-led and safe both inadequate; the Chief Inspector "
        "of Hospitals recommended special measures.",
        "Inadequate for well-led and effective after a comprehensive inspection; serious incidents were not "
        "investigated or learned from.",
        "Well-led and safe rated inadequate: unsafe staffing in urgent and emergency care and a board without "
        "grip on quality.",
        "CQC found maternity and surgical services unsafe and rated the trust inadequate for well-led.",
    ),
    (SMQ, EpisodeRoute.ESCALATED_FROM_CP): (
        "Escalated from the challenged provider watch list after CQC rated the trust inadequate for well-led and safe.",
        "Escalated from CP: the re-inspection found leadership and governance had not improved; inadequate "
        "for well-led.",
    ),
    (SMQ, EpisodeRoute.RE_ENTRY): (
        "Re-entered special measures: a CQC re-inspection found the improvements had not been sustained and "
        "rated well-led inadequate again.",
    ),
    (CP, EpisodeRoute.DIRECT): (
        "At risk of special measures: CQC rated the trust requires improvement with concerns about leadership "
        "capacity.",
        "Watch list: deteriorating safety in the emergency department and high agency staffing.",
        "Watch list: maternity governance concerns and a rising number of serious incidents.",
        "Watch list: a culture of bullying reported by staff and weak board assurance.",
    ),
    (CP, EpisodeRoute.RE_ENTRY): (
        "Returned to the watch list after access and safety performance slipped again within a year of exit.",
    ),
    (NOF4, EpisodeRoute.DIRECT): (
        "Placed in segment 4: serious quality failures in maternity services; the Recovery Support Programme "
        "was triggered.",
        "Placed in segment 4: a deep and persistent financial deficit with weak financial governance.",
        "Placed in segment 4: leadership instability and a critical CQC well-led inspection.",
        "Placed in segment 4: sustained failure of urgent and elective access standards with system-wide pressures.",
    ),
    (NOF4, EpisodeRoute.TRANSFERRED): (
        "Transferred from quality special measures into the Recovery Support Programme when the NHS Oversight "
        "Framework replaced SMQ (July 2021).",
    ),
}


def episodes_create(rng, plans: list[AssignedPlan], buddies, summary) -> list[RegimeEpisode]:
    """Write the planned episodes (validated with full_clean), with reasons and buddy trusts."""
    regimes = {regime.code: regime for regime in Regime.objects.filter(code__in=[SMQ, CP, NOF4])}
    episodes = []
    for organisation, plan in sorted(plans, key=lambda assigned: assigned.organisation.ods_code):
        for planned in plan.episodes:
            key = "keogh" if planned.keogh else (planned.regime, planned.route)
            buddy = None
            if planned.regime != CP and buddies and rng.random() < 0.7:
                buddy = pick(rng, buddies)
            episode = RegimeEpisode(
                organisation=organisation,
                regime=regimes[planned.regime],
                entered=planned.entered(),
                exited=planned.exited(),
                route=planned.route,
                reason=pick(rng, REASONS[key]),
                buddy_trust=buddy,
                synthetic=True,
            )
            # The related objects are in hand, so their existence checks are skipped; clean() still
            # checks the regime's validity window and overlaps with episodes already stored.
            episode.full_clean(exclude=["organisation", "regime", "buddy_trust"])
            episodes.append(episode)
    episodes = bulk_create_with_history(episodes, RegimeEpisode, default_change_reason="synthetic demo data")
    counts: dict[str, int] = defaultdict(int)
    for episode in episodes:
        counts[episode.regime.code] += 1
    summary.episodes = dict(counts)
    summary.open_episodes = sum(1 for episode in episodes if episode.exited is None)
    return episodes


def directors_create(rng, episodes, end: date, summary) -> list[ImprovementDirectorAssignment]:
    """Eight synthetic improvement directors, each supporting one to three trusts at a time for 12–18 months."""
    user_model = get_user_model()
    users = []
    for name in DIRECTOR_NAMES:
        username = f"id_{name}"
        existing = user_model.objects.filter(username=username).first()
        if existing is not None and not existing.email.endswith(f"@{DEMO_EMAIL_DOMAIN}"):
            raise ValueError(f"a real user is called {username}; rename them before generating demo directors")
        user = user_create(username=username, role="director", password=None, email=f"{username}@{DEMO_EMAIL_DOMAIN}")
        user.set_unusable_password()
        user.first_name, user.last_name = name.capitalize(), "(synthetic ID)"
        user.save()
        users.append(user)
    tenures = []  # (from, to or None, organisation_id)
    for org_id, spells in organisation_spells(episodes).items():
        for entered, exited in spells:
            start = entered
            while start < (exited or end):
                stop = shift_months(start, int(rng.integers(12, 19))) - timedelta(days=1)
                if exited is not None and stop >= exited:
                    stop = exited
                tenures.append((start, None if stop >= end and exited is None else stop, org_id))
                start = stop + timedelta(days=1)
    load: dict[int, list[tuple[date, date]]] = defaultdict(list)
    assignments = []
    for begin, finish, org_id in sorted(tenures, key=lambda item: (item[0], item[2])):
        until = finish or date.max
        busy = {index: sum(1 for a, b in load[index] if a <= until and begin <= b) for index in range(len(users))}
        free = [index for index, count in busy.items() if count < 3]
        if not free:
            continue  # no director free: the trust is supported by the regional team for this stretch
        fewest = min(busy[index] for index in free)
        chosen = pick(rng, [index for index in free if busy[index] == fewest])
        load[chosen].append((begin, until))
        assignments.append(
            ImprovementDirectorAssignment(user=users[chosen], organisation_id=org_id, date_from=begin, date_to=finish)
        )
    assignments = bulk_create_with_history(
        assignments, ImprovementDirectorAssignment, default_change_reason="synthetic demo data"
    )
    summary.id_users, summary.id_assignments = len(users), len(assignments)
    return assignments


# --- segments and ratings ----------------------------------------------------------------------


def segments_create(rng, orgs, episodes, end: date, summary) -> None:
    """Quarterly segment history from July 2021; segment 4 exactly while in NOF4; a few latest unpublished."""
    with_real = set(
        # Real segments of a later framework (the 2025/26 league table) leave the 2021 history to fill.
        SegmentAssignment.objects.filter(synthetic=False, organisation__in=orgs)
        .filter(Q(framework__isnull=True) | Q(framework__code=NOF_2021))
        .values_list("organisation_id", flat=True)
    )
    framework = FrameworkVersion.objects.filter(code=NOF_2021).first()
    nof4: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
    troubled = {episode.organisation_id for episode in episodes}
    for episode in episodes:
        if episode.regime.code == NOF4:
            leave = month_number(episode.exited) if episode.exited else None
            nof4[episode.organisation_id].append((month_number(episode.entered), leave))
    end_m = month_number(end)
    last_quarter = quarter_floor(end_m)
    rows = []
    recent_changes = []
    for org in orgs:
        if org.pk in with_real or (org.closed is not None and org.closed <= NOF4_START):
            continue
        if not (is_nhs_provider(org) or org.kind == OrganisationKind.ICB):
            continue
        first = NOF4_FIRST_M if org.opened is None else max(NOF4_FIRST_M, quarter_ceil(month_number(org.opened)))
        last = last_quarter if org.closed is None else min(last_quarter, quarter_floor(month_number(org.closed) - 1))
        quarters = list(range(first, last + 1, 3))
        if not quarters:
            continue
        path = segment_path(rng, quarters, nof4.get(org.pk, []), org.pk in troubled)
        org_rows = []
        for quarter, segment in zip(quarters, path, strict=True):
            if org_rows and org_rows[-1].segment == segment:
                continue
            if org_rows:
                org_rows[-1].effective_to = month_start(quarter) - timedelta(days=1)
            org_rows.append(
                SegmentAssignment(
                    organisation=org,
                    segment=segment,
                    effective_from=month_start(quarter),
                    source=SYNTHETIC_SOURCE,
                    synthetic=True,
                    framework=framework,
                )
            )
        if org.closed is not None and org_rows:
            org_rows[-1].effective_to = org.closed
        if len(org_rows) > 1 and org_rows[-1].effective_from == month_start(last_quarter) and org_rows[-1].segment < 4:
            recent_changes.append(org_rows[-1])
        rows += org_rows
    for row in recent_changes[:4]:
        row.published = False  # decided this quarter, not yet published
    bulk_create_with_history(rows, SegmentAssignment, default_change_reason="synthetic demo data")
    summary.segments = len(rows)


def ratings_create(rng, episodes, end: date, summary) -> None:
    """CQC ratings before entries and after exits; a share of exited trusts later rated good (clear improvers)."""
    ratings = []
    by_org: dict[int, list[RegimeEpisode]] = defaultdict(list)
    for episode in episodes:
        by_org[episode.organisation_id].append(episode)
    for org_id, items in by_org.items():
        items.sort(key=lambda e: e.entered)
        for episode in items:
            if episode.route in (EpisodeRoute.ESCALATED_FROM_CP, EpisodeRoute.TRANSFERRED):
                rating = "inadequate" if episode.route == EpisodeRoute.ESCALATED_FROM_CP else None
            else:
                rating = "inadequate" if episode.regime.code in (SMQ, NOF4) else "requires_improvement"
            if rating:
                day = episode.entered - timedelta(days=int(rng.integers(20, 60)))
                ratings.append(QualityRating(organisation_id=org_id, rated_on=day, rating=rating, synthetic=True))
            if episode.exited and episode.exited < end and episode.regime.code == SMQ and episode.exited < REGIME_END:
                day = episode.exited - timedelta(days=int(rng.integers(10, 40)))
                ratings.append(
                    QualityRating(organisation_id=org_id, rated_on=day, rating="requires_improvement", synthetic=True)
                )
        spells = spells_from_episodes([(e.entered, e.exited) for e in items])
        final_exit = spells[-1][1]
        if final_exit is None:
            continue
        later = final_exit + timedelta(days=int(rng.integers(180, 720)))
        if later >= end:
            continue
        if len(spells) == 1 and rng.random() < 0.45:
            rating = "outstanding" if rng.random() < 0.1 else "good"
        else:
            rating = "requires_improvement" if rng.random() < 0.8 else "inadequate"
        ratings.append(QualityRating(organisation_id=org_id, rated_on=later, rating=rating, synthetic=True))
    QualityRating.objects.bulk_create(ratings)
    summary.ratings = len(ratings)
