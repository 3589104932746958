"""private_key_jwt client authentication (RFC 7523, OIDC Core 9) at every endpoint that
authenticates clients, driven by Authlib as a client would, and by hand-signed bad assertions."""

import base64
import json
import time

import pytest
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from django.core.cache import cache
from joserfc.jwk import ECKey, RSAKey
from jwcrypto import jwk, jws

from apps.oauth.client_assertion import ASSERTION_TYPE
from apps.oauth.models import Application, PushedAuthorizationRequest
from apps.oauth.secrets import create_client_secret
from tests.oauth.client_keys import (
    ISSUER,
    TOKEN_URL,
    assertion_params,
    claims_for,
    ec_key,
    public_jwks,
    rsa_key,
    sign,
)
from tests.oauth.test_pushed_authorization import DjangoTransport
from tests.oauth_flow import REDIRECT_URI, approve, basic_auth, form_post, make_client, pkce_pair
from tests.proof_server import proof_server

pytestmark = pytest.mark.django_db

CODE = Application.GRANT_AUTHORIZATION_CODE
MACHINE = Application.GRANT_CLIENT_CREDENTIALS


@pytest.fixture
def key():
    return rsa_key()


def keyed_client(owner, key, *, name="Ledger", **fields):
    fields.setdefault("jwks", public_jwks(key))
    return make_client(
        owner,
        name=name,
        grant_types=[CODE, MACHINE],
        secret=None,
        client_type=Application.CLIENT_CONFIDENTIAL,
        token_endpoint_auth_method="private_key_jwt",
        redirect_uris=REDIRECT_URI,
        **fields,
    )


@pytest.fixture
def app(developer, key):
    return keyed_client(developer, key)


def authlib_session(client, app, private_key, *, alg="RS256", kid=None) -> OAuth2Session:
    session = OAuth2Session(
        app.client_id,
        private_key,
        token_endpoint_auth_method=PrivateKeyJWT(TOKEN_URL, alg=alg, headers={"kid": kid} if kid else None),
        redirect_uri=REDIRECT_URI,
        scope="openid profile",
        code_challenge_method="S256",
    )
    session.mount("http://testserver", DjangoTransport(client))
    return session


def token(client, data: dict, **extra):
    return form_post(client, "/o/token/", data, **extra)


def machine_token(client, app, key, **claims):
    return token(
        client,
        {
            "grant_type": "client_credentials",
            "scope": "read",
            **assertion_params(key, app.client_id, **claims),
        },
    )


def assert_invalid_client(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"] == "invalid_client"


# --- What works, as Authlib does it --------------------------------------------------------------


def test_authlib_gets_a_client_credentials_token_with_an_rsa_key(client, app, key):
    session = authlib_session(
        client, app, RSAKey.import_key(json.loads(key.export_private())), kid=key.key_id
    )
    answer = session.fetch_token(TOKEN_URL, grant_type="client_credentials", scope="read")
    assert answer["token_type"] == "Bearer" and answer["access_token"]


def test_authlib_gets_a_token_with_an_ec_key(client, developer):
    key = ec_key()
    app = keyed_client(developer, key)
    session = authlib_session(
        client, app, ECKey.import_key(json.loads(key.export_private())), alg="ES256", kid=key.key_id
    )
    answer = session.fetch_token(TOKEN_URL, grant_type="client_credentials", scope="read")
    assert answer["access_token"]


def test_authlib_exchanges_an_authorization_code(client, user, app, key):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(client, app, scope="openid profile", challenge=challenge)
    session = authlib_session(
        client, app, RSAKey.import_key(json.loads(key.export_private())), kid=key.key_id
    )
    answer = session.fetch_token(TOKEN_URL, code=query["code"], code_verifier=verifier)
    assert answer["id_token"] and answer["refresh_token"]


def test_a_key_without_kid_in_the_header_is_tried_against_every_key(client, app, key):
    claims = claims_for(app.client_id)
    signed = jws.JWS(json.dumps(claims))
    signed.add_signature(key, alg="RS256", protected={"alg": "RS256"})
    response = token(
        client,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": signed.serialize(compact=True),
        },
    )
    assert response.status_code == 200, response.content


def test_the_issuer_is_an_accepted_audience(client, app, key):
    assert machine_token(client, app, key, aud=ISSUER).status_code == 200


def test_an_audience_list_naming_this_server_is_accepted(client, app, key):
    assert machine_token(client, app, key, aud=["https://other.example", TOKEN_URL]).status_code == 200


def test_the_push_endpoint_takes_an_assertion_and_keeps_it_out_of_the_request(client, app, key):
    _verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **assertion_params(key, app.client_id, aud=ISSUER),
    }
    response = form_post(client, "/o/par/", params)
    assert response.status_code == 201, response.content
    stored = PushedAuthorizationRequest.objects.get(application=app).parameters
    assert "client_assertion" not in stored and "client_assertion_type" not in stored


def test_introspection_takes_an_assertion(client, developer, key, app):
    rs_key = rsa_key("rs")
    resource_server = keyed_client(developer, rs_key, name="Ledger API", is_resource_server=True)
    access = machine_token(client, app, key).json()["access_token"]
    response = form_post(
        client, "/o/introspect/", {"token": access, **assertion_params(rs_key, resource_server.client_id)}
    )
    assert response.status_code == 200, response.content
    assert response.json()["active"] is True


def test_revocation_takes_an_assertion(client, app, key):
    access = machine_token(client, app, key).json()["access_token"]
    response = form_post(
        client, "/o/revoke_token/", {"token": access, **assertion_params(key, app.client_id)}
    )
    assert response.status_code == 200, response.content
    introspected = app.accesstoken_set.filter(application=app).count()
    assert introspected == 0


def test_device_authorization_takes_an_assertion(client, developer, key):
    app = keyed_client(developer, key, name="Kiosk")
    app.grant_types = [Application.GRANT_DEVICE_CODE]
    app.save()
    response = form_post(
        client,
        "/o/device-authorization/",
        {"scope": "openid", "client_id": app.client_id, **assertion_params(key, app.client_id)},
    )
    assert response.status_code == 200, response.content
    assert response.json()["device_code"]


# --- What is refused, always as invalid_client --------------------------------------------------


def test_a_replayed_assertion_is_refused(client, app, key):
    params = {"grant_type": "client_credentials", **assertion_params(key, app.client_id)}
    assert token(client, params).status_code == 200
    assert_invalid_client(token(client, params))


def test_a_jti_is_remembered_in_the_shared_cache(client, app, key):
    machine_token(client, app, key, jti="once")
    assert_invalid_client(machine_token(client, app, key, jti="once"))
    cache.clear()  # what another node without the shared cache would see: accepted again
    assert machine_token(client, app, key, jti="once").status_code == 200


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://other.example/token"},
        {"aud": None},
        {"aud": 42},
        {"exp": int(time.time()) - 120},
        {"exp": None},
        {"exp": int(time.time()) + 7200},
        {"exp": "soon"},
        {"nbf": int(time.time()) + 600},
        {"iat": int(time.time()) + 600},
        {"jti": None},
        {"jti": ""},
        {"iss": "someone-else"},
        {"sub": "someone-else"},
    ],
    ids=lambda claims: ",".join(f"{k}={v}" for k, v in claims.items()),
)
def test_a_bad_claim_is_refused(client, app, key, claims):
    assert_invalid_client(machine_token(client, app, key, **claims))


def test_an_assertion_signed_by_another_key_is_refused(client, app):
    impostor = rsa_key("rsa-1")  # same kid, another key
    assert_invalid_client(machine_token(client, app, impostor))


def test_an_unsigned_assertion_is_refused(client, app):
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(json.dumps(claims_for(app.client_id)).encode()).rstrip(b"=").decode()
    params = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": f"{header}.{body}.",
    }
    assert_invalid_client(token(client, params))


def test_hs256_with_the_public_key_as_the_secret_is_refused(client, app, key):
    public_pem = key.export_to_pem().decode()
    secret = jwk.JWK(
        kty="oct", k=base64.urlsafe_b64encode(public_pem.encode()).rstrip(b"=").decode(), kid=key.key_id
    )
    params = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": sign(secret, claims_for(app.client_id), alg="HS256"),
    }
    assert_invalid_client(token(client, params))


def test_the_client_secret_of_a_private_key_jwt_app_is_refused(client, app):
    _secret, value = create_client_secret(application=app)
    response = token(client, {"grant_type": "client_credentials"}, **basic_auth(app.client_id, value))
    assert_invalid_client(response)
    response = token(
        client, {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": value}
    )
    assert_invalid_client(response)


def test_a_secret_app_cannot_authenticate_with_an_assertion(client, developer, key):
    app = make_client(developer, name="Secretive", grant_types=[MACHINE], jwks=public_jwks(key))
    assert_invalid_client(machine_token(client, app, key))


def test_an_assertion_and_a_secret_together_are_refused(client, developer, key):
    app = keyed_client(developer, key)
    _secret, value = create_client_secret(application=app)
    params = {"grant_type": "client_credentials", **assertion_params(key, app.client_id)}
    assert_invalid_client(token(client, params, **basic_auth(app.client_id, value)))


def test_a_client_id_other_than_the_assertions_is_refused(client, developer, app, key):
    other = keyed_client(developer, key, name="Other")
    params = {
        "grant_type": "client_credentials",
        "client_id": other.client_id,
        **assertion_params(key, app.client_id),
    }
    assert_invalid_client(token(client, params))


def test_a_suspended_apps_assertion_is_refused(client, app, key):
    Application.objects.filter(pk=app.pk).update(suspended=True)
    assert_invalid_client(machine_token(client, app, key))


@pytest.mark.parametrize(
    "assertion",
    ["", "x", "a.b.c", "..", "e30.e30.", "!!!.???.***", "a" * 20000, "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"],
)
def test_garbage_is_refused_never_a_server_error(client, assertion):
    params = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    assert_invalid_client(token(client, params))


def test_a_wrong_assertion_type_is_refused(client, app, key):
    params = {"grant_type": "client_credentials", **assertion_params(key, app.client_id)}
    params["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
    assert_invalid_client(token(client, params))


# --- Keys published at a jwks_uri -------------------------------------------------------------


def jwks_route(*keys):
    return {
        "/jwks.json": (200, {"Content-Type": "application/json"}, json.dumps(public_jwks(*keys)).encode())
    }


def test_keys_are_fetched_from_the_jwks_uri(client, settings, developer, key):
    settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE = True
    with proof_server(jwks_route(key)) as port:
        app = keyed_client(developer, key, jwks={}, jwks_uri=f"http://127.0.0.1:{port}/jwks.json")
        assert machine_token(client, app, key).status_code == 200


def test_an_unknown_kid_fetches_the_keys_again_once_a_minute(client, settings, developer, key):
    settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE = True
    routes = jwks_route(key)
    with proof_server(routes) as port:
        app = keyed_client(developer, key, jwks={}, jwks_uri=f"http://127.0.0.1:{port}/jwks.json")
        assert machine_token(client, app, key).status_code == 200
        rotated = rsa_key("rsa-2")
        routes.update(jwks_route(key, rotated))
        assert machine_token(client, app, rotated).status_code == 200  # refetched on the unknown kid
        third = rsa_key("rsa-3")
        routes.update(jwks_route(key, rotated, third))
        assert_invalid_client(machine_token(client, app, third))  # no second fetch within the minute
        assert machine_token(client, app, key).status_code == 200  # the cached keys still work


def test_a_jwks_uri_on_a_private_address_is_never_fetched(client, developer, key):
    with proof_server(jwks_route(key)) as port:
        app = keyed_client(developer, key, jwks={}, jwks_uri=f"http://127.0.0.1:{port}/jwks.json")
        assert_invalid_client(machine_token(client, app, key))


def test_an_oversized_jwks_is_not_used(client, settings, developer, key):
    settings.GATEHOUSE_VERIFICATION_ALLOW_PRIVATE = True
    huge = {
        "/jwks.json": (
            200,
            {"Content-Type": "application/json"},
            b" " * 70000 + json.dumps(public_jwks(key)).encode(),
        )
    }
    with proof_server(huge) as port:
        app = keyed_client(developer, key, jwks={}, jwks_uri=f"http://127.0.0.1:{port}/jwks.json")
        assert_invalid_client(machine_token(client, app, key))


# --- Discovery says so ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/o/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/o"]
)
def test_discovery_advertises_private_key_jwt(client, url):
    data = client.get(url).json()
    for endpoint in ("token", "revocation", "introspection"):
        assert "private_key_jwt" in data[f"{endpoint}_endpoint_auth_methods_supported"]
        assert data[f"{endpoint}_endpoint_auth_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]


def test_a_refresh_token_is_refreshed_with_an_assertion(client, user, app, key):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(client, app, scope="openid profile", challenge=challenge)
    session = authlib_session(
        client, app, RSAKey.import_key(json.loads(key.export_private())), kid=key.key_id
    )
    first = session.fetch_token(TOKEN_URL, code=query["code"], code_verifier=verifier)
    refreshed = token(
        client,
        {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            **assertion_params(key, app.client_id),
        },
    )
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json()["refresh_token"] != first["refresh_token"]


def test_assertions_are_rate_limited_per_client(client, settings, app, key):
    settings.GATEHOUSE_OAUTH_RATE_PER_CLIENT = 2
    assert machine_token(client, app, key).status_code == 200
    assert machine_token(client, app, key).status_code == 200
    assert machine_token(client, app, key).status_code == 429


@pytest.mark.parametrize("stored", [[1, 2], {"keys": "x"}, {"keys": [None, "y", {"kty": "RSA"}]}, "text"])
def test_a_jwks_saved_malformed_elsewhere_authenticates_no_one(client, app, key, stored):
    Application.objects.filter(pk=app.pk).update(jwks=stored)
    assert_invalid_client(machine_token(client, app, key))
