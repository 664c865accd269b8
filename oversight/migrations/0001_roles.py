"""Create the three role groups with their model permissions (server-side checks live in oversight.permissions)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "oversight": "all",
    "director": [
        "trusts.view_organisation", "trusts.view_regimeepisode", "trusts.view_segmentassignment",
        "trusts.change_diagnosticstocktake", "trusts.add_diagnosticstocktake", "trusts.view_diagnosticstocktake",
        "trusts.add_exitcriterion", "trusts.change_exitcriterion", "trusts.view_exitcriterion",
        "trusts.change_supportfunding", "trusts.view_supportfunding", "trusts.add_episodenote",
        "trusts.view_episodenote", "indicators.view_indicator", "indicators.view_observation",
    ],
    "analyst": [
        "trusts.view_organisation", "trusts.view_regimeepisode", "trusts.view_segmentassignment",
        "trusts.view_diagnosticstocktake", "trusts.view_exitcriterion", "trusts.view_supportfunding",
        "trusts.view_episodenote", "indicators.view_indicator", "indicators.view_observation",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps)


def ensure_roles(apps):
    """Create or update the role groups and their permissions (also used by tests after a flush)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        if perms == "all":
            chosen = Permission.objects.filter(content_type__app_label__in=["trusts", "indicators"])
        else:
            chosen = [
                Permission.objects.get(content_type__app_label=label.split(".")[0], codename=label.split(".")[1])
                for label in perms
            ]
        group.permissions.set(chosen)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("trusts", "0002_seed_regimes"),
        ("indicators", "0002_initial"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
