"""Writing each synthetic episode's records: diagnostic stocktake, exit criteria, support funding and notes.

The texts are the kinds of finding, criterion and note the evaluation describes; funding follows
Table 28 (how support was spent). Draws come from the records stream, in a fixed order.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
from simple_history.utils import bulk_create_with_history

from indicators.stats.simulation import (
    REGIME_END,
    SERIES,
    expit,
    financial_year,
    month_number,
    national_curve,
    pick,
)
from trusts.constants import (
    CP,
    NOF4,
    SMQ,
    Comparator,
    CriterionStatus,
    CriterionTheme,
    FundingCategory,
    LeadershipRating,
)
from trusts.models import DiagnosticStocktake, EpisodeNote, ExitCriterion, SupportFunding

from .calibration import ACUTE_KINDS


def _director_on(assignments, org_id: int, day: date):
    for assignment in assignments:
        if assignment.organisation_id == org_id and assignment.date_from <= day:
            if assignment.date_to is None or day <= assignment.date_to:
                return assignment.user
    return None


STOCKTAKE_ROOT_CAUSES = (
    "A board focused on finance and access targets at the expense of quality; ward-to-board assurance was absent.",
    "Long-standing workforce gaps filled by agency staff, eroding continuity of care and learning.",
    "A closed culture in which staff did not feel safe to raise concerns; incidents under-reported.",
    "Rapid growth after a merger without integrating clinical governance across the sites.",
    "Persistent operational pressure in urgent care crowding out improvement work.",
)
STOCKTAKE_STRUCTURAL = (
    "Two acute sites 20 miles apart with duplicated rotas and fragile specialist cover.",
    "A PFI estate with high fixed costs and limited bed flexibility.",
    "Estates backlog maintenance and an ageing emergency department built for half today's attendances.",
    "A small trust serving a rural population, hard to recruit to, with limited scope to share services.",
    "Dependence on a neighbouring trust for stroke, vascular and paediatric services.",
)
STOCKTAKE_LEADERSHIP = (
    "Interim chief executive and medical director; the executive team has turned over twice in three years.",
    "A stable but inward-looking executive team with limited improvement capability.",
    "Capable new chair and chief executive; middle management capacity is the constraint.",
    "Clinical leadership underdeveloped: divisional directors without time or support to lead.",
)
NOTE_TEXTS = (
    "Diagnostic stocktake agreed with the board, the region and the ICB; exit criteria drafted.",
    "Buddy trust visit: ward accreditation and safety huddles shared; follow-up booked.",
    "Monthly review: staffing improved on the medical wards; ED crowding remains the main risk.",
    "Board development session held; well-led self-assessment shows progress on governance.",
    "Quality summit with CQC and commissioners; the improvement plan is on track in four of six areas.",
    "Concern: serious incident backlog growing again; escalated to the regional director.",
    "Exit readiness review: evidence pack compiled against each criterion.",
)
CRITERIA = {
    CriterionTheme.CULTURE: (
        "Staff engagement score within 0.2 of the benchmarking group average",
        "Freedom to speak up guardian reports to the board each quarter, with actions tracked",
    ),
    CriterionTheme.LEADERSHIP: (
        "Substantive chief executive, medical director and chief nurse in post for six months",
        "External well-led review completed and its recommendations delivered",
    ),
    CriterionTheme.GOVERNANCE: (
        "Serious incident investigations closed within 60 working days",
        "Board assurance framework in use at every committee, reviewed quarterly",
    ),
    CriterionTheme.ICB_OWNERSHIP: (
        "ICB-led system recovery plan agreed with the trust and NHS England",
        "The ICB chairs a monthly improvement assurance meeting",
    ),
    CriterionTheme.QUALITY_SAFETY: (
        "CQC re-inspection rates safe and well-led at least requires improvement",
        "Maternity safety actions all delivered and assured by the local maternity system",
    ),
    CriterionTheme.OPERATIONS: ("Ambulance handovers within 30 minutes for 95% of arrivals",),
    CriterionTheme.FINANCE: ("Deficit reduction plan delivered to the quarter",),
    CriterionTheme.WORKFORCE: ("Safe staffing establishment reviews completed for every ward",),
}
# Criteria tied to an indicator: (theme, indicator, the description with {threshold} and {months}).
LINKED_CRITERIA = (
    (CriterionTheme.QUALITY_SAFETY, "shmi", "SHMI at or below {threshold:.2f} for {months} months"),
    (
        CriterionTheme.OPERATIONS,
        "rtt_18wk",
        "RTT pathways over 18 weeks at or below {threshold:.1%} for {months} months",
    ),
    (CriterionTheme.OPERATIONS, "cancer_62d", "62-day cancer breaches at or below {threshold:.1%} for {months} months"),
    (
        CriterionTheme.OPERATIONS,
        "dtoc",
        "Delayed transfers at or below {threshold:.1%} of bed days for {months} months",
    ),
    (CriterionTheme.WORKFORCE, "sickness_absence", "Sickness absence at or below {threshold:.1%} for {months} months"),
    (CriterionTheme.WORKFORCE, "vacancy_rate", "Vacancy rate at or below {threshold:.1%} for {months} months"),
    (CriterionTheme.FINANCE, "financial_stability", "Financial stability score 3 or better for {months} months"),
)
# Table 28: the share of support spent in each category.
SPEND_SHARES = {
    FundingCategory.CULTURAL_CHANGE_TRAINING: 33.6,
    FundingCategory.WORKFORCE_QUALITY_SAFETY: 21.7,
    FundingCategory.GOVERNANCE_ASSURANCE: 18.4,
    FundingCategory.CARE_IMPROVEMENT: 14.6,
    FundingCategory.QI_TRAINING: 11.7,
}
ENTRY_AWARD = {SMQ: (300_000, 500_000), CP: (80_000, 200_000), NOF4: (300_000, 500_000)}  # first financial year
LATER_AWARD = {SMQ: (150_000, 400_000), CP: (50_000, 150_000), NOF4: (150_000, 400_000)}
SMQ_EXIT_AWARD = 100_000


def _at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def _threshold(code: str, entered: date) -> float:
    """An exit threshold for a linked criterion: about the national level when the trust entered."""
    if code == "shmi":
        return 1.05
    if code == "financial_stability":
        return 3.0
    national = float(expit(national_curve(SERIES[code].anchors, np.array([month_number(entered)])))[0])
    return round(national, 3)


def records_create(rng, episodes, assignments, indicators, end: date, summary) -> None:
    """Stocktakes, exit criteria, funding and notes for every episode."""
    stocktakes, criteria, funding, notes, note_dates = [], [], [], [], []
    open_approved = []
    for episode in episodes:
        stocktake_day = episode.entered + timedelta(days=int(rng.integers(45, 100)))
        done = stocktake_day < end and (episode.exited is None or stocktake_day <= episode.exited)
        ratings = [LeadershipRating.ABSENT, LeadershipRating.PARTIAL, LeadershipRating.PRESENT]
        weights = [0.45, 0.45, 0.10]
        stocktakes.append(
            DiagnosticStocktake(
                episode=episode,
                root_causes=pick(rng, STOCKTAKE_ROOT_CAUSES),
                structural_issues=pick(rng, STOCKTAKE_STRUCTURAL),
                leadership_capability=pick(rng, STOCKTAKE_LEADERSHIP),
                leadership_direction=str(rng.choice(ratings, p=weights)) if done else LeadershipRating.UNKNOWN,
                leadership_alignment=str(rng.choice(ratings, p=weights)) if done else LeadershipRating.UNKNOWN,
                leadership_commitment=str(rng.choice(ratings, p=weights)) if done else LeadershipRating.UNKNOWN,
                completed_on=stocktake_day if done else None,
            )
        )
        criteria_here = _criteria_for(rng, episode, indicators, stocktake_day, done, end)
        if episode.exited is None and criteria_here and criteria_here[0].approved_at:
            open_approved.append(criteria_here)
        criteria += criteria_here
        funding += _funding_for(rng, episode, end)
        last_day = min(episode.exited or end, end)
        for _ in range(int(rng.integers(1, 4))):
            span = max(1, (last_day - episode.entered).days)
            day = episode.entered + timedelta(days=int(rng.integers(0, span)))
            notes.append(
                EpisodeNote(
                    episode=episode,
                    author=_director_on(assignments, episode.organisation_id, day),
                    text=pick(rng, NOTE_TEXTS),
                )
            )
            note_dates.append(_at_noon(day))
    # Mission creep, visible: two open episodes had a criterion tightened after it was approved.
    for criteria_here in open_approved[:2]:
        changed = next((c for c in criteria_here if c.threshold is not None), criteria_here[0])
        if changed.threshold is not None:
            changed.threshold = round(changed.threshold * 0.9, 3)
        changed.description += " (tightened after approval at the regional review)"
    # Creation history for the records people review (the stocktake, the criteria); funding lines
    # and notes are many and their creation says nothing, so they are inserted plainly.
    reason = "synthetic demo data"
    summary.stocktakes = len(bulk_create_with_history(stocktakes, DiagnosticStocktake, default_change_reason=reason))
    summary.exit_criteria = len(bulk_create_with_history(criteria, ExitCriterion, default_change_reason=reason))
    summary.funding_lines = len(SupportFunding.objects.bulk_create(funding))
    notes = EpisodeNote.objects.bulk_create(notes)
    for note, created in zip(notes, note_dates, strict=True):
        note.created = created  # auto_now_add stamped today on insert; a note belongs to its day
    EpisodeNote.objects.bulk_update(notes, ["created"])
    summary.episode_notes = len(notes)


def _criteria_for(rng, episode, indicators, stocktake_day: date, done: bool, end: date) -> list[ExitCriterion]:
    """4–10 exit criteria across the themes; some tied to an indicator. Met on exit, mixed while open."""
    themes = [theme for theme in CRITERIA if episode.regime.code == NOF4 or theme != CriterionTheme.ICB_OWNERSHIP]
    count = int(rng.integers(4, 11))
    chosen = list(rng.permutation(np.array(themes, dtype=object)))
    while len(chosen) < count:
        chosen.append(pick(rng, themes))
    chosen = chosen[:count]
    acute = episode.organisation.kind in ACUTE_KINDS
    approved = done and stocktake_day + timedelta(days=30) < end
    approved_on = stocktake_day + timedelta(days=int(rng.integers(14, 45)))
    result = []
    for theme in chosen:
        linked = [
            item
            for item in LINKED_CRITERIA
            if item[0] == theme and acute and not (item[1] == "dtoc" and episode.entered >= date(2019, 10, 1))
        ]
        criterion = ExitCriterion(episode=episode, theme=theme)
        if linked and rng.random() < 0.6:
            _, code, text = pick(rng, linked)
            months = int(pick(rng, (3, 6, 6, 9, 12)))
            criterion.indicator = indicators[code]
            criterion.comparator = Comparator.LE
            criterion.threshold = _threshold(code, episode.entered)
            criterion.months_sustained = months
            criterion.description = text.format(threshold=criterion.threshold, months=months)
        else:
            criterion.description = pick(rng, CRITERIA[theme])
        if episode.exited is not None:
            criterion.status = CriterionStatus.MET
            criterion.evidence = "Evidence reviewed at the exit panel; sustained over the agreed period."
        elif approved:
            criterion.status = str(
                rng.choice(
                    [
                        CriterionStatus.APPROVED,
                        CriterionStatus.IN_PROGRESS,
                        CriterionStatus.MET,
                        CriterionStatus.NOT_MET,
                    ],
                    p=[0.2, 0.45, 0.2, 0.15],
                )
            )
            if criterion.status == CriterionStatus.MET:
                criterion.evidence = "Met in the latest quarter; sustainability to be confirmed."
        else:
            criterion.status = CriterionStatus.PROPOSED
        if episode.exited is not None or approved:
            criterion.approved_at = _at_noon(approved_on)
            criterion.approved_snapshot = criterion.approval_view()
        result.append(criterion)
    return result


def _funding_for(rng, episode, end: date) -> list[SupportFunding]:
    """Awards by financial year split across the Table 28 categories; £100k in the year after an SMQ exit."""
    code = episode.regime.code
    first = financial_year(episode.entered)
    last_day = min(episode.exited or end, end)
    exit_support = code == SMQ and episode.exited is not None and episode.exited < REGIME_END and episode.exited <= end
    exit_year = max(financial_year(episode.exited), first + 1) if exit_support else None
    years = range(first, (exit_year if exit_year is not None else financial_year(last_day) + 1))
    awards = {}
    for year in years:
        low, high = ENTRY_AWARD[code] if year == first else LATER_AWARD[code]
        awards[year] = float(rng.uniform(low, high))
    if exit_year is not None and exit_year <= financial_year(end):
        awards[exit_year] = float(SMQ_EXIT_AWARD)
    shares = np.array(list(SPEND_SHARES.values())) / 100.0
    lines = []
    current_year = financial_year(end)
    for year, total in awards.items():
        budgets = np.floor(total * rng.dirichlet(shares * 40.0))
        budgets[np.argmax(budgets)] += round(total) - budgets.sum()  # whole pounds summing to the award
        if year < current_year:
            spent_share = rng.uniform(0.8, 1.05, size=budgets.size)
        else:
            elapsed = (month_number(end) - (year * 12 + 3) + 1) / 12.0
            spent_share = np.full(budgets.size, max(0.0, min(1.0, elapsed)))
        for category, budget, share in zip(SPEND_SHARES, budgets, spent_share, strict=True):
            lines.append(
                SupportFunding(
                    episode=episode,
                    year=year,
                    category=category,
                    budget=Decimal(int(budget)),
                    spent=Decimal(int(budget * share)),
                )
            )
    return lines
