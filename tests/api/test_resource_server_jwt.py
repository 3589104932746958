"""Resource-server mode with JWT access tokens: a second Gatehouse checks them against the
issuer's JWKS itself (no introspection round trip), and still sees a revocation within its
cache time. The second process runs on a clock the test sets (tests/api/clocked_wsgi.py)."""

import json
import time

import pytest
import requests
from django.urls import reverse
from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings

from apps.oauth.models import Application
from tests.api.conftest import bearer
from tests.api.test_resource_server import (
    CACHE_SECONDS,
    introspecting_app,  # noqa: F401 -- the fixture, shared with the introspection tests
    running_resource_server,
)
from tests.oauth.test_jwt_access_tokens import code_flow, new_pem, use_keys
from tests.oauth_flow import CLIENT_SECRET, form_post, make_client

AUDIENCE = "https://photos.example.com/api/"


@pytest.fixture(scope="module")
def jwt_resource_server(live_server, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("jwt-resource-server")
    with running_resource_server(
        live_server, tmp_path, GATEHOUSE_RESOURCE_SERVER_AUDIENCE=AUDIENCE
    ) as server:
        yield server


@pytest.fixture
def photo_api(introspecting_app):  # noqa: F811
    """The resource server's registration, with the identifier clients ask tokens for."""
    introspecting_app.resource_uri = AUDIENCE
    introspecting_app.save()
    return introspecting_app


@pytest.fixture
def jwt_app(developer) -> Application:
    return make_client(
        developer,
        name="Photo Printer",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        allowed_scopes=["openid", "read", "write"],
        access_token_format=Application.AccessTokenFormat.JWT,
    )


@pytest.fixture
def server(jwt_resource_server, photo_api, live_server, settings):
    # Tokens name the issuer the resource server fetches keys from (not the test client's host).
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": f"{live_server.url}/o"}
    oauth2_settings.reload()
    jwt_resource_server.set_clock(time.time())
    return jwt_resource_server


def photo_token(client, user, app, **kwargs) -> str:
    response = code_flow(client, user, app, scope="read", authorize_resources=[AUDIENCE], **kwargs)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def info(server, token: str):
    return requests.get(f"{server.url}/api/token/info/", headers=bearer(token), timeout=10)


def iat(token: str) -> int:
    return json.loads(jwt.JWT(jwt=token).token.objects["payload"])["iat"]


def test_a_jwt_is_accepted_without_asking_the_issuer(client, user, jwt_app, server, photo_api):
    token = photo_token(client, user, jwt_app)
    # The resource server may no longer introspect: only local validation can accept the token.
    Application.objects.filter(pk=photo_api.pk).update(is_resource_server=False)
    response = info(server, token)
    assert response.status_code == 200, response.text
    assert response.json()["scopes"] == ["read"]


def test_a_revoked_jwt_stops_working_within_the_cache_time(client, user, jwt_app, server):
    token = photo_token(client, user, jwt_app)
    issued = iat(token)
    # Older than the cache time: the resource server confirms it once, then trusts that answer.
    server.set_clock(issued + CACHE_SECONDS + 0.5)
    assert info(server, token).status_code == 200
    revoked = form_post(
        client,
        reverse("oauth2_provider:revoke-token"),
        {"token": token, "client_id": jwt_app.client_id, "client_secret": CLIENT_SECRET},
    )
    assert revoked.status_code == 200
    server.set_clock(issued + CACHE_SECONDS + 1)
    assert info(server, token).status_code == 200  # still within the cache time of that answer
    server.set_clock(issued + 2 * CACHE_SECONDS + 1)
    assert info(server, token).status_code == 401


def test_a_jwt_for_another_audience_is_refused(client, user, jwt_app, server):
    response = code_flow(client, user, jwt_app, scope="read")  # no resource: aud is the client
    token = response.json()["access_token"]
    refused = info(server, token)
    assert refused.status_code == 401
    assert 'error="invalid_token"' in refused.headers["WWW-Authenticate"]


def test_an_expired_jwt_is_refused(client, user, jwt_app, server):
    token = photo_token(client, user, jwt_app)
    exp = json.loads(jwt.JWT(jwt=token).token.objects["payload"])["exp"]
    server.set_clock(exp + 60)
    assert info(server, token).status_code == 401


def test_a_jwt_signed_by_an_unknown_key_is_refused(client, user, jwt_app, server):
    token = photo_token(client, user, jwt_app)
    header, payload, _signature = token.split(".")
    forged = f"{header}.{payload}.{'A' * 342}"
    assert info(server, forged).status_code == 401


def test_a_new_signing_key_is_fetched_when_its_kid_is_unknown(
    client, user, jwt_app, server, settings, rsa_private_key
):
    assert info(server, photo_token(client, user, jwt_app)).status_code == 200  # JWKS now cached
    use_keys(settings, new_pem(), [rsa_private_key])
    token = photo_token(client, user, jwt_app)
    assert info(server, token).status_code == 200, "the rotated-in key was fetched"


def test_token_info_says_only_what_the_jwt_says(client, user, jwt_app, server):
    token = photo_token(client, user, jwt_app)
    body = info(server, token).json()
    assert body["type"] == "access_token"
    assert body["scope"] == "read"
    assert body["application"] is None and body["user"] is None  # no account data here
