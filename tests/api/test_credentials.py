"""Each endpoint with the right scope, a wrong scope, an expired, a revoked and a malformed
token, no credential, and an API key; RFC 6750 answers for every failure."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import bearer, stored_token
from tests.api.endpoints import ENDPOINTS, SCOPED

MALFORMED = [
    "Bearer",
    "Bearer not-a-token-we-issued",
    "Bearer two parts",
    "Bearer gh_pat_short",
    "Bearer gh_pat_" + "A" * 12 + "_" + "B" * 43,
    "Bearer gatehouse_short",
    "Bearer gatehouse_" + "A" * 12 + "_" + "B" * 49,  # well formed, but the checksum is wrong
    "Basic YWRhOnNlY3JldA==",
    "Bearer " + "x" * 4000,
    "Bearer t\u00f6ken",
]


def assert_invalid_token(response, description: str | None = None) -> None:
    assert response.status_code == 401, response.content
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert 'realm="api"' in challenge
    assert 'error="invalid_token"' in challenge
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == "invalid_token"
    if description:
        assert body["error_description"] == description
        assert f'error_description="{description}"' in challenge


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_token_with_the_right_scope_is_answered(endpoint, client, issue, application):
    token = issue(endpoint.scope or "read")["access_token"]
    response = endpoint.call(client, headers=bearer(token), client_id=application.client_id)
    assert response.status_code == endpoint.status, response.content
    assert "X-RateLimit-Limit" in response


@pytest.mark.parametrize("endpoint", SCOPED, ids=str)
def test_token_with_a_wrong_scope_is_403_insufficient_scope(endpoint, client, issue, application):
    # e.g. `read_profile` does not satisfy `read`: scopes are whole names, never substrings.
    token = issue(endpoint.wrong_scope)["access_token"]
    response = endpoint.call(client, headers=bearer(token), client_id=application.client_id)
    assert response.status_code == 403
    challenge = response["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge
    assert f'scope="{endpoint.scope}"' in challenge
    body = response.json()
    assert body["error"] == "insufficient_scope"
    assert body["scope"] == endpoint.scope


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_expired_token_is_401(endpoint, client, issue, application):
    token = issue(endpoint.scope or "read")["access_token"]
    stored = stored_token(token)
    stored.expires = timezone.now() - timedelta(seconds=1)
    stored.save(update_fields=["expires"])
    response = endpoint.call(client, headers=bearer(token), client_id=application.client_id)
    assert_invalid_token(response, "The access token has expired.")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_revoked_token_is_401(endpoint, client, issue, revoke_at_dot, application):
    token = issue(endpoint.scope or "read")["access_token"]
    revoke_at_dot(token)
    response = endpoint.call(client, headers=bearer(token), client_id=application.client_id)
    assert_invalid_token(response)


@pytest.mark.parametrize("authorization", MALFORMED)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_malformed_credential_is_401(endpoint, authorization, client, db):
    response = endpoint.call(client, headers={"Authorization": authorization}, client_id="x")
    assert_invalid_token(response)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_no_credential_is_401(endpoint, client, db):
    response = endpoint.call(client, client_id="x")
    assert_invalid_token(response, "Authentication credentials were not provided.")


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_api_key_with_the_right_scope_is_answered(endpoint, client, api_key, issue, application):
    if endpoint.needs_connected_app:
        issue("read")
    key = api_key([endpoint.scope or "read"])
    response = endpoint.call(client, headers=bearer(key), client_id=application.client_id)
    assert response.status_code == endpoint.status, response.content


@pytest.mark.parametrize("endpoint", SCOPED, ids=str)
def test_api_key_with_a_wrong_scope_is_403_insufficient_scope(endpoint, client, api_key, application):
    response = endpoint.call(
        client, headers=bearer(api_key([endpoint.wrong_scope])), client_id=application.client_id
    )
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": f"This request needs the scope {endpoint.scope}.",
        "scope": endpoint.scope,
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_expired_api_key_is_401(endpoint, client, api_key):
    key = api_key([endpoint.scope or "read"], expires=timezone.now() - timedelta(seconds=1))
    response = endpoint.call(client, headers=bearer(key), client_id="x")
    assert_invalid_token(response, "The API key is invalid, expired or revoked.")
