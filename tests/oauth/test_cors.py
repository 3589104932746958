"""CORS for browser apps at the origins their app registered (token, userinfo, revocation)."""

import pytest

from tests.oauth_flow import CLIENT_SECRET, form_post, obtain_tokens

pytestmark = pytest.mark.django_db

SPA = "https://spa.example.com"
EVIL = "https://evil.example.com"
USERINFO = "/o/userinfo/"


@pytest.fixture
def spa_app(application):
    application.allowed_origins = SPA
    application.save()
    return application


@pytest.fixture
def spa_token(client, user, spa_app) -> str:
    return obtain_tokens(client, user=user, application=spa_app, scope="openid profile")["access_token"]


def revoke_from(client, application, token: str, origin: str):
    data = {"token": token, "client_id": application.client_id, "client_secret": CLIENT_SECRET}
    return form_post(client, "/o/revoke_token/", data, HTTP_ORIGIN=origin)


def preflight(client, path: str, origin: str, method: str = "POST"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


@pytest.mark.parametrize(
    ("path", "method"), [(USERINFO, "GET"), ("/o/revoke_token/", "POST"), ("/o/token/", "POST")]
)
def test_preflight_from_a_registered_origin_allows_the_authorization_header(client, spa_app, path, method):
    response = preflight(client, path, SPA, method)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SPA
    assert method in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"].lower()
    assert "Origin" in response["Vary"]


@pytest.mark.parametrize("path", [USERINFO, "/o/revoke_token/", "/o/token/"])
def test_preflight_from_another_origin_is_not_allowed(client, spa_app, path):
    response = preflight(client, path, EVIL)
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]


def test_userinfo_answers_a_registered_origin(client, spa_token):
    response = client.get(USERINFO, HTTP_ORIGIN=SPA, HTTP_AUTHORIZATION=f"Bearer {spa_token}")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SPA
    assert "Origin" in response["Vary"]


def test_userinfo_does_not_answer_an_origin_the_tokens_app_did_not_register(client, spa_token):
    response = client.get(USERINFO, HTTP_ORIGIN=EVIL, HTTP_AUTHORIZATION=f"Bearer {spa_token}")
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]


def test_revocation_answers_the_clients_registered_origin(client, spa_app, spa_token):
    response = revoke_from(client, spa_app, spa_token, SPA)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SPA
    assert "Origin" in response["Vary"]


def test_revocation_does_not_answer_another_origin(client, spa_app, spa_token):
    response = revoke_from(client, spa_app, spa_token, EVIL)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]


def test_token_endpoint_varies_by_origin(client, spa_app):
    response = client.post("/o/token/", {"grant_type": "client_credentials"}, HTTP_ORIGIN=SPA)
    assert "Origin" in response["Vary"]


@pytest.mark.parametrize(("origin", "allowed"), [(SPA, True), (EVIL, False)])
def test_token_endpoint_errors_are_readable_by_the_apps_own_origin(client, spa_app, origin, allowed):
    data = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": spa_app.client_id}
    response = form_post(client, "/o/token/", {**data, "client_secret": CLIENT_SECRET}, HTTP_ORIGIN=origin)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert (response.get("Access-Control-Allow-Origin") == SPA) is allowed
