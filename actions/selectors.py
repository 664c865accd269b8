"""Reading subscriptions, notifications and cases, always through oversight.permissions.visible_to."""

from indicators.constants import Polarity
from oversight import permissions

from .models import CaseStatus, Notification, OutlierCase


def bad_direction_sign(indicator) -> int:
    """+1 when a high z_adj is bad, -1 when a low one is, 0 when neither direction is bad."""
    return {Polarity.LOWER_IS_BETTER: 1, Polarity.HIGHER_IS_BETTER: -1}.get(indicator.polarity, 0)


def inbox(user):
    return permissions.visible_to(user, Notification.objects.filter(user=user)).select_related(
        "event", "event__organisation", "event__indicator"
    )


def cases(user):
    return permissions.visible_to(user, OutlierCase.objects.all()).select_related(
        "organisation", "indicator", "assigned_to", "opened_by"
    )


def open_cases(user, organisation_ids=None):
    queryset = cases(user).exclude(status=CaseStatus.CLOSED)
    if organisation_ids is not None:
        queryset = queryset.filter(organisation_id__in=organisation_ids)
    return queryset


def open_case_counts(user, organisation_ids) -> dict[int, int]:
    counts: dict[int, int] = {}
    for organisation_id in open_cases(user, organisation_ids).values_list("organisation_id", flat=True):
        counts[organisation_id] = counts.get(organisation_id, 0) + 1
    return counts


def signal_case_keys(user) -> set[tuple[int, int, str]]:
    """(organisation, indicator, period) of every signal with a case (open or closed), for the early-warning list."""
    return {
        (org, indicator, period.isoformat())
        for org, indicator, period in cases(user).values_list("organisation_id", "indicator_id", "period")
    }


def mean_days_to_close(user) -> float | None:
    closed = [case.days_to_close for case in cases(user).filter(status=CaseStatus.CLOSED)]
    return round(sum(closed) / len(closed), 1) if closed else None
