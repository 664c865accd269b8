"""A caller's X-Request-ID reaches the audit trail only when it is a plain token; otherwise one is generated."""

import re

import pytest

from oversight.audit import AuditFilters, audit_page
from oversight.middleware import request_id_from
from tests.api.world import bearer

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize("good", ["req-api-0001", "a", "A.b_c-9", "x" * 64])
def test_a_well_formed_request_id_is_kept(good):
    assert request_id_from(good) == good


@pytest.mark.parametrize(
    "bad",
    ["", "x" * 65, "has space", "=HYPERLINK(1)", "<script>", "tab\there", "naïve", "semi;colon", "new\nline"],
)
def test_anything_else_is_replaced_by_a_generated_id(bad):
    assert GENERATED.fullmatch(request_id_from(bad))


def test_an_api_edit_with_a_hostile_request_id_is_audited_under_a_generated_one(client, tokens, world):
    funding = world["records"]["own"]["funding"]
    hostile = '=HYPERLINK("http://evil.example") ' + "x" * 80
    response = client.patch(
        f"/api/v1/funding/{funding.pk}/",
        {"spent": "2600.00", "version": 1, "change_reason": "Q2 invoices"},
        content_type="application/json",
        HTTP_X_REQUEST_ID=hostile,
        **bearer(tokens["write_bob"]),
    )
    assert response.status_code == 200
    generated = response["X-Request-ID"]
    assert GENERATED.fullmatch(generated)
    entry = next(
        entry
        for entry in audit_page(AuditFilters(kinds=["funding"]), offset=0, limit=100)
        if entry.object_id == funding.pk
    )
    assert entry.request_id == generated
