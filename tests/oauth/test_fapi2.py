"""The per-app FAPI 2.0 switch (apps.oauth.fapi): what it enforces, end to end through the URLs."""

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from apps.oauth import fapi
from apps.oauth.models import Application, Grant
from apps.oauth.secrets import create_client_secret
from tests.dpop_client import DPoPKey
from tests.oauth.client_keys import ISSUER, TOKEN_URL, assertion_params, ec_key, public_jwks, rsa_key
from tests.oauth.test_pushed_authorization import allow, par_authorize
from tests.oauth_flow import REDIRECT_URI, authorize_params, basic_auth, form_post, make_client, pkce_pair

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    return ec_key()


@pytest.fixture
def fapi_app(developer, key):
    return make_client(
        developer,
        name="Bank",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE, Application.GRANT_CLIENT_CREDENTIALS],
        secret=None,
        client_type=Application.CLIENT_CONFIDENTIAL,
        token_endpoint_auth_method="private_key_jwt",
        jwks=public_jwks(key),
        fapi2=True,
    )


def push(client, app, key, challenge, **extra):
    params = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
        **assertion_params(key, app.client_id, alg="ES256", aud=ISSUER),
    }
    return form_post(client, "/o/par/", params)


def dpop_token_post(client, data: dict, assertion) -> object:
    """A token request as a FAPI client sends it: with a DPoP proof, asking for a nonce first (RFC 9449 8).

    `assertion` makes fresh client-assertion parameters: each `jti` works once."""
    proof_key = DPoPKey()
    first = form_post(
        client, "/o/token/", {**data, **assertion()}, HTTP_DPOP=proof_key.proof("POST", "/o/token/")
    )
    assert first.status_code == 400 and first.json()["error"] == "use_dpop_nonce", first.content
    nonce = first["DPoP-Nonce"]
    proof = proof_key.proof("POST", "/o/token/", nonce=nonce)
    return form_post(client, "/o/token/", {**data, **assertion()}, HTTP_DPOP=proof)


def redirect_query(response) -> dict:
    assert response.status_code == 302, response.content[:300]
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def test_the_whole_fapi_flow_runs_to_tokens(auth_client, fapi_app, key):
    verifier, challenge = pkce_pair()
    pushed = push(auth_client, fapi_app, key, challenge)
    assert pushed.status_code == 201, pushed.content
    query = redirect_query(
        allow(auth_client, par_authorize(auth_client, fapi_app, pushed.json()["request_uri"]))
    )
    # RFC 9207: the authorization response names its issuer.
    assert query["iss"] == ISSUER
    data = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
    }
    # FAPI 2.0 5.3.2.1: sender-constrained tokens only, so no DPoP proof, no token.
    refused = form_post(
        auth_client,
        "/o/token/",
        {**data, **assertion_params(key, fapi_app.client_id, alg="ES256", aud=ISSUER)},
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_dpop_proof"
    response = dpop_token_post(
        auth_client, data, lambda: assertion_params(key, fapi_app.client_id, alg="ES256", aud=ISSUER)
    )
    assert response.status_code == 200, response.content
    assert response.json()["id_token"]
    assert response.json()["token_type"] == "DPoP"


def test_an_authorization_request_that_was_not_pushed_is_refused(auth_client, fapi_app):
    _, challenge = pkce_pair()
    response = auth_client.get(
        "/o/authorize/", authorize_params(fapi_app, scope="openid", challenge=challenge)
    )
    query = redirect_query(response)
    assert query["error"] == "invalid_request"
    assert query["error_description"] == "This client must use pushed authorization requests."


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token", "code token"])
def test_other_response_types_are_refused(client, fapi_app, key, response_type):
    _, challenge = pkce_pair()
    response = push(client, fapi_app, key, challenge, response_type=response_type)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_response_type"


def test_codes_live_at_most_60_seconds(auth_client, fapi_app, key):
    _, challenge = pkce_pair()
    pushed = push(auth_client, fapi_app, key, challenge)
    redirect_query(allow(auth_client, par_authorize(auth_client, fapi_app, pushed.json()["request_uri"])))
    grant = Grant.objects.get(application=fapi_app)
    assert grant.expires <= timezone.now() + timedelta(seconds=fapi.CODE_LIFETIME_SECONDS)


def test_other_apps_codes_keep_the_configured_lifetime(auth_client, application):
    from tests.oauth_flow import approve

    _, challenge = pkce_pair()
    approve(auth_client, application, scope="openid", challenge=challenge)
    assert Grant.objects.get(application=application).expires > timezone.now() + timedelta(seconds=120)


def test_a_client_secret_is_refused_even_if_one_exists(client, fapi_app):
    Application.objects.filter(pk=fapi_app.pk).update(token_endpoint_auth_method="")
    _secret, value = create_client_secret(application=fapi_app)
    response = form_post(
        client, "/o/token/", {"grant_type": "client_credentials"}, **basic_auth(fapi_app.client_id, value)
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_rs256_assertions_are_refused(client, developer):
    key = rsa_key()
    app = make_client(
        developer,
        name="RSA bank",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        secret=None,
        client_type=Application.CLIENT_CONFIDENTIAL,
        token_endpoint_auth_method="private_key_jwt",
        jwks=public_jwks(key),
        fapi2=True,
    )
    data = {"grant_type": "client_credentials"}
    refused = form_post(client, "/o/token/", {**data, **assertion_params(key, app.client_id, aud=ISSUER)})
    assert refused.status_code == 401
    accepted = dpop_token_post(
        client, data, lambda: assertion_params(key, app.client_id, alg="PS256", aud=ISSUER)
    )
    assert accepted.status_code == 200, accepted.content


@pytest.mark.parametrize("aud", [TOKEN_URL, [ISSUER]], ids=["token-endpoint", "list"])
def test_the_audience_must_be_the_issuer_as_a_string(client, fapi_app, key, aud):
    params = {
        "grant_type": "client_credentials",
        **assertion_params(key, fapi_app.client_id, alg="ES256", aud=aud),
    }
    assert form_post(client, "/o/token/", params).status_code == 401


def test_a_stored_http_redirect_uri_is_refused_at_authorization(auth_client, fapi_app, key):
    uri = "http://127.0.0.1:8765/callback"
    Application.objects.filter(pk=fapi_app.pk).update(redirect_uris=f"{REDIRECT_URI} {uri}")
    _, challenge = pkce_pair()
    pushed = push(auth_client, fapi_app, key, challenge, redirect_uri=uri)
    assert pushed.status_code == 400
    assert pushed.json()["error"] == "invalid_request"


def test_expired_assertions_stay_refused_under_fapi(client, fapi_app, key):
    params = assertion_params(key, fapi_app.client_id, alg="ES256", aud=ISSUER, exp=int(time.time()) - 300)
    assert form_post(client, "/o/token/", {"grant_type": "client_credentials", **params}).status_code == 401
