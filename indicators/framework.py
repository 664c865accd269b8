"""NOF segments recomputed under their framework's rule, reconciled with the published ones, and the league table.

Reads only: nothing here writes a segment. The published assignment is the record; the
recomputation is shown beside it with the reason for each difference.

The published table gives segments, not boundaries. For each category the boundaries it implies
are the worst average score that held segments 1, 2 and 3 among trusts the deficit cap cannot
have moved (a deficit trust in segment 3 may have been capped there). Those bounds serve the
reconciliation ("would the published boundaries place it so?") and the distance to the next
segment on the league table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from trusts.models import FrameworkVersion, SegmentAssignment, SegmentCategory

from .stats.segmentation import (
    Distance,
    deficit_capped,
    distance_to_next_segment,
    furthest_domain,
    implied_upper_bounds,
    segment_group,
    threshold_segment,
)

ARITHMETIC_RULES = (FrameworkVersion.QUARTILE_WITHIN_CATEGORY, FrameworkVersion.FIXED_THRESHOLDS)

# Reasons, one per difference (the first that applies, in this order).
AGREES = "agrees"
JUDGEMENT = "judgement_overlay"
NO_SCORE = "no_score"
DEFICIT_FLAG = "deficit_flag_differs"
TIE = "rank_tie_at_boundary"
MISSING_TRUSTS = "boundaries_over_missing_trusts"
UNEXPLAINED = "unexplained"
REASON_LABELS = {
    AGREES: "Recomputed equals published",
    JUDGEMENT: "Judgement overlay (segment 5, PIP), not arithmetic",
    NO_SCORE: "No average score to compute from",
    DEFICIT_FLAG: "Deficit flags disagree (league table v finance domain)",
    TIE: "Rank tie at a boundary (equal rounded scores in two segments)",
    MISSING_TRUSTS: "Quartile boundaries drawn over trusts missing from the file",
    UNEXPLAINED: "Not explained by the file",
}


def published_framework(code: str | None = None) -> FrameworkVersion | None:
    """The framework named, or else the latest one with real published assignments."""
    versions = FrameworkVersion.objects.all()
    if code:
        return versions.filter(code=code).first()
    return (
        versions.filter(assignments__synthetic=False, assignments__published=True)
        .order_by("-effective_from")
        .distinct()
        .first()
    )


def publication_dates(framework: FrameworkVersion) -> list[date]:
    """The dates real assignments of the framework were published from, newest first."""
    return list(
        SegmentAssignment.objects.filter(framework=framework, synthetic=False, published=True)
        .order_by("-effective_from")
        .values_list("effective_from", flat=True)
        .distinct()
    )


def deficit_of(assignment: SegmentAssignment) -> bool | None:
    """The league table's deficit flag, or the finance domain's where the league table leaves it blank."""
    return assignment.in_deficit if assignment.in_deficit is not None else assignment.finance_in_deficit


@dataclass
class Reconciled:
    assignment: SegmentAssignment
    recomputed: int | None
    recomputed_before_cap: int | None
    by_published_bounds: int | None
    reason: str
    detail: str

    @property
    def agrees(self) -> bool:
        return self.reason == AGREES

    @property
    def reason_label(self) -> str:
        return REASON_LABELS[self.reason]


@dataclass
class CategoryBounds:
    category: str
    in_file: int
    ranked_up_to: int
    published: list[float | None]
    recomputed: list[float | None]


@dataclass
class Reconciliation:
    framework: FrameworkVersion
    published_on: date | None
    rows: list[Reconciled] = field(default_factory=list)
    bounds: dict[str, CategoryBounds] = field(default_factory=dict)

    @property
    def equal(self) -> int:
        return sum(row.agrees for row in self.rows)

    def reason_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            counts[row.reason] += 1
        return {reason: counts[reason] for reason in REASON_LABELS if counts[reason]}


def _assignments(framework: FrameworkVersion, published_on: date):
    return list(
        SegmentAssignment.objects.filter(
            framework=framework, synthetic=False, published=True, effective_from=published_on
        )
        .select_related("organisation")
        .order_by("category", "rank", "organisation__ods_code")
    )


def _by_category(assignments) -> dict[str, list[SegmentAssignment]]:
    groups: dict[str, list[SegmentAssignment]] = defaultdict(list)
    for assignment in assignments:
        groups[assignment.category].append(assignment)
    return groups


def _published_bounds(group: list[SegmentAssignment]) -> list[float | None]:
    # A trust the cap moved into segment 3 scored better than every trust placed there by score,
    # so the worst score of each segment is a true bound whether or not deficit trusts are counted.
    scored = [a for a in group if a.average_score is not None and a.segment <= 4]
    return implied_upper_bounds([a.average_score for a in scored], [a.segment for a in scored], [False] * len(scored))


def segments_reconcile(framework: FrameworkVersion, published_on: date | None = None) -> Reconciliation:
    """Every published assignment of one publication beside its recomputation, with the reason they differ."""
    if published_on is None:
        dates = publication_dates(framework)
        published_on = dates[0] if dates else None
    result = Reconciliation(framework=framework, published_on=published_on)
    if published_on is None:
        return result
    parameters = framework.rule_parameters or {}
    cap = parameters.get("deficit_cap")
    for category, group in _by_category(_assignments(framework, published_on)).items():
        scored = [a for a in group if a.average_score is not None]
        placements = {}
        if framework.boundary_rule in ARITHMETIC_RULES and scored:
            computed = segment_group(
                [a.average_score for a in scored],
                [deficit_of(a) for a in scored],
                rule=framework.boundary_rule,
                parameters=parameters,
            )
            placements = {a.pk: p for a, p in zip(scored, computed)}
        if framework.boundary_rule == FrameworkVersion.FIXED_THRESHOLDS:
            published_bounds = list(parameters["thresholds"])  # the boundaries are published as data
        else:
            published_bounds = _published_bounds(group)
        recomputed_bounds = implied_upper_bounds(
            [a.average_score for a in scored],
            [placements[a.pk].before_cap for a in scored] if placements else [],
            [False] * len(scored) if placements else [],
        )
        result.bounds[category] = CategoryBounds(
            category=category,
            in_file=len(group),
            ranked_up_to=max((a.rank or 0 for a in group), default=0),
            published=published_bounds,
            recomputed=recomputed_bounds,
        )
        for assignment in group:
            result.rows.append(
                _reconciled(
                    assignment,
                    placements.get(assignment.pk),
                    group,
                    published_bounds,
                    result.bounds[category],
                    cap,
                    quartiles=framework.boundary_rule == FrameworkVersion.QUARTILE_WITHIN_CATEGORY,
                )
            )
    result.rows.sort(
        key=lambda row: (row.assignment.category, row.assignment.rank or 0, row.assignment.organisation.ods_code)
    )
    return result


def _reconciled(
    assignment, placement, group, published_bounds, bounds: CategoryBounds, cap, *, quartiles: bool
) -> Reconciled:
    published = assignment.segment
    score = assignment.average_score
    by_bounds = None
    # Bounds read off a table are increasing unless the table contradicts itself; then there are none.
    if score is not None and None not in published_bounds and published_bounds == sorted(published_bounds):
        by_bounds = deficit_capped(threshold_segment(score, published_bounds), deficit_of(assignment), cap)
    row = Reconciled(
        assignment=assignment,
        recomputed=placement.segment if placement else None,
        recomputed_before_cap=placement.before_cap if placement else None,
        by_published_bounds=by_bounds,
        reason=AGREES,
        detail="",
    )
    if published == 5:
        row.reason, row.detail = JUDGEMENT, "segment 5 is intensive support through PIP, decided on segment 4"
        return row
    if placement is None:
        row.reason, row.detail = NO_SCORE, "the framework's rule or the file gives nothing to compute from"
        return row
    if placement.segment == published:
        return row
    flags = (assignment.in_deficit, assignment.finance_in_deficit)
    if cap and None not in flags and flags[0] != flags[1]:
        other = deficit_capped(placement.before_cap, flags[1], cap)
        if other == published:
            row.reason = DEFICIT_FLAG
            row.detail = (
                f"lt_in_deficit {int(flags[0])}, fin_in_deficit {int(flags[1])}: "
                f"with the finance flag it recomputes as {other}"
            )
            return row
    twins = sorted(
        {a.segment for a in group if a.pk != assignment.pk and a.average_score == score and a.segment != published}
    )
    if twins:
        row.reason = TIE
        row.detail = (
            f"score {score:.2f} is shared by trusts published in segment {', '.join(map(str, twins))}: "
            "equal rounded scores either side of a boundary (ties here take the better segment)"
        )
        return row
    if quartiles and by_bounds == published:
        k = min(published, placement.segment)
        row.reason = MISSING_TRUSTS
        published_at = bounds.published[k - 1]
        recomputed_at = bounds.recomputed[k - 1]
        row.detail = (
            f"the file holds {bounds.in_file} of at least {bounds.ranked_up_to} ranked trusts of the category; "
            f"the {k}|{k + 1} boundary falls at {_score(recomputed_at)} over the file alone, "
            f"at {_score(published_at)} in the published table"
        )
        if recomputed_at is not None and score == recomputed_at:
            row.detail += "; its score also ties the recomputed boundary (ties take the better segment)"
        return row
    if quartiles and by_bounds is None and bounds.in_file < bounds.ranked_up_to:
        row.reason = MISSING_TRUSTS
        row.detail = (
            f"the file holds {bounds.in_file} of at least {bounds.ranked_up_to} ranked trusts of the category: "
            "too few to draw its quartiles, or to infer the published boundaries"
        )
        return row
    row.reason = UNEXPLAINED
    if quartiles:
        row.detail = f"score {score:.2f} lies outside the published band of segment {published} ({published_bounds})"
    else:
        row.detail = f"score {score:.2f} is segment {placement.before_cap} under the thresholds {published_bounds}"
    return row


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


RECONCILIATION_COLUMNS = [
    "org_code",
    "org_name",
    "framework",
    "published_on",
    "category",
    "rank",
    "average_score",
    "in_deficit",
    "published_segment",
    "recomputed_segment",
    "recomputed_before_cap",
    "segment_by_published_bounds",
    "agrees",
    "reason",
    "detail",
]


def reconciliation_records(reconciliation: Reconciliation) -> list[list]:
    """The reconciliation as CSV rows under RECONCILIATION_COLUMNS."""
    out = []
    for row in reconciliation.rows:
        a = row.assignment
        deficit = deficit_of(a)
        out.append(
            [
                a.organisation.ods_code,
                a.organisation.name,
                reconciliation.framework.code,
                reconciliation.published_on.isoformat() if reconciliation.published_on else "",
                a.category,
                a.rank if a.rank is not None else "",
                f"{a.average_score:.2f}" if a.average_score is not None else "",
                "" if deficit is None else int(deficit),
                a.segment,
                "" if row.recomputed is None else row.recomputed,
                "" if row.recomputed_before_cap is None else row.recomputed_before_cap,
                "" if row.by_published_bounds is None else row.by_published_bounds,
                "yes" if row.agrees else "no",
                row.reason,
                row.detail,
            ]
        )
    return out


# --- league table ----------------------------------------------------------------------------


@dataclass
class LeagueRow:
    assignment: SegmentAssignment
    domains: list[int | None]
    previous: SegmentAssignment | None
    distance: Distance
    furthest: tuple[str, float] | None

    @property
    def movement(self) -> int | None:
        """Segments improved since the previous real publication (positive better), None when there was none."""
        return None if self.previous is None else self.previous.segment - self.assignment.segment


@dataclass
class LeagueTable:
    framework: FrameworkVersion
    category: str
    published_on: date | None
    rows: list[LeagueRow]
    bounds: list[float | None]
    previous_published_on: date | None

    @property
    def category_label(self) -> str:
        return SegmentCategory(self.category).label


def league_table(framework: FrameworkVersion, category: str, published_on: date | None = None) -> LeagueTable:
    """One category's published league table: rank, score, domains, movement and distance to the next segment."""
    dates = publication_dates(framework)
    if published_on is None:
        published_on = dates[0] if dates else None
    group = [a for a in _assignments(framework, published_on) if a.category == category] if published_on else []
    parameters = framework.rule_parameters or {}
    cap = parameters.get("deficit_cap")
    if framework.boundary_rule == FrameworkVersion.FIXED_THRESHOLDS:
        bounds = list(parameters.get("thresholds", [None, None, None]))
    else:
        bounds = _published_bounds(group)
        if None not in bounds and bounds != sorted(bounds):
            bounds = [None] * len(bounds)  # a table that contradicts itself implies no boundaries
    domain_fields = list(SegmentAssignment.DOMAIN_FIELDS.items())
    peers = {domain: [getattr(a, name) for a in group] for domain, name in domain_fields}
    previous = _previous_publications(group, published_on)
    rows = []
    for a in group:
        own = {domain: getattr(a, name) for domain, name in domain_fields}
        distance = (
            distance_to_next_segment(a.average_score, a.segment, bounds, in_deficit=bool(deficit_of(a)), cap=cap)
            if a.average_score is not None
            else Distance(None, None)
        )
        rows.append(
            LeagueRow(a, list(own.values()), previous.get(a.organisation_id), distance, furthest_domain(own, peers))
        )
    earlier = [d for d in dates if published_on and d < published_on]
    return LeagueTable(framework, category, published_on, rows, bounds, earlier[0] if earlier else None)


def _previous_publications(group, published_on) -> dict[int, SegmentAssignment]:
    """Each trust's latest real published assignment before this publication, under any framework."""
    out: dict[int, SegmentAssignment] = {}
    if not group:
        return out
    for assignment in SegmentAssignment.objects.filter(
        organisation_id__in=[a.organisation_id for a in group],
        synthetic=False,
        published=True,
        effective_from__lt=published_on,
    ).order_by("organisation_id", "effective_from"):
        out[assignment.organisation_id] = assignment
    return out


def domain_names(framework: FrameworkVersion) -> dict[str, str]:
    return {domain["code"]: domain["name"] for domain in framework.domains}
