"""The audit trail: every kind of change (form, admin, API, import, command) with who, why and the request id."""

import csv
import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from oversight.audit import AuditFilters, audit_page, audit_scope
from tests.api.world import CP_REASON_MARKER, bearer


def entries(**filters):
    return audit_page(AuditFilters(**filters), offset=0, limit=100)


def newest(kind, object_id):
    return next(entry for entry in entries(kinds=[kind]) if entry.object_id == object_id)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_form_edit_is_recorded_with_user_reason_request_id_and_diff(world):
    stocktake = world["records"]["own"]["stocktake"]
    response = signed_in(world["bob"]).post(
        reverse("episode-stocktake-edit", args=[world["own_episode"].pk]),
        {
            "version": 1,
            "root_causes": "Board instability",
            "leadership_direction": "unknown",
            "leadership_alignment": "unknown",
            "leadership_commitment": "unknown",
            "reason": "After the diagnostic visit",
        },
        HTTP_X_REQUEST_ID="req-form-0001",
    )
    assert response.status_code == 302
    entry = newest("stocktake", stocktake.pk)
    assert (entry.user, entry.change, entry.reason) == ("bob", "changed", "After the diagnostic visit")
    assert (entry.request_id, entry.channel) == ("req-form-0001", "form")
    assert ("root_causes", "root causes at RB1", "Board instability") in entry.changes


def test_an_admin_edit_is_recorded(world):
    organisation = world["own_episode"].organisation
    response = signed_in(world["alice"]).post(
        f"/admin/trusts/organisation/{organisation.pk}/change/",
        {
            "ods_code": "RB1",
            "name": "Bob One NHS Foundation Trust",
            "kind": "acute",
            "region": "Y56",
            "foundation_trust": "on",
            "verified": "on",
        },
        HTTP_X_REQUEST_ID="req-admin-0001",
    )
    assert response.status_code == 302, response.content[:2000]
    entry = newest("organisation", organisation.pk)
    assert (entry.user, entry.channel, entry.request_id) == ("alice", "admin", "req-admin-0001")
    assert entry.reason == "Changed in the admin"
    assert ("name", "Bob One Trust", "Bob One NHS Foundation Trust") in entry.changes


def test_an_admin_delete_is_recorded(world):
    # Issue 8 made segments read only in the admin, so the delete recorded here is of an ID assignment.
    from trusts.models import ImprovementDirectorAssignment, SegmentAssignment

    segment = world["hidden_segment"]
    refused = signed_in(world["alice"]).post(f"/admin/trusts/segmentassignment/{segment.pk}/delete/", {"post": "yes"})
    assert refused.status_code == 403
    assert SegmentAssignment.objects.filter(pk=segment.pk).exists()
    assignment = ImprovementDirectorAssignment.objects.filter(user=world["bob"]).first()
    response = signed_in(world["alice"]).post(
        f"/admin/trusts/improvementdirectorassignment/{assignment.pk}/delete/",
        {"post": "yes"},
        HTTP_X_REQUEST_ID="req-admin-0002",
    )
    assert response.status_code == 302
    entry = newest("assignment", assignment.pk)
    assert (entry.change, entry.user, entry.request_id) == ("deleted", "alice", "req-admin-0002")


def test_an_api_edit_is_recorded(client, tokens, world):
    funding = world["records"]["own"]["funding"]
    response = client.patch(
        f"/api/v1/funding/{funding.pk}/",
        {"spent": "2500.00", "version": 1, "change_reason": "Q1 invoices"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-api-0001",
        **bearer(tokens["write_bob"]),
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-api-0001"
    entry = newest("funding", funding.pk)
    assert (entry.user, entry.reason, entry.request_id, entry.channel) == ("bob", "Q1 invoices", "req-api-0001", "api")
    assert any(field == "spent" for field, _, _ in entry.changes)


def test_an_import_of_episodes_is_recorded(world, tmp_path):
    from ingest.importers import import_file

    path = tmp_path / "episodes.csv"
    path.write_text("org_code,regime,entered,exited,reason\nRB2,NOF4,2023-01-01,,Segment 4 from January\n")
    with audit_scope(channel="import", request_id="req-import-0001"):
        import_file("episodes", path, user=world["alice"])
    episode = world["own_episode"].__class__.objects.get(organisation__ods_code="RB2")
    entry = newest("episode", episode.pk)
    assert (entry.change, entry.user) == ("created", "alice")
    # Issue 8: entries bypass four eyes only as a historical bulk load, and the audit says which batch.
    from indicators.models import ImportBatch

    batch = ImportBatch.objects.get(file_name="episodes.csv")
    assert entry.reason == f"Imported from episodes.csv (historical import, batch {batch.pk})"
    assert (entry.request_id, entry.channel) == ("req-import-0001", "import")


def test_an_import_from_the_command_line_gets_a_request_id_of_its_own(world, tmp_path):
    path = tmp_path / "episodes.csv"
    path.write_text("org_code,regime,entered,exited\nRB2,NOF4,2023-01-01,\n")
    call_command("import_episodes", str(path), "--quiet", stdout=io.StringIO())
    episode = world["own_episode"].__class__.objects.get(organisation__ods_code="RB2")
    entry = newest("episode", episode.pk)
    assert entry.request_id.startswith("import-batch-")


def test_user_changes_are_recorded(world):
    call_command("add_user", "dave", "--role", "director", "--trust", "RZ9", stdout=io.StringIO())
    from django.contrib.auth import get_user_model

    dave = get_user_model().objects.get(username="dave")
    created = [entry for entry in entries(kinds=["user"]) if entry.object_id == dave.pk]
    assert created and created[-1].change == "created"
    assert all(entry.channel == "command" and entry.request_id.startswith("command-") for entry in created)
    assert any(entry.reason == "Given the director role" for entry in created)
    assignment = newest("assignment", dave.id_assignments.get().pk)
    assert assignment.reason == "dave assigned as improvement director"


def test_closing_an_episode_records_the_reason(client, tokens, world):
    episode = world["own_episode"]
    client.post(
        f"/api/v1/episodes/{episode.pk}/propose-exit/",
        {"exit_date": "2021-01-01", "version": 1},
        content_type="application/json",
        **bearer(tokens["write_bob"]),
    )
    client.post(
        f"/api/v1/episodes/{episode.pk}/approve-exit/",
        {"version": 2, "change_reason": "Rated requires improvement; criteria met"},
        content_type="application/json",
        **bearer(tokens["write_alice"]),
    )
    entry = newest("episode", episode.pk)
    assert entry.reason == "Rated requires improvement; criteria met"
    assert ("exited", None, "2021-01-01") in [(f, b, str(a) if a else a) for f, b, a in entry.changes]


def test_a_reason_longer_than_the_history_column_is_kept_whole(client, tokens, world):
    stocktake = world["records"]["own"]["stocktake"]
    long_reason = "Rewritten after the second diagnostic visit. " * 6
    client.patch(
        f"/api/v1/stocktakes/{stocktake.pk}/",
        {"root_causes": "x", "version": 1, "change_reason": long_reason},
        content_type="application/json",
        **bearer(tokens["write_bob"]),
    )
    assert newest("stocktake", stocktake.pk).reason == long_reason.strip()


@pytest.mark.parametrize("user", ["bob", "carol"])
def test_the_audit_trail_is_for_oversight_staff_only(world, user):
    assert signed_in(world[user]).get(reverse("audit")).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(reverse("audit"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_oversight_staff_see_filter_and_export_the_trail(world, tokens, client):
    stocktake = world["records"]["own"]["stocktake"]
    client.patch(
        f"/api/v1/stocktakes/{stocktake.pk}/",
        {"root_causes": "exported change", "version": 1, "change_reason": "for the export"},
        content_type="application/json",
        HTTP_X_REQUEST_ID="req-export-1",
        **bearer(tokens["write_bob"]),
    )
    alice = signed_in(world["alice"])
    page = alice.get(reverse("audit"), {"model": "stocktake", "user": "bob"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "exported change" in text and "req-export-1" in text
    export = alice.get(reverse("audit"), {"request_id": "req-export-1", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    root = next(row for row in rows if row["field"] == "root_causes")
    assert (root["before"], root["after"], root["user"], root["reason"]) == (
        "root causes at RB1",
        "exported change",
        "bob",
        "for the export",
    )


def test_the_trail_cannot_be_changed_through_the_app(world):
    alice = signed_in(world["alice"])
    assert alice.post(reverse("audit")).status_code == 405
    assert alice.delete(reverse("audit")).status_code == 405
    assert alice.post(reverse("audit-organisation", args=["RB1"])).status_code == 405
    assert alice.get("/admin/oversight/auditcontext/add/").status_code == 403


def test_the_organisation_timeline_shows_its_records_only(world, tokens, client):
    alice = signed_in(world["alice"])
    page = alice.get(reverse("audit-organisation", args=["RB1"])).content.decode()
    assert "Board governance at RB1 reviewed" in page
    assert "Board governance at RZ9 reviewed" not in page


def test_the_timeline_hides_confidential_records_from_those_who_may_not_see_them(world):
    carol = signed_in(world["carol"])
    response = carol.get(reverse("audit-organisation", args=["RW8"]))
    assert response.status_code == 200
    assert CP_REASON_MARKER not in response.content.decode()
    alice = signed_in(world["alice"])
    assert CP_REASON_MARKER in alice.get(reverse("audit-organisation", args=["RW8"])).content.decode()


def test_a_director_sees_his_trusts_timeline_but_not_anothers(world):
    bob = signed_in(world["bob"])
    assert bob.get(reverse("audit-organisation", args=["RB1"])).status_code == 200
    assert bob.get(reverse("audit-organisation", args=["RZ9"])).status_code == 403
