"""Row visibility has one home (oversight.permissions.visible_to), and every API viewset goes through it."""

import ast
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from oversight import permissions
from oversight.api.views import RestrictedViewSetMixin
from oversight.api_urls import router

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("prefix", "viewset"), [(prefix, viewset) for prefix, viewset, _ in router.registry])
def test_every_api_viewset_narrows_its_rows_through_the_base_class(prefix, viewset):
    assert issubclass(viewset, RestrictedViewSetMixin), f"/api/v1/{prefix}/ does not use the restricted base"


@pytest.mark.parametrize(("prefix", "viewset"), [(prefix, viewset) for prefix, viewset, _ in router.registry])
def test_every_model_the_api_serves_has_a_visibility_rule(prefix, viewset):
    model = (getattr(viewset, "model", None) or viewset.serializer_class.Meta.model)._meta.label_lower
    assert model in permissions.VISIBILITY_RULES, f"/api/v1/{prefix}/ serves {model}, which has no rule"


def test_a_model_without_a_rule_is_refused_rather_than_shown(db):
    from django.contrib.auth.models import Group

    with pytest.raises(ImproperlyConfigured, match="auth.group"):
        permissions.visible_to(None, Group.objects.all())


def test_no_code_decides_confidentiality_from_a_regime_code():
    """Confidentiality comes from Regime.confidential: no CONFIDENTIAL_REGIMES constant, no `"CP"` filter."""
    offenders = []
    for path in [*ROOT.glob("oversight/**/*.py"), *ROOT.glob("trusts/**/*.py"), *ROOT.glob("indicators/**/*.py")]:
        if "migrations" in path.parts:
            continue
        source = path.read_text()
        if "CONFIDENTIAL_REGIMES" in source:
            offenders.append(f"{path.relative_to(ROOT)}: CONFIDENTIAL_REGIMES")
        for node in ast.walk(ast.parse(source)):
            # A comparison against the literal "CP" next to a visibility word is a decision by code.
            if isinstance(node, ast.Compare) and any(
                isinstance(side, ast.Constant) and side.value == "CP" for side in [node.left, *node.comparators]
            ):
                line = source.splitlines()[node.lineno - 1]
                if "confidential" in line or "visible" in line or "hide" in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {line.strip()}")
    assert not offenders, offenders
