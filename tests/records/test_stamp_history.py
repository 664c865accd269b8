"""oversight.audit.stamp_history: who and why on the next history row, as each caller stores an empty reason."""

from types import SimpleNamespace

import pytest

from oversight.audit import HISTORY_REASON_LENGTH, stamp_history
from trusts.models import RegimeEpisode


@pytest.mark.parametrize(
    ("reason", "blank_reason", "audit", "history"),
    [
        ("Agreed at panel", None, "Agreed at panel", "Agreed at panel"),
        ("", None, "", None),  # trusts: an empty reason is NULL in the history table
        (None, None, "", None),
        ("", "", "", ""),  # actions: an empty reason is kept as ""
    ],
)
def test_stamp_sets_actor_and_reason(reason, blank_reason, audit, history):
    record, actor = SimpleNamespace(), object()
    stamp_history(record, actor=actor, reason=reason, blank_reason=blank_reason)
    assert record._history_user is actor
    assert (record._audit_reason, record._change_reason) == (audit, history)


def test_long_reason_is_cut_for_the_history_and_kept_whole_for_the_audit():
    reason = "x" * 99 + "yz"
    record = SimpleNamespace()
    stamp_history(record, actor=None, reason=reason)
    column = RegimeEpisode.history.model._meta.get_field("history_change_reason")
    assert HISTORY_REASON_LENGTH == column.max_length == 100
    assert record._change_reason == "x" * 99 + "y"
    assert record._audit_reason == reason
