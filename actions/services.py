"""Turning what changed into events and notifications, and the steps of an outlier case.

Every function takes ids and is safe to run twice: an event is written once per key
(`Event.key` is unique), a notification once per user and event, an email once per notification.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from indicators.constants import RunStatus
from indicators.models import Alert, ComputationRun, ImportBatch, SpcSummary
from indicators.page_selectors import SPC_CONCERN
from indicators.stats.periods import shift_months
from oversight import permissions
from oversight.audit import stamp_history
from trusts.constants import CriterionDataStatus
from trusts.models import ExitCriterion, RegimeEpisode

from .models import (
    CaseSignal,
    CaseStatus,
    Delivery,
    Event,
    EventKind,
    LightState,
    Notification,
    OutlierCase,
    Subscription,
    SubscriptionTarget,
)

log = logging.getLogger(__name__)
ALERT_Z, ALARM_Z = 2.0, 3.0


def system_viewer():
    """An unsaved superuser: what the board shows someone who may see everything (lights are computed as such)."""
    return get_user_model()(username="oversight-system", is_superuser=True, is_active=True)


def _episode_flags(episode: RegimeEpisode) -> dict:
    return {"episode": episode, "organisation_id": episode.organisation_id, "confidential": episode.regime.confidential}


def _record(key: str, kind: str, title: str, **fields) -> Event | None:
    """The event of `key`, created now (returned) or already there (None): the one idempotency point."""
    event, created = Event.objects.get_or_create(key=key[:200], defaults={"kind": kind, "title": title[:300], **fields})
    return event if created else None


# --- what a run changed ----------------------------------------------------------------------------


def events_from_run(run_id: int) -> list[int]:
    """The new events of a run: a failure, new alerts, new SPC concerns, light changes, criteria met."""
    run = ComputationRun.objects.filter(pk=run_id).first()
    if run is None:
        return []
    new: list[Event | None] = []
    if run.status == RunStatus.FAILED:
        new.append(
            _record(
                f"run-failed:{run.pk}",
                EventKind.FAILURE,
                f"Recompute run {run.pk} failed",
                detail=run.error[:2000],
                run=run,
                staff_only=True,
            )
        )
        return [event.pk for event in new if event]
    if run.status != RunStatus.SUCCEEDED:
        return []
    if run.counts.get("recomputed") == 0 and run.counts.get("programme_unchanged"):
        return []  # it served nothing new: every result, light and criterion is the one already told
    candidates = [
        (
            f"alert:{alert.organisation_id}:{alert.indicator_id}:{alert.period.isoformat()}:{alert.kind}",
            EventKind.ALERT,
            f"{alert.indicator.name}: {alert.kind.upper()} signal at {alert.organisation.name} ({alert.period:%b %Y})",
            {
                "detail": f"Statistic {alert.statistic:.2f} over threshold {alert.threshold:.2f}.",
                "organisation_id": alert.organisation_id,
                "indicator_id": alert.indicator_id,
            },
        )
        for alert in _recent(Alert.objects.select_related("organisation", "indicator"))
    ]
    concerns = SpcSummary.objects.filter(variation_icon=SPC_CONCERN).select_related("organisation", "indicator")
    for spc in concerns:
        last = spc.points[-1]["period"] if spc.points else ""
        candidates.append(
            (
                f"spc:{spc.organisation_id}:{spc.indicator_id}:{spc.variation_icon}:{last}",
                EventKind.SPC,
                f"{spc.indicator.name}: SPC concern at {spc.organisation.name} ({spc.variation_icon})",
                {"organisation_id": spc.organisation_id, "indicator_id": spc.indicator_id},
            )
        )
    # Most signals were told by an earlier run: one query finds them, and only the rest are written.
    told = set(Event.objects.filter(key__in=[key[:200] for key, *_ in candidates]).values_list("key", flat=True))
    for key, kind, title, fields in candidates:
        if key[:200] not in told:
            new.append(_record(key, kind, title, run=run, **fields))
    new.extend(_light_events(run))
    for criterion in ExitCriterion.objects.filter(
        data_status=CriterionDataStatus.MET, episode__exited__isnull=True
    ).select_related("episode__regime", "episode__organisation"):
        new.append(_criterion_met(criterion, run))
    return [event.pk for event in new if event]


def _recent(alerts):
    """Alerts in the last RECENT_MONTHS of their indicator's data: a signal, not the history of every signal."""
    from django.db.models import Max

    from indicators.models import NationalValue

    from .models import RECENT_MONTHS

    ends = dict(
        NationalValue.objects.values("indicator_id").annotate(end=Max("period")).values_list("indicator_id", "end")
    )
    # The window is the query's, so only recent alerts are read (a national run holds ~16,000 in all):
    # periods from the first of the month RECENT_MONTHS - 1 before the end, i.e. fewer than
    # RECENT_MONTHS months apart from it; an indicator with no national value yet keeps every alert.
    window = ~Q(indicator_id__in=list(ends))
    for indicator_id, end in ends.items():
        window |= Q(indicator_id=indicator_id, period__gte=shift_months(end, 1 - RECENT_MONTHS))
    return alerts.filter(window)


def _light_events(run) -> list[Event | None]:
    from indicators.board import board_rows

    events = []
    states = {state.episode_id: state for state in LightState.objects.all()}
    for row in board_rows(system_viewer()):
        episode = row.episode
        state = states.get(episode.pk)
        if state is None:
            LightState.objects.create(episode=episode, light=row.light, run=run)
            continue
        if state.light == row.light:
            continue
        events.append(
            _record(
                f"light:{episode.pk}:{run.pk}",
                EventKind.LIGHT,
                f"{episode.organisation.name}: likelihood of exit {state.light} → {row.light}",
                detail=f"{row.months_in} months in {episode.regime.code}; {row.improving} improving, "
                f"{row.concerns} concerning signals.",
                run=run,
                **_episode_flags(episode),
            )
        )
        state.light, state.run = row.light, run
        state.save(update_fields=["light", "run"])
    return events


def _criterion_met(criterion: ExitCriterion, run=None) -> Event | None:
    episode = criterion.episode
    return _record(
        f"criterion-met:{criterion.pk}:{criterion.met_since}",
        EventKind.CRITERION,
        f"{episode.organisation.name}: exit criterion met — {criterion.description[:120]}",
        indicator_id=criterion.indicator_id,
        run=run,
        **_episode_flags(episode),
    )


def events_from_criterion(criterion_id: int) -> list[int]:
    """A criterion saved: met by the data, or changed after its approval (each version once)."""
    criterion = (
        ExitCriterion.objects.filter(pk=criterion_id).select_related("episode__regime", "episode__organisation").first()
    )
    if criterion is None:
        return []
    new = []
    if criterion.data_status == CriterionDataStatus.MET:
        new.append(_criterion_met(criterion))
    changes = criterion.changes_since_approval()
    if changes:
        episode = criterion.episode
        new.append(
            _record(
                f"criterion-changed:{criterion.pk}:{criterion.version}",
                EventKind.CRITERION,
                f"{episode.organisation.name}: approved exit criterion changed ({', '.join(sorted(changes))})",
                indicator_id=criterion.indicator_id,
                **_episode_flags(episode),
            )
        )
    return [event.pk for event in new if event]


def events_from_episode(episode_id: int, created: bool = False) -> list[int]:
    """A decision on an episode: entry (when the episode was opened), exit proposed, exit approved (each once)."""
    episode = RegimeEpisode.objects.filter(pk=episode_id).select_related("regime", "organisation").first()
    if episode is None:
        return []
    name, regime = episode.organisation.name, episode.regime.name
    new = []
    if created:
        new.append(
            _record(
                f"entry:{episode.pk}:{episode.entered.isoformat()}",
                EventKind.DECISION,
                f"{name} entered {regime} on {episode.entered:%-d %b %Y}",
                **_episode_flags(episode),
            )
        )
    if episode.proposed_exit:
        new.append(
            _record(
                f"exit-proposed:{episode.pk}:{episode.proposed_exit.isoformat()}",
                EventKind.DECISION,
                f"{name}: exit from {regime} proposed for {episode.proposed_exit:%-d %b %Y}",
                **_episode_flags(episode),
            )
        )
    if episode.exited:
        new.append(
            _record(
                f"exit-approved:{episode.pk}:{episode.exited.isoformat()}",
                EventKind.DECISION,
                f"{name}: exit from {regime} approved ({episode.exited:%-d %b %Y})",
                **_episode_flags(episode),
            )
        )
    return [event.pk for event in new if event]


def events_from_import(batch_id: int) -> list[int]:
    batch = ImportBatch.objects.filter(pk=batch_id, status="failed").first()
    if batch is None:
        return []
    event = _record(
        f"import-failed:{batch.pk}",
        EventKind.FAILURE,
        f"Import of {batch.file_name} failed",
        detail="; ".join(str(error) for error in (batch.errors or [])[:5])[:2000],
        staff_only=True,
    )
    return [event.pk] if event else []


# --- who is told -----------------------------------------------------------------------------------


def _matches(subscription: Subscription, event: Event, region: str, assigned: set[int]) -> bool:
    if event.kind not in subscription.events:
        return False
    target = subscription.target
    if target == SubscriptionTarget.ALL:
        return True
    if target == SubscriptionTarget.TRUST:
        return event.organisation_id is not None and event.organisation_id == subscription.organisation_id
    if target == SubscriptionTarget.REGION:
        return bool(region) and region == subscription.region
    if target == SubscriptionTarget.INDICATOR:
        return event.indicator_id is not None and event.indicator_id == subscription.indicator_id
    if target == SubscriptionTarget.MY_TRUSTS:
        return event.organisation_id in assigned
    return False


def fan_out(event_ids: list[int]) -> list[int]:
    """Notify every subscriber of each event they match and may see; returns the new notification ids."""
    events = list(Event.objects.filter(pk__in=event_ids).select_related("organisation"))
    if not events:
        return []
    by_user: dict[int, list[Subscription]] = defaultdict(list)
    for subscription in Subscription.objects.select_related("user").filter(user__is_active=True):
        by_user[subscription.user_id].append(subscription)
    created: list[int] = []
    for subscriptions in by_user.values():
        user = subscriptions[0].user
        # Rights are asked once per user, of the one rule for events (oversight.permissions).
        visible = set(
            permissions.visible_to(user, Event.objects.filter(pk__in=[e.pk for e in events])).values_list(
                "pk", flat=True
            )
        )
        assigned = permissions.assigned_organisation_ids(user)
        for event in events:
            if event.pk not in visible:
                continue
            region = event.organisation.region if event.organisation else ""
            chosen = [s for s in subscriptions if _matches(s, event, region, assigned)]
            if not chosen:
                continue
            delivery = _strongest(s.delivery for s in chosen)
            notification, made = Notification.objects.get_or_create(
                user=user, event=event, defaults={"delivery": delivery}
            )
            if made:
                created.append(notification.pk)
    return created


def _strongest(deliveries) -> str:
    order = [Delivery.INBOX, Delivery.DIGEST, Delivery.IMMEDIATE]
    return max(deliveries, key=order.index)


def _claim_unsent(queryset) -> list[Notification]:
    """Mark each unsent notification as sent and return those this call marked: two workers never email one twice."""
    mine = []
    for row in queryset.filter(emailed_at__isnull=True).select_related("event", "user"):
        if Notification.objects.filter(pk=row.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
            mine.append(row)
    return mine


def _email(user, notifications: list[Notification], subject: str) -> bool:
    if not user.email or not notifications:
        return False
    lines = [f"- {n.event.title}" + (f"\n  {n.event.detail}" if n.event.detail else "") for n in notifications]
    body = f"{subject}\n\n" + "\n".join(lines) + "\n\nSee them in your inbox: " + settings.SITE_URL + "/notifications/"
    send_mail(f"[Oversight] {subject}", body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True


def send_immediate(notification_ids: list[int]) -> int:
    """Email the notifications chosen for immediate delivery, one email per user; returns emails sent."""
    rows = _claim_unsent(Notification.objects.filter(pk__in=notification_ids, delivery=Delivery.IMMEDIATE))
    grouped: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        grouped[row.user_id].append(row)
    sent = 0
    for items in grouped.values():
        count = len(items)
        sent += _email(items[0].user, items, f"{count} new notification{'s' if count != 1 else ''}")
    return sent


def send_digests() -> int:
    """The daily digest: every digest notification not yet emailed, one email per user."""
    rows = _claim_unsent(Notification.objects.filter(delivery=Delivery.DIGEST))
    grouped: dict[int, list[Notification]] = defaultdict(list)
    for row in rows:
        grouped[row.user_id].append(row)
    return sum(
        _email(items[0].user, items, f"Daily digest, {date.today():%-d %b %Y}: {len(items)} notifications")
        for items in grouped.values()
    )


def email_board_packs(today: date | None = None) -> int:
    """The weekly board pack: each subscriber of `board_pack` gets the PDF of what they may see; returns emails."""
    from django.core.mail import EmailMessage

    from .board_pack import board_pack

    today = today or date.today()
    users = {
        s.user
        for s in Subscription.objects.select_related("user").filter(user__is_active=True)
        if EventKind.BOARD_PACK in s.events and s.user.email
    }
    for user in users:
        content, trusts = board_pack(user)  # today's board: the date only names the email
        message = EmailMessage(
            f"[Oversight] Board pack, {today:%-d %b %Y}",
            f"The board and {trusts} trust pages, as you may see them, are attached.",
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
        message.attach(f"board-pack-{today.isoformat()}.pdf", content, "application/pdf")
        message.send()
    return len(users)


def notify(event_ids: list[int]) -> dict:
    notifications = fan_out(event_ids)
    return {"events": len(event_ids), "notifications": len(notifications), "emails": send_immediate(notifications)}


def mark_read(user, notification_ids=None) -> int:
    queryset = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        queryset = queryset.filter(pk__in=notification_ids)
    return queryset.update(read_at=timezone.now())


def unread_count(user) -> int:
    if not user or not user.is_authenticated:
        return 0
    return permissions.visible_to(user, Notification.objects.filter(user=user, read_at__isnull=True)).count()


# --- subscriptions ---------------------------------------------------------------------------------


def _stamp(instance, actor, reason: str) -> None:
    stamp_history(instance, actor=actor, reason=reason, blank_reason="")  # an empty reason is kept as ""


@transaction.atomic
def subscription_create(*, user, target: str, events: list[str], delivery: str = Delivery.INBOX, **fields):
    subscription = Subscription(user=user, target=target, events=sorted(set(events)), delivery=delivery, **fields)
    _validate_subscription(subscription)
    _stamp(subscription, user, "Subscribed")
    subscription.save()
    return subscription


def _validate_subscription(subscription: Subscription) -> None:
    from .models import ALL_EVENT_KINDS

    subscription.full_clean(exclude=["user"])
    errors = {}
    unknown = [kind for kind in subscription.events if kind not in ALL_EVENT_KINDS]
    if not subscription.events or unknown:
        errors["events"] = f"Choose one or more of {', '.join(ALL_EVENT_KINDS)}" + (
            f"; unknown: {', '.join(map(str, unknown))}." if unknown else "."
        )
    needs = {
        SubscriptionTarget.TRUST: ("organisation", subscription.organisation_id),
        SubscriptionTarget.REGION: ("region", subscription.region),
        SubscriptionTarget.INDICATOR: ("indicator", subscription.indicator_id),
    }.get(subscription.target)
    if needs and not needs[1]:
        errors[needs[0]] = f"A {subscription.get_target_display().lower()} subscription names its {needs[0]}."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def subscription_delete(*, user, subscription: Subscription) -> None:
    if subscription.user_id != user.pk:
        raise PermissionDenied("You can only delete your own subscriptions.")
    _stamp(subscription, user, "Unsubscribed")
    subscription.delete()


# --- outlier cases ---------------------------------------------------------------------------------


def case_signal_for(z_adjusted: float | None, polarity_sign: int) -> str | None:
    """alert / alarm for a z_adj beyond ±2 / ±3 in the bad direction (polarity_sign +1 when higher is worse)."""
    if z_adjusted is None or polarity_sign == 0:
        return None
    bad = z_adjusted * polarity_sign
    if bad > ALARM_Z:
        return CaseSignal.ALARM
    if bad > ALERT_Z:
        return CaseSignal.ALERT
    return None


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


@transaction.atomic
def case_open(*, actor, organisation, indicator, period: date, signal: str, assigned_to=None, reason: str = ""):
    """Open a case from a signal that exists in the stored results (oversight staff or the trust's ID)."""
    from indicators.models import ZScore

    from .selectors import bad_direction_sign

    _require(
        permissions.can_edit_trust_records(actor, organisation.pk),
        "Only oversight staff or the trust's improvement director can open a case.",
    )
    if signal == CaseSignal.CUSUM:
        alert = Alert.objects.filter(organisation=organisation, indicator=indicator, period=period).first()
        if alert is None:
            raise ValidationError({"period": "No CUSUM signal of this indicator at this trust in this period."})
        value = alert.statistic
    elif signal in (CaseSignal.ALERT, CaseSignal.ALARM):
        row = ZScore.objects.filter(organisation=organisation, indicator=indicator, period=period).first()
        found = case_signal_for(row.z_adjusted if row else None, bad_direction_sign(indicator))
        allowed = {CaseSignal.ALARM: {CaseSignal.ALARM}, CaseSignal.ALERT: {CaseSignal.ALERT, CaseSignal.ALARM}}
        if found not in allowed[signal]:
            raise ValidationError(
                {"signal": f"z_adj in this period is not beyond the {signal} limit in the bad direction."}
            )
        value = row.z_adjusted
    else:
        raise ValidationError({"signal": f"Choose one of {', '.join(CaseSignal.values)}."})
    if (
        OutlierCase.objects.filter(organisation=organisation, indicator=indicator, period=period, signal=signal)
        .exclude(status=CaseStatus.CLOSED)
        .exists()
    ):
        raise ValidationError({"signal": "A case is already open for this signal."})
    case = OutlierCase(
        organisation=organisation,
        indicator=indicator,
        period=period,
        signal=signal,
        value=value,
        opened_by=actor,
        assigned_to=assigned_to,
    )
    _stamp(case, actor, reason or "Case opened")
    case.save()
    return case


def _lock(case: OutlierCase) -> OutlierCase:
    return OutlierCase.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def case_assign(*, actor, case: OutlierCase, assignee, reason: str = ""):
    _require(
        permissions.is_oversight(actor) and permissions.scope_allows_write(actor), "Only oversight staff assign cases."
    )
    case = _lock(case)
    if not case.is_open:
        raise ValidationError({"status": "This case is closed."})
    case.assigned_to = assignee
    _stamp(case, actor, reason or f"Assigned to {assignee.get_username()}")
    case.save(update_fields=["assigned_to"])
    return case


@transaction.atomic
def case_record_response(*, actor, case: OutlierCase, response: str):
    _require(
        permissions.can_edit_trust_records(actor, case.organisation_id),
        "Only oversight staff or the trust's improvement director can record the trust's response.",
    )
    if not (response or "").strip():
        raise ValidationError({"response": "The trust's response cannot be empty."})
    case = _lock(case)
    if not case.is_open:
        raise ValidationError({"status": "This case is closed."})
    case.response, case.responded_at, case.status = response.strip(), timezone.now(), CaseStatus.AWAITING
    _stamp(case, actor, "Trust's response recorded")
    case.save(update_fields=["response", "responded_at", "status"])
    return case


@transaction.atomic
def case_close(*, actor, case: OutlierCase, reason: str):
    _require(permissions.can_approve(actor), "Only oversight staff can close a case.")
    if not (reason or "").strip():
        raise ValidationError({"close_reason": "Closing a case needs a reason."})
    case = _lock(case)
    if not case.is_open:
        raise ValidationError({"status": "This case is already closed."})
    case.status, case.closed_at, case.close_reason = CaseStatus.CLOSED, timezone.now(), reason.strip()
    _stamp(case, actor, f"Closed: {reason.strip()}")
    case.save(update_fields=["status", "closed_at", "close_reason"])
    return case
