"""Seed the regime taxonomy (domain.md): a later regime is a new row, not a code change."""

from datetime import date

from django.db import migrations

REGIMES = [
    # code, name, valid_from, valid_to, exit target (months), confidential, description
    ("SMQ", "Special Measures for Quality", date(2013, 7, 1), date(2021, 6, 30), 24, False,
     "Entry on CQC recommendation, typically inadequate for well-led plus one other domain."),
    ("CP", "Challenged provider (watch list)", date(2015, 7, 1), date(2021, 6, 30), 12, True,
     "Trusts at risk of SMQ; confidential."),
    ("SMF", "Special Measures for Finance", date(2016, 7, 1), date(2021, 6, 30), None, False,
     "Financial special measures."),
    ("QSM", "Quality Special Measures", date(2019, 4, 1), date(2021, 6, 30), 24, False,
     "The later name of SMQ; trusts moved from QSM into the Recovery Support Programme."),
    ("FSM", "Financial Special Measures", date(2019, 4, 1), date(2021, 6, 30), None, False,
     "The later name of SMF."),
    ("NOF4", "NOF segment 4 / Recovery Support Programme", date(2021, 7, 1), None, None, False,
     "Segment 4 of the NHS Oversight Framework triggers the Recovery Support Programme."),
]


def seed(apps, schema_editor):
    Regime = apps.get_model("trusts", "Regime")
    for code, name, valid_from, valid_to, target, confidential, description in REGIMES:
        Regime.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "exit_target_months": target,
                "confidential": confidential,
                "description": description,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("trusts", "Regime").objects.filter(code__in=[r[0] for r in REGIMES]).delete()


class Migration(migrations.Migration):
    dependencies = [("trusts", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
