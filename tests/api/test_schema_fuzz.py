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
from schemathesis.specs.openapi.checks import positive_data_acceptance


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
    # Every check is on. Two texts are read by more than a schema can say, so a
    # schema-valid one may still be a 400 with the reason: a list pasted to make an issue
    # (does "0" name an arXiv paper?), and a search (its terms are counted after NFKC
    # normalisation: "ｶﾞ" is one character). Every other check still applies to them.
    semantic = (case.method == "POST" and case.path == "/api/v1/editorial/issues/") or "q" in (case.query or {})
    excluded = [positive_data_acceptance] if semantic else []
    case.call_and_validate(app=app, headers=headers, excluded_checks=excluded)
