"""Property-based tests of every API operation against its OpenAPI schema: no input makes the server fail.

The schema is the one /api/v1/schema/ serves; requests go in-process to the WSGI app, against
the test database, authenticated with a write token of oversight staff (the widest rights).
"""

import types

import hypothesis_jsonschema._from_schema as jsonschema_strategies
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.api.world import bearer, wsgi_on_the_test_connection


class _LegacyMany(jsonschema_strategies.cu.many):
    """hypothesis-jsonschema 0.23 steps through many() with `.more()`, which Hypothesis 6.150+ replaced
    by iteration inside a with-block; this gives it `.more()` on top of the new protocol."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.__enter__()
        self._steps = iter(self)

    def more(self) -> bool:
        try:
            next(self._steps)
        except StopIteration:
            self._closed = True
            return False
        return True


if not hasattr(jsonschema_strategies.cu.many, "more"):
    # Only hypothesis-jsonschema's view of the module changes; Hypothesis itself is untouched.
    jsonschema_strategies.cu = types.SimpleNamespace(**{**vars(jsonschema_strategies.cu), "many": _LegacyMany})

raw_schema = SchemaGenerator().get_schema(request=None, public=True)
schema = schemathesis.from_dict(raw_schema, app=get_wsgi_application())


@pytest.fixture
def api_key(tokens):
    """A write token of oversight staff; the WSGI app keeps the test's connection, as the test client does."""
    with wsgi_on_the_test_connection():
        yield tokens["write_alice"]


def every_operation(test):
    """One slow test per operation of the schema, twelve generated cases each (the token fixtures are function
    scoped on purpose: each case starts from the same world)."""
    fuzz = settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    return pytest.mark.slow(schema.parametrize()(fuzz(test)))


@every_operation
def test_the_api_never_fails_on_input_its_schema_allows(case, api_key):
    headers = {"Authorization": bearer(api_key)["HTTP_AUTHORIZATION"]}
    # The schema also offers session-cookie auth; a generated session id with a NUL byte makes
    # Django's database session store fail on PostgreSQL before any of our code runs (reported
    # separately), so the cases authenticate with the token alone.
    case.cookies = None
    response = case.call_wsgi(headers=headers)
    case.validate_response(response, checks=(not_a_server_error,))
