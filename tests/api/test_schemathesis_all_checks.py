"""Every schemathesis check (status codes, content types, response schemas, headers) with a read and a write token.

The schema promises what each answer looks like, errors included; a read token is answered by
403s and 404s that must be documented too.
"""

import pytest
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.test_schemathesis import every_operation
from tests.api.world import bearer, wsgi_on_the_test_connection

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)


@pytest.fixture(params=["write_alice", "read"])
def any_key(request, tokens):
    with wsgi_on_the_test_connection():
        yield tokens[request.param]


@every_operation
def test_every_answer_is_the_one_the_schema_describes(case, any_key):
    case.cookies = None  # token auth only (see test_schemathesis)
    response = case.call_wsgi(headers={"Authorization": bearer(any_key)["HTTP_AUTHORIZATION"]})
    case.validate_response(response, checks=CHECKS)
