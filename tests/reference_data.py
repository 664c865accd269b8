"""Reference rows that data migrations create and a transactional test's flush removes."""


def ensure_reference_data() -> None:
    """Re-create the data migrations' regimes and role groups if a flush removed them."""
    import importlib

    from django.apps import apps as django_apps
    from django.contrib.auth.models import Group

    from trusts.models import Regime

    if not Regime.objects.exists():
        importlib.import_module("trusts.migrations.0002_seed_regimes").seed(django_apps, None)
        # The seeded regimes' families came in a later migration (the taxonomy as data, issue 16).
        families = importlib.import_module("trusts.migrations.0004_regime_family_sector_route").FAMILIES
        for code, family in families.items():
            Regime.objects.filter(code=code).update(family=family)
    from trusts.models import FrameworkVersion

    if not FrameworkVersion.objects.exists():
        importlib.import_module("trusts.migrations.0005_seed_framework_versions_and_pip").seed(django_apps, None)
    if not Group.objects.exists():
        importlib.import_module("oversight.migrations.0001_roles").ensure_roles(django_apps)
