"""The authorization-code + PKCE flow end to end, checked the way a strict OIDC client checks it."""

import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from jwcrypto import jwk, jwt
from oauth2_provider.models import AccessToken, IDToken, RefreshToken

from apps.accounts.models import User
from apps.audit.models import AuditEvent
from apps.oauth.models import Application
from tests.conftest import PASSWORD
from tests.oauth.consent_support import redirect_query
from tests.oauth_flow import (
    CLIENT_SECRET,
    REDIRECT_URI,
    approve,
    authorize_params,
    exchange_code,
    form_post,
    introspect,
    make_client,
    pkce_pair,
    refresh,
)

pytestmark = pytest.mark.django_db

ISSUER = "http://testserver/o"


def sign_in(client, user, *, next_url: str = "") -> float:
    """Sign in through allauth's real login form; return when it happened."""
    signed_in_at = time.time()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302, response.content[:500]
    return signed_in_at


def run_flow(client, application, *, scope: str) -> tuple[dict, dict]:
    verifier, challenge = pkce_pair()
    # A nonce belongs to OpenID Connect requests only.
    nonce = {} if "openid" in scope.split() else {"nonce": ""}
    query = approve(client, application, scope=scope, challenge=challenge, **nonce)
    response = exchange_code(client, application, code=query["code"], verifier=verifier)
    assert response.status_code == 200, response.content
    return query, response.json()


def verified_claims(client, id_token: str, application, **expected) -> dict:
    """Verify the ID token's signature against the published JWKS and its registered claims."""
    keys = jwk.JWKSet.from_json(json.dumps(client.get("/o/.well-known/jwks.json").json()))
    token = jwt.JWT(
        jwt=id_token,
        key=keys,
        algs=["RS256"],
        check_claims={"iss": ISSUER, "aud": application.client_id, "exp": None, **expected},
    )
    return json.loads(token.claims)


def userinfo(client, access_token: str):
    return client.get(reverse("oauth2_provider:user-info"), HTTP_AUTHORIZATION=f"Bearer {access_token}")


def test_sign_in_authorize_approve_exchange_and_verify_the_id_token(client, user, application):
    verifier, challenge = pkce_pair()
    params = authorize_params(application, scope="openid profile email", challenge=challenge)
    start = client.get(reverse("oauth2_provider:authorize"), params)
    assert start.status_code == 302 and start["Location"].startswith(reverse("account_login"))
    signed_in_at = sign_in(client, user, next_url=parse_qs(urlsplit(start["Location"]).query)["next"][0])

    query = approve(client, application, scope="openid profile email", challenge=challenge)
    assert query["state"] == "state-123"
    assert query["iss"] == client.get("/o/.well-known/openid-configuration").json()["issuer"] == ISSUER
    response = exchange_code(client, application, code=query["code"], verifier=verifier)

    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    claims = verified_claims(client, tokens["id_token"], application, nonce="nonce-456")
    assert claims["sub"] == str(user.pk)
    assert claims["exp"] > time.time()
    assert signed_in_at - 1 <= claims["auth_time"] <= time.time()
    header = json.loads(jwt.JWT(jwt=tokens["id_token"]).token.objects["protected"])
    assert header["alg"] == "RS256" and header["kid"]


def test_auth_time_is_this_sessions_sign_in_not_a_later_sign_in_elsewhere(client, user, application):
    signed_in_at = sign_in(client, user)
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() + timedelta(hours=2))

    _query, tokens = run_flow(client, application, scope="openid")

    auth_time = verified_claims(client, tokens["id_token"], application)["auth_time"]
    assert signed_in_at - 1 <= auth_time <= signed_in_at + 5


def test_id_token_from_a_refresh_keeps_the_original_auth_time_and_drops_the_nonce(client, user, application):
    sign_in(client, user)
    _query, tokens = run_flow(client, application, scope="openid profile")
    first = verified_claims(client, tokens["id_token"], application)

    refreshed = refresh(client, application, tokens["refresh_token"]).json()

    again = verified_claims(client, refreshed["id_token"], application)
    assert again["auth_time"] == first["auth_time"]
    assert again["sub"] == first["sub"]
    assert "nonce" not in again


@pytest.mark.parametrize(
    ("scope", "released", "withheld"),
    [
        ("openid", {"sub"}, {"name", "email", "preferred_username", "email_verified"}),
        ("openid email", {"sub", "email", "email_verified"}, {"name", "preferred_username"}),
        ("openid profile", {"sub", "name", "preferred_username"}, {"email", "email_verified"}),
    ],
)
def test_claims_follow_the_scopes_in_userinfo_and_id_token_alike(
    client, user, application, scope, released, withheld
):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _query, tokens = run_flow(client, application, scope=scope)

    info = userinfo(client, tokens["access_token"])
    id_claims = verified_claims(client, tokens["id_token"], application)

    assert info.status_code == 200
    assert set(info.json()) == released
    assert released <= set(id_claims) and not withheld & set(id_claims)
    assert {k: id_claims[k] for k in released} == info.json()


def test_userinfo_values_come_from_the_account(client, user, application):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _query, tokens = run_flow(client, application, scope="openid profile email")
    info = userinfo(client, tokens["access_token"]).json()
    assert info == {
        "sub": str(user.pk),
        "name": "Ada Lovelace",
        "preferred_username": "ada",
        "email": "ada@example.com",
        "email_verified": True,
    }


def test_picture_and_website_come_from_the_profile_with_the_profile_scope(
    client, user, application, settings, tmp_path
):
    from django.core.files.base import ContentFile

    from apps.accounts.models import Profile

    settings.MEDIA_ROOT = tmp_path
    profile = Profile.objects.for_user(user)
    profile.website = "https://ada.example.com"
    profile.avatar.save("ada.png", ContentFile(b"not read here"), save=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    _query, tokens = run_flow(client, application, scope="openid profile")
    info = userinfo(client, tokens["access_token"]).json()
    id_claims = verified_claims(client, tokens["id_token"], application)
    assert info["website"] == id_claims["website"] == "https://ada.example.com"
    assert info["picture"] == id_claims["picture"]
    assert info["picture"].startswith("http://testserver/") and info["picture"].endswith(".png")

    _query, tokens = run_flow(client, application, scope="openid email")
    assert not {"website", "picture"} & set(userinfo(client, tokens["access_token"]).json())


def test_userinfo_without_a_token_is_401_with_a_bearer_challenge(client):
    response = client.get(reverse("oauth2_provider:user-info"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_userinfo_refuses_a_token_without_openid(client, user, application):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _query, tokens = run_flow(client, application, scope="read")
    response = userinfo(client, tokens["access_token"])
    assert response.status_code == 403
    assert response["Cache-Control"] == "no-store"


def test_replayed_code_is_refused_and_revokes_every_token_it_produced(
    client, user, application, introspecting_app
):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(client, application, scope="openid read", challenge=challenge)
    tokens = exchange_code(client, application, code=query["code"], verifier=verifier).json()
    assert IDToken.objects.count() == 1

    replay = exchange_code(client, application, code=query["code"], verifier=verifier)

    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert introspect(client, tokens["access_token"], client_id=introspecting_app.client_id).json() == {
        "active": False
    }
    assert refresh(client, application, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists() and not IDToken.objects.exists()
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.TOKEN_REUSE)
    assert event.data == {
        "client_id": application.client_id,
        "replayed": "authorization_code",
        "tokens_revoked": 3,
    }


def test_code_replay_also_revokes_tokens_rotated_since(client, user, application):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(client, application, scope="read", challenge=challenge, nonce="")
    tokens = exchange_code(client, application, code=query["code"], verifier=verifier).json()
    rotated = refresh(client, application, tokens["refresh_token"]).json()

    exchange_code(client, application, code=query["code"], verifier=verifier)

    assert refresh(client, application, rotated["refresh_token"]).json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_wrong_code_verifier_is_refused(client, user, application):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _verifier, challenge = pkce_pair()
    query = approve(client, application, scope="read", challenge=challenge, nonce="")
    response = exchange_code(client, application, code=query["code"], verifier=pkce_pair()[0])
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("mistake", "error"),
    [
        pytest.param({"code_verifier": pkce_pair()[0]}, "invalid_grant", id="wrong-verifier"),
        pytest.param({"code_verifier": None}, "invalid_request", id="no-verifier"),
        pytest.param({"redirect_uri": REDIRECT_URI + "/"}, "invalid_request", id="wrong-redirect-uri"),
        pytest.param({"redirect_uri": None}, "invalid_request", id="no-redirect-uri"),
    ],
)
def test_a_failed_exchange_leaves_the_code_for_the_rightful_client(client, user, application, mistake, error):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    code = approve(client, application, scope="read", challenge=challenge, nonce="")["code"]
    right = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": application.client_id,
        "client_secret": CLIENT_SECRET,
        "code_verifier": verifier,
    }
    wrong = {key: value for key, value in {**right, **mistake}.items() if value is not None}
    refused = form_post(client, reverse("oauth2_provider:token"), wrong)
    assert refused.status_code == 400
    assert refused.json()["error"] == error

    assert form_post(client, reverse("oauth2_provider:token"), right).status_code == 200
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_REUSE).exists()


def test_redirect_uri_at_the_token_endpoint_must_be_the_authorized_one(client, user, application):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(client, application, scope="read", challenge=challenge, nonce="")
    response = form_post(
        client,
        reverse("oauth2_provider:token"),
        {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT_URI + "/",
            "client_id": application.client_id,
            "client_secret": CLIENT_SECRET,
            "code_verifier": verifier,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        pytest.param("https://printer.example.com/elsewhere", id="path"),
        pytest.param("https://printer.example.com/callback?next=/admin", id="query"),
        pytest.param("https://printer.example.com/callback/", id="trailing-slash"),
        pytest.param("https://printer.example.com:8443/callback", id="port"),
        pytest.param("https://printer.example.com:443/callback", id="explicit-default-port"),
        pytest.param("http://printer.example.com/callback", id="scheme"),
        pytest.param("https://PRINTER.example.com/callback", id="host-case"),
        pytest.param("https://printer.example.com/Callback", id="path-case"),
        pytest.param("HTTPS://printer.example.com/callback", id="scheme-case"),
        pytest.param("https://printer.example.com.evil.test/callback", id="host-suffix"),
        pytest.param("https://evil.test@printer.example.com/callback", id="userinfo"),
    ],
)
def test_redirect_uri_differing_from_the_registered_one_is_refused_without_redirect(
    client, user, application, redirect_uri
):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _verifier, challenge = pkce_pair()
    params = authorize_params(application, scope="read", challenge=challenge, redirect_uri=redirect_uri)
    response = client.get(reverse("oauth2_provider:authorize"), params)
    assert response.status_code == 400
    assert "Location" not in response


def test_loopback_redirect_uri_may_use_any_real_port():
    from apps.oauth.supported import redirect_uri_registered

    registered = ["http://127.0.0.1/callback", "http://[::1]:8000/cb"]
    assert redirect_uri_registered("http://127.0.0.1:51234/callback", registered)
    assert redirect_uri_registered("http://[::1]:1234/cb", registered)
    assert not redirect_uri_registered("http://127.0.0.1:51234/Callback", registered)
    assert not redirect_uri_registered("http://localhost:51234/callback", registered)
    for impossible in ("0", "65536", "99999999", "08080"):
        assert not redirect_uri_registered(f"http://127.0.0.1:{impossible}/callback", registered), impossible
    assert redirect_uri_registered("http://127.0.0.1:65535/callback", registered)


@pytest.mark.parametrize(
    "response_type", ["token", "id_token", "id_token token", "code token", "code id_token"]
)
def test_implicit_and_hybrid_response_types_issue_nothing(client, user, application, response_type):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _verifier, challenge = pkce_pair()
    params = authorize_params(application, scope="openid", challenge=challenge, response_type=response_type)
    response = client.get(reverse("oauth2_provider:authorize"), params)
    location = response.get("Location", "")
    assert response.status_code == 302
    assert "access_token" not in location and "id_token=" not in location and "code=" not in location
    assert redirect_query(response)["error"] == "unsupported_response_type"
    assert not AccessToken.objects.exists()


def test_discovery_advertises_no_implicit_or_password_grant(client):
    document = client.get("/o/.well-known/openid-configuration").json()
    assert document["response_types_supported"] == ["code"]
    assert "implicit" not in document["grant_types_supported"]
    assert "password" not in document["grant_types_supported"]


def test_authorization_code_lifetime_is_the_configured_one(client, user, application, settings):
    from oauth2_provider.models import get_grant_model

    Grant = get_grant_model()

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    _verifier, challenge = pkce_pair()
    approve(client, application, scope="read", challenge=challenge, nonce="")
    lifetime = Grant.objects.get().expires - timezone.now()
    expected = settings.OAUTH2_PROVIDER["AUTHORIZATION_CODE_EXPIRE_SECONDS"]
    assert expected == 600
    assert timedelta(seconds=expected - 30) < lifetime <= timedelta(seconds=expected)


def test_auth_time_counts_a_later_reauthentication(client, user, application):
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY

    sign_in(client, user)
    now = time.time()
    session = client.session
    session["gatehouse_auth_time"] = int(now - 3600)
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": now - 3600},
        {"method": "password", "at": now - 60, "reauthenticated": True},
    ]
    session.save()

    _query, tokens = run_flow(client, application, scope="openid")

    assert verified_claims(client, tokens["id_token"], application)["auth_time"] == int(now - 60)


def test_basic_authenticated_exchange_gets_an_id_token_for_this_client(client, user, application):
    from tests.oauth_flow import basic_auth

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(client, application, scope="openid", challenge=challenge)
    response = form_post(
        client,
        reverse("oauth2_provider:token"),
        {
            "grant_type": "authorization_code",
            "code": query["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        **basic_auth(application.client_id, CLIENT_SECRET),
    )
    assert response.status_code == 200, response.content
    assert verified_claims(client, response.json()["id_token"], application)["aud"] == application.client_id


def test_public_client_exchanges_its_code_with_pkce_alone(client, user, developer):
    spa = make_client(
        developer,
        name="Photo SPA",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        secret=None,
        allowed_scopes=["openid", "read"],
    )
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(client, spa, scope="openid read", challenge=challenge)
    body = {
        "grant_type": "authorization_code",
        "code": query["code"],
        "redirect_uri": REDIRECT_URI,
        "client_id": spa.client_id,
        "code_verifier": verifier,
    }
    response = form_post(client, reverse("oauth2_provider:token"), body)
    assert response.status_code == 200, response.content
    assert verified_claims(client, response.json()["id_token"], spa)["sub"] == str(user.pk)


@pytest.mark.filterwarnings("ignore:authlib.jose module is deprecated")
def test_an_independent_oidc_library_accepts_the_id_token(client, user, application):
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.oidc.core import CodeIDToken

    sign_in(client, user)
    _query, tokens = run_flow(client, application, scope="openid profile email")
    discovery = client.get("/o/.well-known/openid-configuration").json()
    keys = JsonWebKey.import_key_set(client.get(urlsplit(discovery["jwks_uri"]).path).json())

    claims = JsonWebToken(["RS256"]).decode(
        tokens["id_token"],
        keys,
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": discovery["issuer"]}},
        claims_params={
            "nonce": "nonce-456",
            "client_id": application.client_id,
            "access_token": tokens["access_token"],
        },
    )

    claims.validate(leeway=5)  # iss, aud, exp, iat, nonce, at_hash and auth_time, as Authlib checks them
    assert claims["at_hash"] and claims["auth_time"] <= claims["iat"]
