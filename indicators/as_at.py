"""An 'as at' date (issue 15): the board and trust page, and `manage.py recompute --as-at`, read one the same way."""

from __future__ import annotations

from datetime import date


class AsAtError(ValueError):
    """An as-at date that cannot be used; the message says why, in words a person can act on."""


def parse_as_at(text: str, *, today: date | None = None) -> date:
    """A YYYY-MM-DD date on or before today; AsAtError naming the value otherwise (never a 500)."""
    today = today or date.today()
    text = (text or "").strip()
    try:
        value = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        value = None
    if value is None:
        raise AsAtError(f"'{text[:40]}' is not a date: give the 'as at' date as YYYY-MM-DD, e.g. 2025-03-31.")
    if value > today:
        raise AsAtError(
            f"{value.isoformat()} is in the future: an 'as at' date must be on or before today ({today.isoformat()})."
        )
    return value
