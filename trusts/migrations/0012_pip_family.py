"""The Provider Improvement Programme (segment 5's intensive support, NOF 2025/26) is recovery support:
it follows the Recovery Support Programme in one programme history (SMQ, CP, RSP/NOF4, PIP)."""

from django.db import migrations

FAMILIES = {"PIP": "recovery_support"}


def classify(apps, schema_editor):
    Regime = apps.get_model("trusts", "Regime")
    for code, family in FAMILIES.items():
        Regime.objects.filter(code=code, family="").update(family=family)


class Migration(migrations.Migration):
    dependencies = [("trusts", "0011_merge_20261202_0549")]
    operations = [migrations.RunPython(classify, migrations.RunPython.noop)]
