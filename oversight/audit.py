"""The audit trail: recording the context of each change, and reading every history table as one list.

simple_history writes a historical row for every save and delete of the audited models (who,
when, the record as it then stood, a short reason). What it cannot hold is recorded here in an
AuditContext: the request id (from RequestIdMiddleware, or an `audit_scope` for commands and
imports), the channel (form, api, admin, import, command), the full reason and, for a change made
by an import, its batch (`audit_batch`).

Which records are audited, and how each belongs to an organisation and may be confidential, is
declared by the app that owns them (`register`, in oversight.audit_registry): this module reads
their history tables without importing the apps above it.

Reading merges the history tables newest first, pages through them, and diffs each row against
the one before it (`diff_against`). Nothing here changes or deletes history.
"""

import contextlib
import contextvars
import heapq
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Max, Q
from django.utils import timezone
from simple_history import utils as history_utils
from simple_history.models import HistoricalRecords

from . import audit_registry
from .audit_registry import AuditedRecord, register, register_import_batches  # noqa: F401 — the apps' entry points
from .audit_text import readable_changes
from .models import AuditContext

CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
IMPORT_REASON_PREFIX = "Imported from "
ADMIN_REASON = "Changed in the admin"
BULK_CONTEXT_BATCH_SIZE = 500
HISTORY_REASON_LENGTH = 100  # simple_history's history_change_reason column

_scope: contextvars.ContextVar[dict | None] = contextvars.ContextVar("oversight_audit_scope", default=None)
_batch: contextvars.ContextVar[int | None] = contextvars.ContextVar("oversight_audit_batch", default=None)


@contextlib.contextmanager
def audit_scope(*, channel: str = "command", request_id: str | None = None):
    """Changes made inside (by a command, an import run outside a request) carry this request id and channel."""
    token = _scope.set({"channel": channel, "request_id": request_id or f"{channel}-{uuid.uuid4().hex[:16]}"})
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


@contextlib.contextmanager
def audit_batch(batch_id: int):
    """Changes made inside belong to import batch `batch_id`: each one's audit context carries the id.

    The request id and channel stay those of the request or scope around it.
    """
    token = _batch.set(batch_id)
    try:
        yield batch_id
    finally:
        _batch.reset(token)


def stamp_history(instance, *, actor, reason: str | None = "", blank_reason: str | None = None) -> None:
    """Attribute the next history row of `instance` to `actor`, with `reason`.

    The audit context keeps the reason in full; the history row keeps its first HISTORY_REASON_LENGTH
    characters, or `blank_reason` when there is no reason (NULL by default).
    """
    reason = reason or ""
    instance._history_user = actor
    instance._audit_reason = reason
    instance._change_reason = reason[:HISTORY_REASON_LENGTH] or blank_reason


def current_batch_id() -> int | None:
    return _batch.get()


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


def _import_channel() -> str:
    channel = current_channel()
    return "import" if channel in ("other", "command", "import") else f"import/{channel}"[:12]


def _import_request_id(batch_id: int) -> str:
    # An import run from a command outside any scope still gets an id to find its rows by.
    return (current_request_id() or f"import-batch-{batch_id}")[:64]


def _label(model) -> str:
    return model._meta.label_lower


def record_history_context(history_instance, instance=None) -> None:
    """Called for every historical row written through a save (post_create_historical_record)."""
    reason = getattr(instance, "_audit_reason", None) or history_instance.history_change_reason or ""
    batch_id = current_batch_id()
    channel = current_channel() if batch_id is None else _import_channel()
    if not reason and channel == "admin":
        reason = ADMIN_REASON  # the admin's forms have no reason field; say where the change came from
    AuditContext.objects.create(
        history_model=_label(type(history_instance)),
        history_id=history_instance.pk,
        request_id=(current_request_id() if batch_id is None else _import_request_id(batch_id))[:64],
        channel=channel,
        reason=reason,
        batch_id=batch_id,
    )


def record_import_context(batch, created: bool) -> None:
    """Bulk imports write history without signals: the batch, once finished, carries their context."""
    if created or batch.finished is None:
        return
    label = _label(type(batch))
    if AuditContext.objects.filter(history_model=label, history_id=batch.pk).exists():
        return
    AuditContext.objects.create(
        history_model=label,
        history_id=batch.pk,
        request_id=_import_request_id(batch.pk),
        channel=_import_channel(),
        reason=f"{IMPORT_REASON_PREFIX}{batch.file_name}",
        batch_id=batch.pk,
    )


def _record_import_batch_saved(sender, instance, created, **kwargs):
    record_import_context(instance, created)


def _record_history_saved(sender, history_instance, instance=None, **kwargs):
    record_history_context(history_instance, instance)


def connect_signals() -> None:
    """Wire the recording of contexts (OversightConfig.ready): every history row written through a save."""
    from simple_history.signals import post_create_historical_record

    post_create_historical_record.connect(_record_history_saved, dispatch_uid="oversight-audit-context")


def register_import_batch_model(model) -> None:
    """Each finished batch of `model` records its import's context (the app owning batches calls this in ready())."""
    from django.db.models.signals import post_save

    register_import_batches(model)
    post_save.connect(
        _record_import_batch_saved, sender=model, dispatch_uid=f"oversight-import-context-{_label(model)}"
    )


def bulk_create_with_history(objs, model, **options) -> list:
    """simple_history's bulk create; inside an `audit_batch`, each history row written gets its audit context."""
    return _bulk_with_contexts(
        model, "+", options, lambda: history_utils.bulk_create_with_history(objs, model, **options), objs
    )


def bulk_update_with_history(objs, model, fields, **options) -> int:
    """simple_history's bulk update; inside an `audit_batch`, each history row written gets its audit context."""
    return _bulk_with_contexts(
        model, "~", options, lambda: history_utils.bulk_update_with_history(objs, model, fields, **options), objs
    )


def _bulk_with_contexts(model, history_type: str, options: dict, write, objs):
    """Bulk writes send no signals, so the rows they wrote are found here: this table's rows of these
    records, of this type and this timestamp, newer than the newest before the write."""
    batch_id = current_batch_id()
    if batch_id is None:
        return write()
    history = model.history.model
    options.setdefault("default_date", timezone.now())
    newest = history.objects.aggregate(newest=Max("history_id"))["newest"] or 0
    result = write()
    written = result if history_type == "+" else objs
    ids = [obj.pk for obj in written]
    rows = []
    for start in range(0, len(ids), BULK_CONTEXT_BATCH_SIZE):
        rows += history.objects.filter(
            id__in=ids[start : start + BULK_CONTEXT_BATCH_SIZE],
            history_id__gt=newest,
            history_type=history_type,
            history_date=options["default_date"],
        ).values_list("history_id", "history_change_reason")
    request_id, channel, label = _import_request_id(batch_id), _import_channel(), _label(history)
    AuditContext.objects.bulk_create(
        [
            AuditContext(
                history_model=label,
                history_id=history_id,
                request_id=request_id,
                channel=channel,
                reason=reason or "",
                batch_id=batch_id,
            )
            for history_id, reason in rows
        ],
        batch_size=BULK_CONTEXT_BATCH_SIZE,
    )
    return result


# --- Reading -------------------------------------------------------------------------------------


def model_for(key: str):
    """The audited model registered under `key`."""
    return audit_registry.get(key).model


def history_model_for(key: str):
    return audit_registry.get(key).history_model


def audited_keys() -> list[str]:
    """The keys of every audited record, in the order the apps registered them."""
    return audit_registry.keys()


def organisation_keys() -> list[str]:
    """The keys of the records that belong to an organisation (its audit timeline can show them)."""
    return [key for key in audited_keys() if audit_registry.get(key).organisation_path is not None]


def organisation_model():
    return audit_registry.organisation_model()


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
    batch_id: int | None = None  # the import batch that made the change


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
    batch_id: int | None = None
    # Leave out confidential records (CP episodes and their records, unpublished segments).
    hide_confidential: bool = False


def _parent(model, name: str) -> tuple[str, AuditedRecord]:
    """The column and audited record a field of `model` refers to ("episode" → episode_id, the episodes)."""
    related = model._meta.get_field(name)
    parent = audit_registry.for_model(related.related_model)
    if parent is None:
        raise LookupError(f"{model._meta.label}.{name} refers to {related.related_model._meta.label}: not audited.")
    return related.attname, parent


def _confidential_rows(record: AuditedRecord, queryset):
    """`queryset` (history rows of `record`) without those a caller without confidential access never sees."""
    if record.confidential is True:
        return queryset.none()
    if record.confidential is False:
        return queryset
    if isinstance(record.confidential, Q):
        return queryset.exclude(record.confidential)
    # Shares the confidentiality of the record it belongs to: hidden if any version of that one is.
    column, parent = _parent(record.model, record.confidential)
    if parent.confidential is True or parent.confidential is False:
        return queryset.none() if parent.confidential else queryset
    parents = parent.history_model.objects.all()
    if isinstance(parent.confidential, Q):
        hidden = parents.filter(parent.confidential)
    else:
        hidden = parents.exclude(pk__in=_confidential_rows(parent, parents).values("pk"))
    return queryset.exclude(**{f"{column}__in": hidden.values("id")})


def _of_organisation(model, path: str | None, queryset, organisation_id: int):
    """History rows of `model` that belong to the organisation along `path` (see AuditedRecord)."""
    if path is None:
        return queryset.none()
    if "__" not in path:
        return queryset.filter(**{path: organisation_id})
    # Through another audited record's history: every one the organisation ever held, deleted ones included.
    name, rest = path.split("__", 1)
    column, parent = _parent(model, name)
    held = _of_organisation(parent.model, rest, parent.history_model.objects.all(), organisation_id)
    return queryset.filter(**{f"{column}__in": held.values("id").distinct()})


def _history_queryset(key: str, filters: AuditFilters):
    record = audit_registry.get(key)
    history = record.history_model
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
    if filters.request_id or filters.batch_id is not None:
        contexts = AuditContext.objects.filter(history_model=_label(history))
        if filters.request_id:
            contexts = contexts.filter(request_id=filters.request_id)
        if filters.batch_id is not None:
            contexts = contexts.filter(batch_id=filters.batch_id)
        queryset = queryset.filter(history_id__in=contexts.values("history_id"))
    if filters.organisation_id is not None:
        queryset = _of_organisation(record.model, record.organisation_path, queryset, filters.organisation_id)
    if filters.hide_confidential:
        queryset = _confidential_rows(record, queryset)
    return queryset.select_related("history_user").order_by("-history_date", "-history_id")


def _kinds(filters: AuditFilters) -> list[str]:
    known = audited_keys()
    kinds = [kind for kind in filters.kinds if kind in known] or known
    if filters.organisation_id is not None:
        kinds = [kind for kind in kinds if audit_registry.get(kind).organisation_path is not None]
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
    """A change as a caller without confidential access reads the record (its app's `redact`, e.g.
    oversight.permissions for episodes): the change's free-text reason withheld; a change that then
    shows nothing is left with no field rows."""
    redact = audit_registry.get(entry.kind).redact
    if redact is None:
        return entry
    changes = []
    for name, before, after in entry.changes:
        before = redact(name, before)
        after = redact(name, after)
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
                batch_id=context.batch_id if context else None,
            )
        )
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
