"""State-changing operations on organisations, episodes and users (HackSoft style: `<entity>_<action>`)."""

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from .models import ImprovementDirectorAssignment, Organisation

ROLES = ("oversight", "director", "analyst")


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    password: str | None = None,
    trusts: list[Organisation] | None = None,
    assigned_from: date | None = None,
    email: str = "",
):
    """Create (or update) a user in exactly one role group; directors get their trusts assigned."""
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}")
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(username=username, defaults={"email": email})
    if password:
        user.set_password(password)
    user.is_staff = role == "oversight"  # oversight staff may use the admin
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    for organisation in trusts or []:
        ImprovementDirectorAssignment.objects.get_or_create(
            user=user, organisation=organisation, date_to=None, defaults={"date_from": assigned_from or date.today()}
        )
    return user
