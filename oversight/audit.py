"""The audit trail: recording the context of each change, and reading every history table as one list.

simple_history writes a historical row for every save and delete of the audited models (who,
when, the record as it then stood, a short reason). What it cannot hold is recorded here in an
AuditContext: the request id (from RequestIdMiddleware, or an `audit_scope` for commands and
imports), the channel (form, api, admin, import, command) and the full reason.

Reading merges the history tables newest first, pages through them, and diffs each row against
the one before it (`diff_against`). Nothing here changes or deletes history.
"""

import contextlib
import contextvars
import heapq
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from . import permissions
from .models import AuditContext

CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}

# The audited records, by the key used in filters and URLs. Each maps to (app label, model name).
AUDITED_MODELS = {
    "organisation": ("trusts", "Organisation"),
    "episode": ("trusts", "RegimeEpisode"),
    "segment": ("trusts", "SegmentAssignment"),
    "assignment": ("trusts", "ImprovementDirectorAssignment"),
    "stocktake": ("trusts", "DiagnosticStocktake"),
    "criterion": ("trusts", "ExitCriterion"),
    "funding": ("trusts", "SupportFunding"),
    "note": ("trusts", "EpisodeNote"),
    "user": None,  # the project's user model, registered with simple_history in oversight.models
    "token": ("oversight", "ApiToken"),
    "rebase": ("indicators", "SpcRebase"),
    "case": ("actions", "OutlierCase"),
    "subscription": ("actions", "Subscription"),
    "annotation": ("actions", "ChartAnnotation"),
}
# Records that belong to an organisation directly, and those that belong to it through an episode.
ORGANISATION_FIELD = {"organisation": "id", "episode": "organisation_id", "segment": "organisation_id"}
ORGANISATION_FIELD["assignment"] = "organisation_id"
ORGANISATION_FIELD["rebase"] = "organisation_id"
ORGANISATION_FIELD["case"] = ORGANISATION_FIELD["annotation"] = "organisation_id"
EPISODE_RECORDS = ("stocktake", "criterion", "funding", "note")
IMPORT_REASON_PREFIX = "Imported from "
HISTORICAL_IMPORT = re.compile(r"\(historical import, batch (\d+)\)$")
ADMIN_REASON = "Changed in the admin"

_scope: contextvars.ContextVar[dict | None] = contextvars.ContextVar("oversight_audit_scope", default=None)


@contextlib.contextmanager
def audit_scope(*, channel: str = "command", request_id: str | None = None):
    """Changes made inside (by a command, an import run outside a request) carry this request id and channel."""
    token = _scope.set({"channel": channel, "request_id": request_id or f"{channel}-{uuid.uuid4().hex[:16]}"})
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


def _current_request():
    return getattr(HistoricalRecords.context, "request", None)


def current_request_id() -> str:
    request = _current_request()
    if request is not None and getattr(request, "request_id", None):
        return request.request_id
    scope = _scope.get()
    return scope["request_id"] if scope else ""


def current_channel() -> str:
    scope = _scope.get()
    if scope:
        return scope["channel"]
    request = _current_request()
    if request is None:
        return "other"
    path = request.path
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/records/"):
        return "form"
    return "web"


def _label(model) -> str:
    return model._meta.label_lower


def record_history_context(history_instance, instance=None) -> None:
    """Called for every historical row written through a save (post_create_historical_record)."""
    reason = getattr(instance, "_audit_reason", None) or history_instance.history_change_reason or ""
    channel = current_channel()
    if not reason and channel == "admin":
        reason = ADMIN_REASON  # the admin's forms have no reason field; say where the change came from
    AuditContext.objects.create(
        history_model=_label(type(history_instance)),
        history_id=history_instance.pk,
        request_id=current_request_id()[:64],
        channel=channel,
        reason=reason,
    )


def record_import_context(batch, created: bool) -> None:
    """Bulk imports write history without signals: the batch, once finished, carries their context."""
    if created or batch.finished is None:
        return
    label = _label(type(batch))
    if AuditContext.objects.filter(history_model=label, history_id=batch.pk).exists():
        return
    channel = current_channel()
    AuditContext.objects.create(
        history_model=label,
        history_id=batch.pk,
        # An import run from a command outside any scope still gets an id to find its rows by.
        request_id=(current_request_id() or f"import-batch-{batch.pk}")[:64],
        channel="import" if channel in ("other", "command", "import") else f"import/{channel}"[:12],
        reason=f"{IMPORT_REASON_PREFIX}{batch.file_name}",
    )


# --- Reading -------------------------------------------------------------------------------------


def model_for(key: str):
    """The audited model for a key of AUDITED_MODELS."""
    target = AUDITED_MODELS[key]
    return get_user_model() if target is None else apps.get_model(*target)


def history_model_for(key: str):
    return model_for(key).history.model


@dataclass
class AuditEntry:
    """One change to one record, as the audit pages and the CSV show it."""

    kind: str
    model_name: str
    object_id: int
    object_repr: str
    user: str
    when: datetime
    change: str
    reason: str
    request_id: str = ""
    channel: str = ""
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    history_label: str = ""
    history_id: int = 0
    indicator_id: int | None = None  # an exit criterion's indicator: its threshold is shown in that unit
    readable: list = field(default_factory=list)  # the changes in words (audit_text), on pages only


@dataclass
class AuditFilters:
    """The filters of the audit list (all optional)."""

    kinds: list[str] = field(default_factory=list)
    user: str = ""
    change: str = ""
    since: date | None = None
    until: date | None = None
    object_id: int | None = None
    request_id: str = ""
    reason: str = ""
    organisation_id: int | None = None
    # Leave out confidential records (CP episodes and their records, unpublished segments).
    hide_confidential: bool = False


def _history_queryset(key: str, filters: AuditFilters):
    history = history_model_for(key)
    queryset = history.objects.all()
    if filters.user:
        queryset = queryset.filter(history_user__username=filters.user)
    if filters.change in CHANGE_TYPES:
        queryset = queryset.filter(history_type=filters.change)
    if filters.since:
        queryset = queryset.filter(history_date__gte=timezone.make_aware(datetime.combine(filters.since, time.min)))
    if filters.until:
        queryset = queryset.filter(history_date__lte=timezone.make_aware(datetime.combine(filters.until, time.max)))
    if filters.object_id is not None:
        queryset = queryset.filter(id=filters.object_id)
    if filters.reason:
        queryset = queryset.filter(history_change_reason__icontains=filters.reason)
    if filters.request_id:
        ids = AuditContext.objects.filter(history_model=_label(history), request_id=filters.request_id).values(
            "history_id"
        )
        queryset = queryset.filter(history_id__in=ids)
    if filters.organisation_id is not None:
        if key in ORGANISATION_FIELD:
            queryset = queryset.filter(**{ORGANISATION_FIELD[key]: filters.organisation_id})
        elif key in EPISODE_RECORDS:
            # Episodes ever held by the organisation, deleted ones included.
            episodes = history_model_for("episode").objects.filter(organisation_id=filters.organisation_id)
            if filters.hide_confidential:
                episodes = episodes.exclude(regime_id__in=_confidential_regime_ids())
            queryset = queryset.filter(episode_id__in=episodes.values("id").distinct())
        else:
            return queryset.none()
    if filters.hide_confidential:
        if key == "episode":
            queryset = queryset.exclude(regime_id__in=_confidential_regime_ids())
        elif key == "segment":
            queryset = queryset.filter(published=True)
        elif key in EPISODE_RECORDS:
            hidden = history_model_for("episode").objects.filter(regime_id__in=_confidential_regime_ids())
            queryset = queryset.exclude(episode_id__in=hidden.values("id"))
        elif key not in ("organisation", "assignment"):
            return queryset.none()
    return queryset.select_related("history_user").order_by("-history_date", "-history_id")


def _confidential_regime_ids() -> list[int]:
    return list(apps.get_model("trusts", "Regime").objects.filter(confidential=True).values_list("pk", flat=True))


def _kinds(filters: AuditFilters) -> list[str]:
    kinds = [kind for kind in filters.kinds if kind in AUDITED_MODELS] or list(AUDITED_MODELS)
    if filters.organisation_id is not None:
        kinds = [kind for kind in kinds if kind in ORGANISATION_FIELD or kind in EPISODE_RECORDS]
    return kinds


def audit_count(filters: AuditFilters) -> int:
    return sum(_history_queryset(kind, filters).count() for kind in _kinds(filters))


def audit_page(filters: AuditFilters, *, offset: int, limit: int) -> list[AuditEntry]:
    """Entries offset … offset+limit of the merged history, newest first, with diffs and context."""
    streams = []
    for kind in _kinds(filters):
        rows = list(_history_queryset(kind, filters)[: offset + limit])
        streams.append([(kind, row) for row in rows])
    merged = heapq.merge(*streams, key=lambda item: (item[1].history_date, item[1].history_id), reverse=True)
    chosen = [item for position, item in enumerate(merged) if offset <= position < offset + limit]
    entries = _entries(chosen, with_previous=lambda kind, row: row.prev_record)
    from .audit_text import readable_changes

    if filters.hide_confidential:
        entries = [_redact(entry) for entry in entries]
    readable_changes(entries, model_for)
    return entries


def audit_iter(filters: AuditFilters) -> Iterator[AuditEntry]:
    """Every entry matching the filters, one history table at a time (for the CSV export).

    Each table is read oldest first per record, so each row's previous version is at hand
    without a query per row.
    """

    def shown(entries):
        return [_redact(entry) for entry in entries] if filters.hide_confidential else entries

    for kind in _kinds(filters):
        queryset = _history_queryset(kind, filters).order_by("id", "history_date", "history_id")
        previous_by_object: dict[int, object] = {}
        chunk: list = []
        for row in queryset.iterator(chunk_size=2000):
            previous = previous_by_object.get(row.id)
            if previous is None and row.history_type != "+":
                previous = row.prev_record  # filtered out of this export, but still what it changed from
            chunk.append((kind, row, previous))
            previous_by_object[row.id] = row
            if len(chunk) >= 2000:
                yield from shown(_entries([(k, r) for k, r, _ in chunk], previous={id(r): p for _, r, p in chunk}))
                chunk = []
        if chunk:
            yield from shown(_entries([(k, r) for k, r, _ in chunk], previous={id(r): p for _, r, p in chunk}))


def _redact(entry: AuditEntry) -> AuditEntry:
    """An episode's change as a caller without confidential access reads episodes (oversight.permissions):
    route, reason and notes neutral, the change's free-text reason withheld; a change that then shows
    nothing is left with no field rows."""
    if entry.kind != "episode":
        return entry
    changes = []
    for name, before, after in entry.changes:
        before = permissions.redacted_episode_value(name, before)
        after = permissions.redacted_episode_value(name, after)
        if before != after:
            changes.append((name, before, after))
    entry.changes = changes
    entry.reason = ""
    return entry


def _display(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds") if timezone.is_aware(value) else value
    if isinstance(value, list):  # many-to-many (a user's groups): the related ids
        return sorted(str(item.get("group", item)) if isinstance(item, dict) else str(item) for item in value)
    return value


def _diff(row, previous) -> list[tuple[str, object, object]]:
    if previous is None or row.history_type == "-":
        return []
    delta = row.diff_against(previous, foreign_keys_are_objs=False)
    return [(change.field, _display(change.old), _display(change.new)) for change in delta.changes]


def _entries(items, *, with_previous=None, previous=None) -> list[AuditEntry]:
    contexts = _contexts(items)
    entries = []
    for kind, row in items:
        before = with_previous(kind, row) if with_previous else previous.get(id(row))
        context = contexts.get((_label(type(row)), row.history_id))
        reason = (context.reason if context else "") or row.history_change_reason or ""
        model = model_for(kind)
        entries.append(
            AuditEntry(
                kind=kind,
                model_name=str(model._meta.verbose_name),
                object_id=row.id,
                object_repr=_object_repr(kind, row),
                user=row.history_user.get_username() if row.history_user_id else "",
                when=row.history_date,
                change=CHANGE_TYPES.get(row.history_type, row.history_type),
                reason=reason,
                request_id=context.request_id if context else "",
                channel=context.channel if context else "",
                changes=_diff(row, before),
                history_label=_label(type(row)),
                history_id=row.history_id,
                indicator_id=getattr(row, "indicator_id", None),
            )
        )
    _fill_import_contexts(entries)
    return entries


def _object_repr(kind: str, row) -> str:
    if kind == "user":
        return row.username
    if kind == "token":
        return f"token {row.prefix}…"
    try:
        return str(row.instance)
    except Exception:  # a row whose related records are gone still has an id
        return f"{kind} {row.id}"


def _contexts(items) -> dict[tuple[str, int], AuditContext]:
    wanted: dict[str, list[int]] = {}
    for _, row in items:
        wanted.setdefault(_label(type(row)), []).append(row.history_id)
    if not wanted:
        return {}
    query = Q()
    for label, ids in wanted.items():
        query |= Q(history_model=label, history_id__in=ids)
    return {(context.history_model, context.history_id): context for context in AuditContext.objects.filter(query)}


def _fill_import_contexts(entries: list[AuditEntry]) -> None:
    """An imported row's request id and channel are those of its import batch."""
    from indicators.models import ImportBatch

    pending = [entry for entry in entries if not entry.request_id and entry.reason.startswith(IMPORT_REASON_PREFIX)]
    if not pending:
        return
    cache: dict[tuple[str, datetime], AuditContext | None] = {}
    label = _label(ImportBatch)
    for entry in pending:
        name = entry.reason[len(IMPORT_REASON_PREFIX) :]
        key = (name, entry.when)
        historical = HISTORICAL_IMPORT.search(name)  # episodes name their batch: "… (historical import, batch 7)"
        if key not in cache:
            batch = (
                ImportBatch.objects.filter(pk=int(historical.group(1))).first()
                if historical
                else ImportBatch.objects.filter(
                    file_name__startswith=name, started__lte=entry.when, finished__gte=entry.when
                )
                .order_by("-started")
                .first()
            )
            cache[key] = (
                AuditContext.objects.filter(history_model=label, history_id=batch.pk).first() if batch else None
            )
        context = cache[key]
        if context:
            entry.request_id, entry.channel = context.request_id, context.channel
