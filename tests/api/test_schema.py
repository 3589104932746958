"""The OpenAPI schema: valid OpenAPI 3, the OAuth 2 flows and the key scheme, and a bounded
schemathesis run (positive and negative data) that finds no 5xx and no off-schema answer."""

import json
from contextlib import contextmanager

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.core.scopes import CATALOGUE
from tests.api.conftest import ALL_USER_SCOPES, bearer


@pytest.fixture
def openapi(client, db) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_is_valid_openapi_3(openapi):
    validate_schema(openapi)
    assert openapi["openapi"].startswith("3.")


def test_schema_documents_the_oauth_flows_with_the_catalogue_scopes(openapi):
    scheme = openapi["components"]["securitySchemes"]["oauth2"]
    assert scheme["type"] == "oauth2"
    code_flow = scheme["flows"]["authorizationCode"]
    assert (code_flow["authorizationUrl"], code_flow["tokenUrl"]) == ("/o/authorize/", "/o/token/")
    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/o/token/"
    assert set(code_flow["scopes"]) == set(CATALOGUE)


def test_schema_documents_the_api_key_scheme(openapi):
    scheme = openapi["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert scheme["bearerFormat"].startswith("gatehouse_")


@pytest.mark.parametrize(
    ("path", "method", "scopes"),
    [
        ("/api/me/", "get", ["read"]),
        ("/api/profile/", "get", ["read_profile"]),
        ("/api/profile/", "patch", ["write_profile"]),
        ("/api/tokens/revoke-all/", "post", ["write"]),
    ],
)
def test_each_operation_states_the_scopes_it_needs(openapi, path, method, scopes):
    operation = openapi["paths"][path][method]
    assert {"oauth2": scopes} in operation["security"]
    assert {"apiKey": []} in operation["security"]
    assert {"401", "429"} <= set(operation["responses"])


# --- schemathesis ------------------------------------------------------------------------------

OPERATIONS = [
    ("/api/me/", "GET"),
    ("/api/profile/", "GET"),
    ("/api/profile/", "PUT"),
    ("/api/profile/", "PATCH"),
    ("/api/token/info/", "GET"),
    ("/api/token/revoke/", "POST"),
    ("/api/token/refresh/", "POST"),
    ("/api/tokens/", "GET"),
    ("/api/tokens/revoke-all/", "POST"),
    ("/api/connected-apps/", "GET"),
    ("/api/connected-apps/{client_id}/", "DELETE"),
]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@contextmanager
def wsgi_requests_keep_the_test_transaction():
    """Like Django's test client: the WSGI handler must not close the test's database connection
    (and with it the test's transaction) when each request starts and ends."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/hour", "anon": "100000/hour"},
    }
    with wsgi_requests_keep_the_test_transaction():
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def test_every_api_operation_is_fuzzed(api_schema):
    # Schemathesis covers exactly the operations listed (other apps' endpoints have their own tests).
    ours = {(op.ok().path, op.ok().method.upper()) for op in api_schema.get_all_operations()}
    assert {op for op in ours if not op[0].startswith("/api/auth/")} == set(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_api_answers_conform_to_the_schema(api_schema, api_key, issue, path, method, mode):
    issue("read")  # a connected app, so listing and disconnecting have something to work on
    credential = api_key(ALL_USER_SCOPES.split())
    operation = api_schema[path][method]

    # Bounded: a few examples per operation, the same ones on every run (no example database).
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case):
        case.call_and_validate(headers=bearer(credential), checks=CHECKS)

    with wsgi_requests_keep_the_test_transaction():
        call()


def test_model_serializers_build_their_fields_once_per_class():
    """BuiltOnceModelSerializer: a second instance copies the first build, never shares it."""
    from apps.api.serializers import UserSerializer

    first, second = UserSerializer().fields, UserSerializer().fields
    assert list(first) == list(second)
    assert first["email"] is not second["email"]
    assert first["profile"].fields["bio"] is not second["profile"].fields["bio"]


def test_social_token_exchange_documents_its_rate_limit(openapi):
    operation = openapi["paths"]["/api/auth/social/{provider}/"]["post"]
    assert "429" in operation["responses"]
