"""The userinfo endpoint (OIDC Core 5.3) and its errors (RFC 6750 section 3)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.oauth_flow import obtain_tokens

pytestmark = pytest.mark.django_db

USERINFO = "/o/userinfo/"


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def csrf_client() -> Client:
    """A client that checks CSRF as a browser's requests are checked."""
    return Client(enforce_csrf_checks=True)


def test_userinfo_is_served_at_the_named_url():
    assert reverse("oauth2_provider:user-info") == USERINFO


@pytest.mark.parametrize("method", ["get", "post"])
def test_userinfo_answers_get_and_post_with_a_bearer_header(csrf_client, access_token, user, method):
    response = getattr(csrf_client, method)(USERINFO, **bearer(access_token))
    assert response.status_code == 200, response.content
    assert response.json()["sub"] == str(user.pk)
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405_not_a_csrf_error(csrf_client, access_token, method):
    response = getattr(csrf_client, method)(USERINFO, **bearer(access_token))
    assert response.status_code == 405


def test_request_without_a_token_gets_a_bare_challenge(csrf_client):
    response = csrf_client.get(USERINFO)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="userinfo"'
    assert response["Content-Type"] == "application/json"
    assert "error" not in response.json()


def test_invalid_token_is_401_json_with_the_error_in_the_challenge(csrf_client):
    response = csrf_client.get(USERINFO, **bearer("not-a-token"))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "invalid_token"
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_token_without_openid_scope_is_403_insufficient_scope(client, user, application):
    token = obtain_tokens(client, user=user, application=application, scope="read")["access_token"]
    response = client.get(USERINFO, **bearer(token))
    assert response.status_code == 403
    assert response.json()["error"] == "insufficient_scope"
    assert 'error="insufficient_scope"' in response["WWW-Authenticate"]
    assert 'scope="openid"' in response["WWW-Authenticate"]


def test_token_in_the_query_string_is_refused(csrf_client, access_token):
    response = csrf_client.get(USERINFO, {"access_token": access_token})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "user" not in response.content.decode()


def test_a_token_sent_two_ways_at_once_is_refused(csrf_client, access_token):
    response = csrf_client.post(USERINFO, {"access_token": access_token}, **bearer(access_token))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_token_in_the_form_body_alone_is_accepted(csrf_client, access_token):
    response = csrf_client.post(USERINFO, {"access_token": access_token})
    assert response.status_code == 200 and response.json()["sub"]
