"""Which records are audited, declared by the app that owns them.

The audit engine sits in `oversight`, below the apps whose records it reads, so it never imports
them: each app calls `register` for its own audited models in its AppConfig.ready(), saying how a
record belongs to an organisation and when it is confidential. The engine, the audit pages and the
audit in words read this registry and nothing else.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q


@dataclass(frozen=True)
class AuditedRecord:
    """One audited model: the key used in filters and URLs, and how its history is scoped.

    `organisation_path` is a lookup on the model's history rows to the organisation's id: a field
    ("organisation_id", or "id" for the organisation itself), or a hop through a field to another
    audited record ("episode__organisation_id": the episode's history, deleted episodes included).
    None: the record belongs to no organisation.

    `confidential` says which history rows a caller without confidential access never sees:
    False (none of them), True (all of them), a Q on the history rows (those that match), or the
    name of a field to another audited record whose confidentiality the row shares ("episode").

    `redact(field, value)` is how such a caller reads a field of a row that is shown; a record with
    one also has its change's free-text reason withheld.
    """

    key: str
    model: type
    organisation_path: str | None
    confidential: bool | Q | str
    redact: Callable[[str, object], object] | None = None

    @property
    def history_model(self):
        return self.model.history.model


_records: dict[str, AuditedRecord] = {}
_import_batch_models: list[type] = []


def register(
    model,
    *,
    key: str,
    organisation_path: str | None = None,
    confidential: bool | Q | str = True,
    redact: Callable[[str, object], object] | None = None,
) -> AuditedRecord:
    """Audit `model` under `key`; called again for the same model (ready() run twice), it changes nothing."""
    if not hasattr(model, "history"):
        raise ImproperlyConfigured(f"{model._meta.label} has no history (simple_history) to audit.")
    held = _records.get(key)
    if held is not None and held.model is not model:
        raise ImproperlyConfigured(f"The audit key {key!r} is already {held.model._meta.label}.")
    record = AuditedRecord(key, model, organisation_path, confidential, redact)
    _records[key] = record
    return record


def register_import_batches(model) -> None:
    """The model whose rows are import batches: each finished one carries the context of its import."""
    if model not in _import_batch_models:
        _import_batch_models.append(model)


def keys() -> list[str]:
    return list(_records)


def get(key: str) -> AuditedRecord:
    return _records[key]


def for_model(model) -> AuditedRecord | None:
    """The audited record of a model (or of its history model), if it is audited."""
    for record in _records.values():
        if record.model is model or record.history_model is model:
            return record
    return None


def organisation_model():
    """The audited model that is the organisation itself (its `organisation_path` is its own id)."""
    for record in _records.values():
        if record.organisation_path == "id":
            return record.model
    raise ImproperlyConfigured("No audited model is registered as the organisation (organisation_path='id').")


def import_batch_labels() -> list[str]:
    return [model._meta.label_lower for model in _import_batch_models]
