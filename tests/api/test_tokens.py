"""API tokens: stored hashed, shown once, revocable, scoped, with their last use recorded."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from oversight.models import ApiToken, hash_token_key
from tests.api.world import bearer, issue_token, patch_criterion


def test_it_stores_only_the_hash_and_a_prefix(world):
    key = issue_token(world["alice"], "read")
    token = ApiToken.objects.get()
    assert token.key_hash == hash_token_key(key) != key
    assert token.prefix == key[:8]
    assert key not in str(ApiToken.objects.values().get())


def test_issue_token_prints_the_key_once_and_it_works(client, world):
    out = io.StringIO()
    call_command("issue_token", "carol", "--scope", "read", "--name", "dashboard", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert ApiToken.objects.get().name == "dashboard"
    assert client.get("/api/v1/ping/", **bearer(key)).json() == {"ok": True}


def test_it_accepts_the_token_keyword_too(client, tokens):
    response = client.get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Token {tokens['read']}")
    assert response.status_code == 200


def test_it_refuses_a_confidential_token_to_a_user_without_confidential_access(world):
    with pytest.raises(CommandError, match="may not see confidential"):
        call_command("issue_token", "carol", "--scope", "confidential", stdout=io.StringIO())


def test_a_revoked_token_is_refused(client, tokens):
    out = io.StringIO()
    call_command("revoke_token", tokens["read"][:8], stdout=out)
    assert "revoked" in out.getvalue()
    response = client.get("/api/v1/ping/", **bearer(tokens["read"]))
    assert response.status_code == 401
    assert response.json() == {"detail": "This token has been revoked.", "errors": {}}


def test_an_expired_token_is_refused(client, tokens):
    ApiToken.objects.filter(prefix=tokens["read"][:8]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/ping/", **bearer(tokens["read"])).status_code == 401


def test_an_unknown_token_is_refused_with_a_bearer_challenge(client, db):
    response = client.get("/api/v1/ping/", **bearer("not-a-real-token"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_records_the_last_use_at_most_once_a_minute(client, tokens):
    token = ApiToken.objects.get(prefix=tokens["read"][:8])
    assert token.last_used_at is None
    client.get("/api/v1/ping/", **bearer(tokens["read"]))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/ping/", **bearer(tokens["read"]))
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get("/api/v1/ping/", **bearer(tokens["read"]))
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=2)


def test_a_token_of_an_inactive_user_is_refused(client, tokens, world):
    world["alice"].is_active = False
    world["alice"].save()
    assert client.get("/api/v1/ping/", **bearer(tokens["read"])).status_code == 401


def test_a_read_token_cannot_write_even_for_oversight_staff(client, tokens, world):
    response = patch_criterion(client, world["records"]["own"]["criterion"], tokens["read"])
    # A read token does not see episode records at all, so the criterion is not there for it.
    assert response.status_code == 404


def test_a_confidential_token_cannot_write(client, tokens, world):
    response = patch_criterion(client, world["records"]["own"]["criterion"], tokens["confidential"])
    assert response.status_code == 403


def test_the_api_needs_authentication(client, db):
    response = client.get("/api/v1/segments/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Authentication credentials were not provided."


def test_a_signed_in_browser_can_use_the_api_and_its_docs(client, world):
    client.force_login(world["carol"])
    assert client.get("/api/v1/segments/").status_code == 200
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
