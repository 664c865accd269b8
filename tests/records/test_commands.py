"""Operator commands: add_user, issue_token, revoke_token; and tokens issued in the admin."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from oversight import permissions
from oversight.models import ApiToken, hash_token_key


def test_add_user_creates_a_director_with_trusts_and_a_password_from_stdin(world, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-enough-password\n"))
    out = io.StringIO()
    call_command("add_user", "dave", "--role", "director", "--trust", "RZ9", "--password-stdin", stdout=out)
    dave = get_user_model().objects.get(username="dave")
    assert out.getvalue().strip() == "dave: director, assigned RZ9"
    assert permissions.role_of(dave) == "director"
    assert permissions.assigned_organisation_ids(dave) == {world["other_episode"].organisation_id}
    assert dave.check_password("a-long-enough-password")
    assert not dave.is_staff


def test_add_user_refuses_an_unknown_trust(world):
    with pytest.raises(CommandError, match="no organisation has the ODS code NOPE"):
        call_command("add_user", "erin", "--role", "director", "--trust", "NOPE", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="erin").exists()


def test_add_user_gives_oversight_staff_the_admin(world):
    call_command("add_user", "frank", "--role", "oversight", stdout=io.StringIO())
    frank = get_user_model().objects.get(username="frank")
    assert frank.is_staff and permissions.is_oversight(frank)


def test_revoke_token_refuses_an_unknown_prefix(world):
    with pytest.raises(CommandError, match="no active token"):
        call_command("revoke_token", "zzzzzzzz", stdout=io.StringIO())


def test_a_token_added_in_the_admin_is_shown_once_and_stored_hashed(world):
    alice = Client()
    alice.force_login(world["alice"])
    response = alice.post(
        "/admin/oversight/apitoken/add/",
        {"user": world["carol"].pk, "name": "from the admin", "scope": "read"},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(name="from the admin")
    message = next(str(m) for m in response.context["messages"] if "copy it now" in str(m))
    key = message.split(" is ")[1].split(" ")[0]
    assert token.key_hash == hash_token_key(key)
    listing = alice.get("/admin/oversight/apitoken/").content.decode()
    assert token.prefix in listing and key not in listing


def test_an_analyst_granted_confidential_access_sees_the_cp_watch_list(world, client):
    from django.contrib.auth.models import Permission

    carol = world["carol"]
    carol.user_permissions.add(Permission.objects.get(codename="view_confidential"))
    client.force_login(carol)
    episodes = client.get("/api/v1/episodes/").json()["results"]
    assert "RW8" in {row["organisation"] for row in episodes}
    call_command("issue_token", "carol", "--scope", "confidential", stdout=io.StringIO(), stderr=io.StringIO())
