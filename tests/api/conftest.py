"""API fixtures: tokens come from the real authorization-code flow, keys from the key service."""

import hashlib

import pytest
from django.urls import reverse
from oauth2_provider.models import get_access_token_model

from apps.apikeys.services import create_api_key
from apps.oauth.models import Application
from tests.oauth_flow import CLIENT_SECRET, basic_auth, form_post, make_client, obtain_tokens

ALL_USER_SCOPES = "read write read_profile write_profile"


def bearer(credential: str) -> dict:
    return {"Authorization": f"Bearer {credential}"}


def stored_token(raw: str):
    """DOT's row for an issued token (it keeps only the checksum)."""
    return get_access_token_model().objects.get(token_checksum=hashlib.sha256(raw.encode()).hexdigest())


@pytest.fixture
def issue(client, user, application):
    """`issue("read write")`: a real token response for `user` with those scopes."""

    def _issue(scope: str, *, for_user=None, app=None) -> dict:
        return obtain_tokens(client, user=for_user or user, application=app or application, scope=scope)

    return _issue


@pytest.fixture
def api_key(user):
    """`api_key(["read"])`: a raw personal API key of `user` (through the key service)."""

    def _api_key(scopes: list[str], *, for_user=None, **kwargs) -> str:
        return create_api_key(user=for_user or user, name="script", scopes=scopes, **kwargs)[1]

    return _api_key


@pytest.fixture
def revoke_at_dot(client, application):
    """Revoke a token the standard way, at DOT's RFC 7009 endpoint."""

    def _revoke(raw: str) -> None:
        response = form_post(
            client,
            reverse("oauth2_provider:revoke-token"),
            {"token": raw, "client_id": application.client_id, "client_secret": CLIENT_SECRET},
        )
        assert response.status_code == 200, response.content

    return _revoke


@pytest.fixture
def admin_app(developer) -> Application:
    """A client allowed the `admin` scope."""
    return make_client(
        developer,
        name="Admin Console",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        allowed_scopes=["openid", "read", "admin"],
    )


@pytest.fixture
def service_app(developer) -> Application:
    """A confidential client-credentials client (a service acting for itself, no user)."""
    return make_client(
        developer,
        name="Nightly Report",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        allowed_scopes=["read", "write", "admin"],
    )


@pytest.fixture
def service_token(client, service_app):
    """`service_token("read")`: a client-credentials access token issued by DOT."""

    def _token(scope: str) -> str:
        response = form_post(
            client,
            reverse("oauth2_provider:token"),
            {"grant_type": "client_credentials", "scope": scope},
            **basic_auth(service_app.client_id, CLIENT_SECRET),
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    return _token
