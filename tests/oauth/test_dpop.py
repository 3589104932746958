"""DPoP (RFC 9449) end to end: the token endpoint binds tokens to the client's key, and a bound
token is worthless without that key, at the API and at userinfo. The client side is a jwcrypto
key signing one proof per request, as a DPoP client library does."""

import base64
import json
import time

import pytest
from django.urls import reverse
from jwcrypto import jwk, jws

from apps.oauth.models import Application, DPoPBinding
from tests.dpop_client import DPoPKey, dpop_auth
from tests.oauth_flow import (
    CLIENT_SECRET,
    REDIRECT_URI,
    approve,
    basic_auth,
    form_post,
    introspect,
    make_client,
    pkce_pair,
    revoke,
    token_request,
)

TOKEN = "/o/token/"
ME = "/api/me/"
USERINFO = "/o/userinfo/"


def code_for(client, user, application, scope="openid read") -> tuple[str, str]:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    code = approve(client, application, scope=scope, challenge=challenge)["code"]
    client.logout()
    return code, verifier


def exchange(client, application, key: DPoPKey | None, *, user, scope="openid read", nonce=None, secret=True):
    code, verifier = code_for(client, user, application, scope)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": application.client_id,
        "code_verifier": verifier,
    }
    if secret:
        data["client_secret"] = CLIENT_SECRET
    extra = {"HTTP_DPOP": key.proof("POST", TOKEN, nonce=nonce)} if key else {}
    return token_request(client, data, **extra)


@pytest.fixture
def key() -> DPoPKey:
    return DPoPKey()


@pytest.fixture
def bound(client, user, application, key) -> dict:
    """Tokens from the code flow, bound to `key`."""
    response = exchange(client, application, key, user=user)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def public_app(developer) -> Application:
    return make_client(
        developer, name="Phone App", grant_types=[Application.GRANT_AUTHORIZATION_CODE], secret=None
    )


@pytest.fixture
def strict_app(developer) -> Application:
    """An app that requires DPoP (and with it nonces)."""
    return make_client(
        developer, name="Bank App", grant_types=[Application.GRANT_AUTHORIZATION_CODE], require_dpop=True
    )


def error_of(response) -> str:
    return response.json()["error"]


# --- issuing ------------------------------------------------------------------------------


def test_code_exchange_with_a_proof_issues_a_dpop_token_bound_to_its_key(bound, key):
    assert bound["token_type"] == "DPoP"
    assert DPoPBinding.objects.get(access_token__isnull=False).jkt == key.jkt


def test_code_exchange_without_a_proof_still_issues_a_bearer_token(client, user, application):
    response = exchange(client, application, None, user=user)
    assert response.json()["token_type"] == "Bearer"
    assert not DPoPBinding.objects.exists()


def test_client_credentials_with_a_proof_issue_a_bound_token(client, developer, key):
    app = make_client(developer, name="Backup", grant_types=[Application.GRANT_CLIENT_CREDENTIALS])
    response = token_request(
        client,
        {"grant_type": "client_credentials", "scope": "read"},
        HTTP_DPOP=key.proof("POST", TOKEN),
        **basic_auth(app.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    token = response.json()["access_token"]
    assert client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token))).status_code != 401


def test_confidential_clients_refresh_token_is_not_bound_but_its_new_access_token_is(
    client, application, bound
):
    assert not DPoPBinding.objects.filter(refresh_token__isnull=False).exists()
    other = DPoPKey()
    response = token_request(
        client,
        {
            "grant_type": "refresh_token",
            "refresh_token": bound["refresh_token"],
            "client_id": application.client_id,
            "client_secret": CLIENT_SECRET,
        },
        HTTP_DPOP=other.proof("POST", TOKEN),
    )
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    assert DPoPBinding.objects.get(access_token__isnull=False).jkt == other.jkt


def test_introspection_names_the_key_a_token_is_bound_to(client, bound, key, introspecting_app):
    answer = introspect(client, bound["access_token"], client_id=introspecting_app.client_id).json()
    assert answer["active"] is True
    assert answer["token_type"] == "DPoP"
    assert answer["cnf"] == {"jkt": key.jkt}


# --- public clients' refresh tokens are bound (RFC 9449 5) -----------------------------------


@pytest.fixture
def public_bound(client, user, public_app, key) -> dict:
    response = exchange(client, public_app, key, user=user, secret=False)
    assert response.status_code == 200, response.content
    return response.json()


def refresh_public(client, app, refresh_token, key: DPoPKey | None):
    extra = {"HTTP_DPOP": key.proof("POST", TOKEN)} if key else {}
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app.client_id}
    return token_request(client, data, **extra)


def test_public_clients_refresh_token_is_bound_to_its_key(public_bound, key):
    assert DPoPBinding.objects.get(refresh_token__isnull=False).jkt == key.jkt


def test_a_bound_refresh_token_without_a_proof_is_refused(client, public_app, public_bound):
    response = refresh_public(client, public_app, public_bound["refresh_token"], None)
    assert response.status_code == 400
    assert error_of(response) == "invalid_dpop_proof"


def test_a_bound_refresh_token_with_another_key_is_refused(client, public_app, public_bound):
    response = refresh_public(client, public_app, public_bound["refresh_token"], DPoPKey())
    assert response.status_code == 400
    assert error_of(response) == "invalid_dpop_proof"


def test_a_bound_refresh_token_with_its_key_refreshes_and_stays_bound(client, public_app, public_bound, key):
    response = refresh_public(client, public_app, public_bound["refresh_token"], key)
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    new_refresh = response.json()["refresh_token"]
    assert refresh_public(client, public_app, new_refresh, DPoPKey()).status_code == 400
    assert refresh_public(client, public_app, new_refresh, key).status_code == 200


# --- a stolen bound token is useless without the key ------------------------------------------


def test_a_bound_token_with_its_proof_reads_the_api(client, bound, key):
    token = bound["access_token"]
    response = client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token)))
    assert response.status_code == 200, response.content
    assert response.json()["email"] == "ada@example.com"


def test_a_bound_token_sent_as_bearer_is_refused(client, bound):
    response = client.get(ME, HTTP_AUTHORIZATION=f"Bearer {bound['access_token']}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("DPoP ")
    assert error_of(response) == "invalid_token"


def test_a_bound_token_with_a_proof_by_another_key_is_refused(client, bound):
    token = bound["access_token"]
    response = client.get(ME, **dpop_auth(token, DPoPKey().proof("GET", ME, access_token=token)))
    assert response.status_code == 401
    assert 'error="invalid_dpop_proof"' in response["WWW-Authenticate"]
    assert error_of(response) == "invalid_dpop_proof"


def test_a_replayed_proof_is_refused(client, bound, key):
    token = bound["access_token"]
    proof = key.proof("GET", ME, access_token=token)
    assert client.get(ME, **dpop_auth(token, proof)).status_code == 200
    response = client.get(ME, **dpop_auth(token, proof))
    assert response.status_code == 401
    assert "used already" in response.json()["error_description"]


@pytest.mark.parametrize(
    "claims",
    [
        {"htu": "http://testserver/api/profile/"},
        {"htu": "https://evil.example/api/me/"},
        {"htm": "POST"},
        {"ath": "A" * 43},
        {"iat": int(time.time()) - 3600},
        {"iat": int(time.time()) + 3600},
        {"iat": "now"},
        {"jti": ""},
    ],
    ids=["other-path", "other-host", "htm", "ath", "old", "future", "iat-string", "no-jti"],
)
def test_a_proof_for_another_request_is_refused(client, bound, key, claims):
    token = bound["access_token"]
    response = client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token, **claims)))
    assert response.status_code == 401
    assert error_of(response) == "invalid_dpop_proof"


def test_a_proof_without_ath_is_refused_at_a_resource(client, bound, key):
    token = bound["access_token"]
    response = client.get(ME, **dpop_auth(token, key.proof("GET", ME)))
    assert response.status_code == 401


def test_htu_is_compared_normalised_and_without_the_query(client, bound, key):
    token = bound["access_token"]
    proof = key.proof("GET", "HTTP://TestServer:80/api/%6De/", access_token=token)
    assert client.get(ME + "?x=1", **dpop_auth(token, proof)).status_code == 200


def test_an_unbound_token_sent_with_the_dpop_scheme_is_refused(client, user, application, key):
    token = exchange(client, application, None, user=user).json()["access_token"]
    response = client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token)))
    assert response.status_code == 401
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_a_revoked_bound_token_is_refused_at_once(client, application, bound, key):
    token = bound["access_token"]
    assert client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token))).status_code == 200
    assert revoke(client, application, token).status_code == 200
    response = client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token)))
    assert response.status_code == 401


# --- userinfo ------------------------------------------------------------------------------


def test_userinfo_answers_a_bound_token_with_its_proof(client, bound, key):
    token = bound["access_token"]
    response = client.get(USERINFO, **dpop_auth(token, key.proof("GET", USERINFO, access_token=token)))
    assert response.status_code == 200, response.content
    assert response.json()["sub"]


def test_userinfo_refuses_a_bound_token_sent_as_bearer(client, bound):
    response = client.get(USERINFO, HTTP_AUTHORIZATION=f"Bearer {bound['access_token']}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("DPoP ")


def test_userinfo_refuses_a_bound_token_with_another_keys_proof(client, bound):
    token = bound["access_token"]
    response = client.get(USERINFO, **dpop_auth(token, DPoPKey().proof("GET", USERINFO, access_token=token)))
    assert response.status_code == 401
    assert 'error="invalid_dpop_proof"' in response["WWW-Authenticate"]


# --- apps that require DPoP, and nonces (RFC 9449 8, 9) -----------------------------------------


def test_an_app_that_requires_dpop_refuses_a_plain_token_request(client, user, strict_app):
    response = exchange(client, strict_app, None, user=user)
    assert response.status_code == 400
    assert error_of(response) == "invalid_dpop_proof"
    assert not DPoPBinding.objects.exists()


def test_an_app_that_requires_dpop_asks_for_a_nonce_then_issues(client, user, strict_app, key):
    first = exchange(client, strict_app, key, user=user)
    assert first.status_code == 400
    assert error_of(first) == "use_dpop_nonce"
    nonce = first["DPoP-Nonce"]
    response = exchange(client, strict_app, key, user=user, nonce=nonce)
    assert response.status_code == 200, response.content
    assert response.json()["token_type"] == "DPoP"
    assert response["DPoP-Nonce"]


def test_a_resource_asks_for_a_nonce_from_apps_that_require_dpop(client, user, strict_app, key):
    nonce = exchange(client, strict_app, key, user=user)["DPoP-Nonce"]
    token = exchange(client, strict_app, key, user=user, nonce=nonce).json()["access_token"]
    first = client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token)))
    assert first.status_code == 401
    assert 'error="use_dpop_nonce"' in first["WWW-Authenticate"]
    fresh = first["DPoP-Nonce"]
    response = client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token, nonce=fresh)))
    assert response.status_code == 200, response.content


def test_a_forged_nonce_is_refused(client, user, strict_app, key):
    response = exchange(client, strict_app, key, user=user, nonce="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert error_of(response) == "use_dpop_nonce"


def test_an_expired_nonce_is_refused(client, user, strict_app, key, settings, monkeypatch):
    nonce = exchange(client, strict_app, key, user=user)["DPoP-Nonce"]
    later = time.time() + settings.GATEHOUSE_DPOP_NONCE_SECONDS + 5
    monkeypatch.setattr("apps.oauth.dpop.time.time", lambda: later)
    proof = key.proof("POST", TOKEN, nonce=nonce, iat=int(later))
    code, verifier = code_for(client, user, strict_app)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": strict_app.client_id,
        "client_secret": CLIENT_SECRET,
        "code_verifier": verifier,
    }
    assert error_of(token_request(client, data, HTTP_DPOP=proof)) == "use_dpop_nonce"


def test_nonces_can_be_required_of_every_client(client, user, application, key, settings):
    settings.GATEHOUSE_DPOP_NONCES = True
    assert error_of(exchange(client, application, key, user=user)) == "use_dpop_nonce"


# --- malformed proofs: a clear error, never a 500 ------------------------------------------------


def b64(data: dict | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hs256_proof() -> str:
    secret = jwk.JWK.generate(kty="oct", size=256)
    token = jws.JWS(
        json.dumps({"jti": "x", "htm": "POST", "htu": "http://testserver/o/token/", "iat": time.time()})
    )
    protected = {"typ": "dpop+jwt", "alg": "HS256", "jwk": json.loads(secret.export())}
    token.add_signature(secret, alg="HS256", protected=json.dumps(protected))
    return token.serialize(compact=True)


def private_key_proof() -> str:
    key = DPoPKey()
    return key.proof("POST", TOKEN, header={"jwk": json.loads(key.key.export_private())})


MALFORMED = {
    "not-a-jwt": lambda: "hello",
    "three-dots-garbage": lambda: "a.b.c",
    "bad-base64": lambda: "!!!.???.***",
    "header-not-object": lambda: f"{b64([1, 2])}.{b64({})}.sig",
    "typ-jwt": lambda: DPoPKey().proof("POST", TOKEN, header={"typ": "JWT"}),
    "alg-none": lambda: (
        f"{b64({'typ': 'dpop+jwt', 'alg': 'none', 'jwk': DPoPKey().public_jwk()})}.{b64({})}."
    ),
    "hs256": hs256_proof,
    "private-key": private_key_proof,
    "jwk-string": lambda: DPoPKey().proof("POST", TOKEN, header={"jwk": "key"}),
    "jwk-garbage": lambda: DPoPKey().proof(
        "POST", TOKEN, header={"jwk": {"kty": "EC", "crv": "P-256", "x": 1}}
    ),
    "bad-signature": lambda: DPoPKey().proof("POST", TOKEN)[:-4] + "AAAA",
    "payload-list": lambda: _signed([1, 2]),
    "huge": lambda: DPoPKey().proof("POST", TOKEN, padding="x" * 20000),
    "two-proofs": lambda: DPoPKey().proof("POST", TOKEN) + "," + DPoPKey().proof("POST", TOKEN),
    "bad-port-htu": lambda: DPoPKey().proof("POST", TOKEN, htu="http://testserver:99999/o/token/"),
    "htu-number": lambda: DPoPKey().proof("POST", TOKEN, htu=5),
    "iat-bool": lambda: DPoPKey().proof("POST", TOKEN, iat=True),
    "nul": lambda: "\x00.\x00.\x00",
}


def _signed(payload) -> str:
    key = DPoPKey()
    token = jws.JWS(json.dumps(payload))
    protected = {"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk()}
    token.add_signature(key.key, alg="ES256", protected=json.dumps(protected))
    return token.serialize(compact=True)


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_proof_is_invalid_dpop_proof_at_the_token_endpoint(client, user, application, name):
    code, verifier = code_for(client, user, application)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": application.client_id,
        "client_secret": CLIENT_SECRET,
        "code_verifier": verifier,
    }
    response = form_post(client, reverse("oauth2_provider:token"), data, HTTP_DPOP=MALFORMED[name]())
    assert response.status_code == 400, response.content
    assert error_of(response) == "invalid_dpop_proof"


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_proof_is_a_401_at_the_api(client, bound, name):
    response = client.get(ME, **dpop_auth(bound["access_token"], MALFORMED[name]()))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("DPoP ")


@pytest.mark.parametrize("alg", ["ES384", "RS256", "PS256", "EdDSA"])
def test_every_advertised_algorithm_works(client, user, application, alg):
    key = DPoPKey(alg)
    token = exchange(client, application, key, user=user).json()["access_token"]
    assert client.get(ME, **dpop_auth(token, key.proof("GET", ME, access_token=token))).status_code == 200


# --- discovery -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/o/.well-known/openid-configuration", "/.well-known/oauth-authorization-server/o"]
)
def test_discovery_advertises_the_dpop_algorithms(client, url):
    data = client.get(url).json()
    assert data["dpop_signing_alg_values_supported"] == ["ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA"]
