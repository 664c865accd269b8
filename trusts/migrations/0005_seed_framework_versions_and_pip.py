"""Seed the three NHS Oversight Framework editions and the Provider Improvement Programme regime.

A later edition is a new row here (or in the admin), not a code change. Every segment held before
versions existed was given under the 2021/22 framework, so it is put in nof-2021.
"""

from datetime import date

from django.db import migrations

DOMAINS_2025 = [
    {"code": "access", "name": "Access to services"},
    {"code": "effectiveness_experience", "name": "Effectiveness and experience of care"},
    {"code": "finance_productivity", "name": "Finance and productivity"},
    {"code": "patient_safety", "name": "Patient safety"},
    {"code": "people_workforce", "name": "People and workforce"},
]
CATEGORIES_2025 = ["acute", "non_acute", "ambulance"]

VERSIONS = [
    {
        "code": "nof-2021",
        "name": "NHS System Oversight Framework 2021/22",
        "effective_from": date(2021, 7, 1),
        "effective_to": date(2025, 3, 31),
        "segment_meanings": {
            "1": "No specific support needs",
            "2": "Flexible support",
            "3": "Bespoke mandated support",
            "4": "Intensive mandated support through the Recovery Support Programme (RSP)",
        },
        "domains": [
            {"code": "quality_access_outcomes", "name": "Quality of care, access and outcomes"},
            {"code": "preventing_ill_health", "name": "Preventing ill health and reducing inequalities"},
            {"code": "people", "name": "People"},
            {"code": "finance_use_of_resources", "name": "Finance and use of resources"},
            {"code": "leadership_capability", "name": "Leadership and capability"},
            {"code": "local_priorities", "name": "Local strategic priorities"},
        ],
        "categories": [],
        "boundary_rule": "judgement",
        "rule_parameters": {},
        "notes": "Segments were a judgement on the themes' evidence; there is no arithmetic rule to recompute.",
    },
    {
        "code": "nof-2025-26",
        "name": "NHS Oversight Framework 2025/26",
        "effective_from": date(2025, 4, 1),
        "effective_to": date(2026, 3, 31),
        "segment_meanings": {
            "1": "High performing: the best quartile of its category",
            "2": "Good performance: the second quartile",
            "3": "Some significant issues: the third quartile, or better but in financial deficit",
            "4": "Serious issues: the worst quartile",
            "5": "Intensive support through the Provider Improvement Programme (PIP): a judgement overlay on 4",
        },
        "domains": DOMAINS_2025,
        "categories": CATEGORIES_2025,
        "boundary_rule": "quartile_within_category",
        "rule_parameters": {"deficit_cap": 3, "judgement_segments": [5]},
        "notes": (
            "Metrics scored 1.00 (best) – 4.00 (worst), averaged per domain and overall; trusts of one category "
            "split into segments 1–4 by quartile of average score; a trust in deficit no better than 3; "
            "segment 5 is decided, not computed."
        ),
    },
    {
        "code": "nof-2026-27",
        "name": "NHS Oversight Framework 2026/27",
        "effective_from": date(2026, 4, 1),
        "effective_to": None,
        "segment_meanings": {
            "1": "High performing",
            "2": "Good performance",
            "3": "Some significant issues",
            "4": "Serious issues",
        },
        "domains": DOMAINS_2025,
        "categories": CATEGORIES_2025,
        "boundary_rule": "fixed_thresholds",
        "rule_parameters": {"thresholds": [2.1, 2.4, 2.7], "deficit_cap": 3, "provisional": True},
        "notes": (
            "Fixed thresholds of average score instead of quartiles. PROVISIONAL: the thresholds are "
            "placeholders near the 2025/26 acute boundaries until NHS England publishes the 2026/27 values; "
            "change them here or in the admin, not in code."
        ),
    },
]

PIP = {
    "code": "PIP",
    "name": "Provider Improvement Programme (NOF segment 5)",
    "valid_from": date(2025, 4, 1),
    "valid_to": None,
    "exit_target_months": None,
    "confidential": False,
    "description": (
        "Segment 5 of the NHS Oversight Framework 2025/26: intensive support through the Provider "
        "Improvement Programme, a judgement overlay on segment 4 (successor of the Recovery Support Programme)."
    ),
}


def seed(apps, schema_editor):
    FrameworkVersion = apps.get_model("trusts", "FrameworkVersion")
    for version in VERSIONS:
        FrameworkVersion.objects.update_or_create(
            code=version["code"], defaults={key: value for key, value in version.items() if key != "code"}
        )
    nof_2021 = FrameworkVersion.objects.get(code="nof-2021")
    apps.get_model("trusts", "SegmentAssignment").objects.filter(framework__isnull=True).update(framework=nof_2021)
    apps.get_model("trusts", "HistoricalSegmentAssignment").objects.filter(framework__isnull=True).update(
        framework=nof_2021
    )
    Regime = apps.get_model("trusts", "Regime")
    Regime.objects.update_or_create(code=PIP["code"], defaults={k: v for k, v in PIP.items() if k != "code"})


def unseed(apps, schema_editor):
    apps.get_model("trusts", "SegmentAssignment").objects.update(framework=None)
    apps.get_model("trusts", "HistoricalSegmentAssignment").objects.update(framework=None)
    apps.get_model("trusts", "FrameworkVersion").objects.all().delete()
    apps.get_model("trusts", "Regime").objects.filter(code=PIP["code"], episodes__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("trusts", "0004_framework_versions")]
    operations = [migrations.RunPython(seed, unseed)]
