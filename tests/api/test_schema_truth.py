"""The OpenAPI schema says what the API does: nullable fields are nullable, errors are documented."""

import typing

import pytest
import yaml
from django.db import models
from rest_framework import serializers

from oversight.api_urls import router

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _source_nullable(model, source: str) -> bool:
    """Whether following `source` (a.b.c) from `model` can meet a null (a null=True field or relation)."""
    current = model
    for part in source.split("."):
        try:
            field = current._meta.get_field(part)
        except Exception:  # noqa: BLE001 — a property or method, not a field: nothing to learn
            return False
        if getattr(field, "null", False):
            return True
        if isinstance(field, models.ForeignKey | models.OneToOneField):
            current = field.related_model
    return False


def _method_nullable(serializer, field) -> bool:
    method = getattr(serializer, field.method_name)
    hints = typing.get_type_hints(method)
    returned = hints.get("return")
    return returned is not None and type(None) in typing.get_args(returned)


def response_serializers():
    seen = {}
    for _, viewset, _ in router.registry:
        serializer_class = getattr(viewset, "serializer_class", None)
        # A plain Serializer (the SPC points) has no model to be null in: each field's allow_null is
        # what the schema declares, so only model serializers can disagree with their schema.
        if serializer_class is not None and issubclass(serializer_class, serializers.ModelSerializer):
            seen[serializer_class.__name__] = serializer_class
    return sorted(seen.items())


@pytest.mark.parametrize(("name", "serializer_class"), response_serializers())
def test_every_field_that_can_be_null_is_declared_nullable(schema, name, serializer_class):
    component = schema["components"]["schemas"][name.removesuffix("Serializer")]
    model = serializer_class.Meta.model
    serializer = serializer_class()
    wrong = []
    for field_name, field in serializer.fields.items():
        if field.write_only:
            continue
        if isinstance(field, serializers.SerializerMethodField):
            can_be_null = _method_nullable(serializer, field)
        else:
            can_be_null = field.source != "*" and _source_nullable(model, field.source)
        declared = component["properties"][field_name].get("nullable", False)
        if can_be_null and not declared:
            wrong.append(field_name)
    assert not wrong, f"{name}: can be null but declared non-null: {wrong}"


def test_the_fields_the_issue_named_are_nullable(schema):
    components = schema["components"]["schemas"]
    assert components["Criterion"]["properties"]["approved_by"]["nullable"] is True
    assert components["Episode"]["properties"]["proposed_exit_by"]["nullable"] is True
    assert components["Note"]["properties"]["author"]["nullable"] is True
    assert components["Organisation"]["properties"]["successor"]["nullable"] is True


def test_every_operation_documents_its_error_answers_with_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "errors"}
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = {"400", "401", "403", "404"} | ({"409"} if method in ("put", "patch", "post") else set())
            for code in codes:
                response = operation["responses"].get(code)
                if response is None:
                    missing.append(f"{method.upper()} {path} {code}")
                    continue
                assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert not missing, missing


def test_the_served_schema_carries_the_error_responses(client, alice):
    client.force_login(alice)
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    assert "409" in served["paths"]["/api/v1/episodes/{id}/"]["patch"]["responses"]


def test_an_error_is_json_even_when_csv_was_asked_for(client, alice):
    client.force_login(alice)
    response = client.get("/api/v1/episodes/999999/?format=csv")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "errors": {}}
