"""The admin is read-mostly: records change only through the services, and nobody grants more than they hold.

alice — oversight staff (staff, not a superuser): may manage accounts in the admin.
root  — a superuser.
carol — an analyst whose account alice edits.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client


@pytest.fixture
def as_alice(world):
    client = Client()
    client.force_login(world["alice"])
    return client


@pytest.fixture
def as_root(db):
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "root-password-1"))
    return client


def records(world):
    """Admin URL prefix and pk of one row of each model that changes only through the services."""
    from indicators.models import Indicator, Observation
    from trusts.models import SegmentAssignment

    own = world["records"]["own"]
    observation = Observation.objects.first() or Observation.objects.create(
        organisation=world["own_episode"].organisation,
        indicator=Indicator.objects.first(),
        period="2024-01-01",
        value=1.0,
    )
    return {
        "trusts/regimeepisode": world["own_episode"].pk,
        "trusts/exitcriterion": own["criterion"].pk,
        "trusts/diagnosticstocktake": own["stocktake"].pk,
        "trusts/episodenote": own["note"].pk,
        "trusts/supportfunding": own["funding"].pk,
        "trusts/segmentassignment": SegmentAssignment.objects.first().pk,
        "indicators/observation": observation.pk,
    }


@pytest.mark.parametrize("who", ["as_alice", "as_root"])
def test_records_are_shown_in_the_admin_but_never_added_changed_or_deleted(who, world, request):
    client = request.getfixturevalue(who)
    for prefix, pk in records(world).items():
        app, model = prefix.split("/")
        model_class = ContentType.objects.get(app_label=app, model=model).model_class()
        listing = client.get(f"/admin/{prefix}/")
        assert listing.status_code == 200, prefix
        assert "change them through the pages" in listing.content.decode(), prefix
        assert client.get(f"/admin/{prefix}/{pk}/change/").status_code == 200, prefix  # a read-only view
        assert client.get(f"/admin/{prefix}/add/").status_code == 403, prefix
        assert client.post(f"/admin/{prefix}/add/", {}).status_code == 403, prefix
        assert client.post(f"/admin/{prefix}/{pk}/change/", {}).status_code == 403, prefix
        assert client.post(f"/admin/{prefix}/{pk}/delete/", {"post": "yes"}).status_code == 403, prefix
        bulk = client.post(f"/admin/{prefix}/", {"action": "delete_selected", "_selected_action": [pk], "post": "yes"})
        assert bulk.status_code in (200, 302), prefix
        assert model_class.objects.filter(pk=pk).exists(), prefix


def user_form(user, **changes) -> dict:
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "groups": [group.pk for group in user.groups.all()],
        "user_permissions": [],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def secret_permission(db):
    """A permission that no role holds, so alice does not either."""
    from trusts.models import Regime

    return Permission.objects.create(
        codename="grant_test_secret",
        name="A right nobody holds",
        content_type=ContentType.objects.get_for_model(Regime),
    )


def test_an_oversight_user_cannot_make_a_superuser(as_alice, world):
    carol = world["carol"]
    response = as_alice.post(f"/admin/auth/user/{carol.pk}/change/", user_form(carol, is_superuser="on"))
    assert response.status_code == 302
    carol.refresh_from_db()
    assert not carol.is_superuser


def test_an_oversight_user_cannot_grant_a_permission_she_does_not_hold(as_alice, world, secret_permission):
    carol = world["carol"]
    response = as_alice.post(
        f"/admin/auth/user/{carol.pk}/change/", user_form(carol, user_permissions=[secret_permission.pk])
    )
    assert response.status_code == 200  # the form again, with the choice refused
    assert "Select a valid choice" in response.content.decode()
    assert not carol.user_permissions.filter(pk=secret_permission.pk).exists()


def test_an_oversight_user_cannot_give_a_group_with_rights_she_lacks(as_alice, world, secret_permission):
    carol = world["carol"]
    powerful = Group.objects.create(name="powerful")
    powerful.permissions.add(secret_permission)
    response = as_alice.post(f"/admin/auth/user/{carol.pk}/change/", user_form(carol, groups=[powerful.pk]))
    assert response.status_code == 200
    assert not carol.groups.filter(pk=powerful.pk).exists()
    # A role within her own rights she may give.
    analyst = Group.objects.get(name="analyst")
    assert (
        as_alice.post(f"/admin/auth/user/{carol.pk}/change/", user_form(carol, groups=[analyst.pk])).status_code == 302
    )


def test_an_oversight_user_cannot_change_a_superusers_account(as_alice, as_root):
    root = get_user_model().objects.get(username="root")
    response = as_alice.post(f"/admin/auth/user/{root.pk}/change/", user_form(root, is_active=None))
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.is_active and root.is_superuser


def test_a_superuser_may_grant_what_she_holds(as_root, world, secret_permission):
    carol = world["carol"]
    response = as_root.post(
        f"/admin/auth/user/{carol.pk}/change/", user_form(carol, user_permissions=[secret_permission.pk])
    )
    assert response.status_code == 302
    assert carol.user_permissions.filter(pk=secret_permission.pk).exists()
