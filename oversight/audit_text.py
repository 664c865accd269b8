"""The audit trail in words: each change as its field's label and display values, the raw value kept.

`groups: [] → ['3']` reads "Groups: none → Oversight"; a user id reads as the user's name, a
choice as its label, a date as a date, and an exit criterion's threshold in its indicator's
unit (4.9%, not 0.049). Related records are looked up in one query per related model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateformat import format as date_format

EMPTY = "–"
# Fields whose value is a number in the unit of the record's indicator.
INDICATOR_VALUE_FIELDS = {"threshold"}


@dataclass
class ChangeText:
    """One changed field: its label, the before and after as a person reads them, and the stored values."""

    field: str
    label: str
    before: str
    after: str
    before_raw: object
    after_raw: object

    @property
    def raw_differs(self) -> bool:
        return (self.before, self.after) != (_plain(self.before_raw), _plain(self.after_raw))


def _plain(value) -> str:
    return EMPTY if value in (None, "", []) else str(value)


def person_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _field(model, name: str):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _ids(value) -> list:
    if value in (None, ""):
        return []
    if isinstance(value, list | tuple | set):
        return [int(item) for item in value if str(item).isdigit()]
    return [int(value)] if str(value).isdigit() else []


def _as_date_text(value, with_time: bool) -> str | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if with_time else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return date_format(value, "j M Y H:i")
    if isinstance(value, date):
        return date_format(value, "j M Y")
    return None


def value_in_unit(value, kind: str) -> str:
    """A number in an indicator's unit: a proportion as a percentage (0.049 → 4.9%), others as they are."""
    if value is None or value == "":
        return EMPTY
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if kind == "proportion":
        return f"{number * 100:.2f}".rstrip("0").rstrip(".") + "%"
    if kind == "ratio":
        return f"{number:.3f}".rstrip("0").rstrip(".")
    return f"{number:g}"


def readable_changes(entries, model_for) -> None:
    """Give each audit entry `readable`: a ChangeText per change, related records resolved in bulk."""
    wanted: dict[type, set[int]] = defaultdict(set)
    indicator_ids: dict[type, set[int]] = defaultdict(set)  # by the indicator model each record refers to
    plans = []
    for entry in entries:
        model = model_for(entry.kind)
        fields = {name: _field(model, name) for name, _, _ in entry.changes}
        for name, before, after in entry.changes:
            field = fields[name]
            if field is not None and field.is_relation and field.related_model is not None:
                wanted[field.related_model].update(_ids(before) + _ids(after))
            indicator = _field(model, "indicator")
            if name in INDICATOR_VALUE_FIELDS and getattr(entry, "indicator_id", None) and indicator is not None:
                indicator_ids[indicator.related_model].add(entry.indicator_id)
        plans.append((entry, fields))
    found = {related: related._default_manager.in_bulk(list(ids)) for related, ids in wanted.items() if ids}
    # The indicator is reached through the record's own `indicator` field: the audit sits below the
    # app that defines indicators and does not import it.
    kinds = {}
    for indicator_model, ids in indicator_ids.items():
        kinds.update(indicator_model._default_manager.filter(pk__in=ids).values_list("pk", "kind"))

    def text(entry, name: str, field, value) -> str:
        if value in (None, "") or (field is not None and field.many_to_many and not value):
            return "none" if field is not None and field.many_to_many else EMPTY
        if field is None:
            return str(value)
        if field.is_relation and field.related_model is not None:
            objects = found.get(field.related_model, {})
            names = []
            for pk in _ids(value):
                obj = objects.get(pk)
                if obj is None:
                    names.append(f"#{pk} (no longer held)")
                elif hasattr(obj, "get_full_name"):
                    names.append(person_name(obj))
                else:
                    names.append(getattr(obj, "name", None) or str(obj))
            return ", ".join(names) or str(value)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.BooleanField):
            return "yes" if value in (True, "True", "true", 1) else "no"
        if isinstance(field, models.DateTimeField):
            return _as_date_text(value, with_time=True) or str(value)
        if isinstance(field, models.DateField):
            return _as_date_text(value, with_time=False) or str(value)
        if name in INDICATOR_VALUE_FIELDS and getattr(entry, "indicator_id", None) in kinds:
            return value_in_unit(value, kinds[entry.indicator_id])
        return str(value)

    for entry, fields in plans:
        entry.readable = []
        for name, before, after in entry.changes:
            field = fields[name]
            label = str(field.verbose_name) if field is not None else name.replace("_", " ")
            entry.readable.append(
                ChangeText(
                    field=name,
                    label=label[:1].upper() + label[1:],
                    before=text(entry, name, field, before),
                    after=text(entry, name, field, after),
                    before_raw=before,
                    after_raw=after,
                )
            )
