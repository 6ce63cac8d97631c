"""Schema fuzzing (schemathesis) of the API against its own OpenAPI schema: no request,
however odd, gets a 500, and every response conforms to the schema (status code, content
type, headers, body)."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)


@pytest.fixture
def app():
    """Django's WSGI application, keeping the test's database connection open between
    requests (as Django's test client does)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield WSGIHandler()
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, app, archive, editor_token):
    # Editorial endpoints are fuzzed as an editor; public ones anonymously, as readers use them.
    headers = {"Authorization": f"Token {editor_token}"} if "/editorial/" in case.path else {}
    # The WSGI client does not decompress; compression has its own tests.
    headers["Accept-Encoding"] = "identity"
    case.call_and_validate(app=app, headers=headers, checks=CHECKS)
