"""My API tokens in the browser, the navigation that leads there, and 403/404 pages inside the layout."""

import re

import pytest
from django.urls import reverse

from oversight.models import ApiToken
from oversight.tokens import TokenRefused, token_issue

pytestmark = pytest.mark.django_db


def test_a_user_creates_a_token_and_sees_its_key_once(carol, login):
    client = login(carol)
    response = client.post(reverse("tokens"), {"name": "ICB dashboard", "scope": "read", "expires": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = re.search(r'id="new-token-key"[^>]*value="([^"]+)"', response.content.decode()).group(1)
    token = ApiToken.objects.get(user=carol)
    assert token.name == "ICB dashboard" and token.scope == "read" and token.expires_at is not None
    assert key.startswith(token.prefix)
    # The key works against the API, and is never shown again.
    assert client.get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert key not in client.get(reverse("tokens")).content.decode()
    # The change is in the audit history.
    assert token.history.filter(history_type="+").exists()


def test_the_scopes_offered_never_reach_beyond_the_users_rights(carol, alice, login):
    carol_page = login(carol).get(reverse("tokens")).content.decode()
    assert 'value="confidential"' not in carol_page  # carol (analyst) has no confidential access
    assert 'value="read"' in carol_page and 'value="write"' in carol_page
    assert 'value="confidential"' in login(alice).get(reverse("tokens")).content.decode()


def test_a_forged_scope_beyond_the_users_rights_is_refused_with_a_400_naming_the_field(carol, login):
    response = login(carol).post(reverse("tokens"), {"name": "sneaky", "scope": "confidential"})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode() and "Scope" in response.content.decode()
    assert not ApiToken.objects.filter(user=carol).exists()
    with pytest.raises(TokenRefused, match="scope"):
        token_issue(user=carol, scope="confidential")


def test_a_name_is_required(carol, login):
    response = login(carol).post(reverse("tokens"), {"name": "", "scope": "read"})
    assert response.status_code == 400
    assert 'href="#id_name"' in response.content.decode()


def test_a_user_revokes_their_own_token_but_not_anyone_elses(carol, alice, login):
    mine, key = token_issue(user=carol, scope="read", name="mine")
    theirs, _ = token_issue(user=alice, scope="read", name="theirs")
    client = login(carol)
    assert client.post(reverse("token-revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    response = client.post(reverse("token-revoke", args=[mine.pk]))
    assert response.status_code == 200 and "is revoked" in response.content.decode()
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert client.get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code in (401, 403)


def test_a_token_cannot_open_the_token_page(carol, client):
    _, key = token_issue(user=carol, scope="write", name="w")
    assert client.get(reverse("tokens"), HTTP_AUTHORIZATION=f"Bearer {key}").status_code in (302, 403)


def test_the_navigation_offers_audit_and_api_docs_to_those_allowed(world, alice, carol, login):
    alice_nav = login(alice).get("/").content.decode()
    carol_nav = login(carol).get("/").content.decode()
    assert 'href="/audit/"' in alice_nav and 'href="/audit/"' not in carol_nav
    for nav in (alice_nav, carol_nav):
        assert 'href="/api/v1/docs/"' in nav and 'href="/account/tokens/"' in nav


def test_403_and_404_pages_sit_inside_the_layout_and_say_what_to_do_instead(world, carol, login):
    client = login(carol)
    forbidden = client.get("/audit/")
    assert forbidden.status_code == 403
    html = forbidden.content.decode()
    assert '<nav aria-label="Main">' in html and "What you can do instead" in html
    assert "The audit trail is for oversight staff." in html
    missing = client.get("/trusts/NOPE9/")
    assert missing.status_code == 404
    html = missing.content.decode()
    assert '<nav aria-label="Main">' in html and "Find an organisation" in html


def test_pages_speak_plain_words_not_the_codes_column_names(world, carol, login):
    client = login(carol)
    code = world.orgs[0].ods_code
    trust = client.get(f"/trusts/{code}/").content.decode()
    assert "z_adj" not in trust and "prais_winsten" not in trust
    assert "adjusted z-score (positive = worse than England)" in trust
    # Method names, ρ and Durbin–Watson only inside the fold, each with a one-line meaning.
    fold = trust.split('<details class="how-computed">', 1)
    assert len(fold) == 2 and "Durbin–Watson" not in fold[0] and "ρ" not in fold[0]
    assert "How this was computed" in fold[1]
    assert "z_adj" not in client.get("/indicators/ed_4hr/").content.decode()


def test_the_glossary_and_the_methods_page_explain_each_method_with_a_reference(world, carol, login):
    client = login(carol)
    glossary = client.get("/glossary/").content.decode()
    assert "Adjusted z-score" in glossary and "Durbin–Watson" in glossary
    about = client.get("/about/").content.decode()
    for method, reference in [
        ("Adjusted z-score of a proportion", "Spiegelhalter"),
        ("Change since entry", "Prais"),
        ("Pooling across trusts", "DerSimonian"),
        ("Statistical process control", "Making Data Count"),
        ("Early warning", "Page E. S."),
        ("Time in regime", "Kaplan"),
    ]:
        assert method in about and reference in about, method
