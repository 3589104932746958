"""JWT access tokens (RFC 9068) and resource indicators (RFC 8707), checked as a resource server
or client library would: jwcrypto verifies each token against the JWKS this server publishes."""

import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException
from oauth2_provider.models import get_access_token_model
from oauth2_provider.settings import oauth2_settings

from apps.audit.models import AuditEvent
from apps.oauth.models import Application
from tests.api.conftest import bearer
from tests.oauth.consent_support import redirect_query, screen_for, submit
from tests.oauth_flow import (
    CLIENT_SECRET,
    REDIRECT_URI,
    basic_auth,
    form_post,
    introspect,
    make_client,
    refresh,
    revoke,
    token_request,
)
from tests.resource_support import FILES, PHOTOS, register_resource_server

pytestmark = pytest.mark.django_db

AccessToken = get_access_token_model()
JWT = Application.AccessTokenFormat.JWT
OWN_API = "http://testserver/api/"


@pytest.fixture
def jwt_app(developer) -> Application:
    """The `application` fixture's twin whose developer chose JWT access tokens."""
    return make_client(
        developer,
        name="Photo Printer",
        grant_types=[Application.GRANT_AUTHORIZATION_CODE],
        allowed_scopes=["openid", "profile", "email", "read", "write", "read_profile", "write_profile"],
        access_token_format=JWT,
    )


@pytest.fixture
def machine_app(developer) -> Application:
    return make_client(
        developer,
        name="Nightly export",
        grant_types=[Application.GRANT_CLIENT_CREDENTIALS],
        allowed_scopes=["read", "write"],
        access_token_format=JWT,
    )


def jwks(client) -> jwk.JWKSet:
    """The key set as a resource server fetches it: the published document, nothing else."""
    response = client.get("/o/.well-known/jwks.json")
    assert response.status_code == 200
    return jwk.JWKSet.from_json(response.content)


def verified(client, token: str) -> jwt.JWT:
    """The token, its signature checked against the JWKS (jwcrypto picks the key by `kid`)."""
    return jwt.JWT(jwt=token, key=jwks(client), expected_type="JWS", algs=["RS256"])


def code_flow(client, user, app, *, scope="openid read", authorize_resources=(), token_resources=()):
    """Authorize in the browser (the consent form as rendered), then exchange the code."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    extra = {"resource": list(authorize_resources)} if authorize_resources else {}
    screen, verifier = screen_for(client, app, scope=scope, **extra)
    query = redirect_query(submit(client, screen) if screen.status_code == 200 else screen)
    client.logout()
    if "error" in query:
        return query
    data = [
        ("grant_type", "authorization_code"),
        ("code", query["code"]),
        ("redirect_uri", REDIRECT_URI),
        ("client_id", app.client_id),
        ("client_secret", CLIENT_SECRET),
        ("code_verifier", verifier),
        *[("resource", uri) for uri in token_resources],
    ]
    return form_post(client, reverse("oauth2_provider:token"), data)


def issued(client, user, app, **kwargs) -> dict:
    response = code_flow(client, user, app, **kwargs)
    assert response.status_code == 200, response.content
    return response.json()


def machine_token(client, app, **data):
    return token_request(
        client,
        {"grant_type": "client_credentials", "scope": "read", **data},
        **basic_auth(app.client_id, CLIENT_SECRET),
    )


def test_a_jwt_app_gets_an_rfc_9068_token_signed_with_the_published_key(client, user, jwt_app):
    tokens = issued(client, user, jwt_app)
    token = verified(client, tokens["access_token"])
    header, claims = json.loads(token.header), json.loads(token.claims)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "RS256"
    assert header["kid"] in {
        key["kid"] for key in json.loads(jwks(client).export(private_keys=False))["keys"]
    }
    discovery = client.get("/o/.well-known/openid-configuration").json()
    id_token = verified(client, tokens["id_token"])
    assert claims["iss"] == discovery["issuer"]
    assert claims["sub"] == json.loads(id_token.claims)["sub"] == str(user.pk)
    assert claims["aud"] == jwt_app.client_id
    assert claims["client_id"] == jwt_app.client_id
    assert claims["scope"] == "openid read"
    assert claims["exp"] - claims["iat"] == tokens["expires_in"]
    assert claims["auth_time"] == json.loads(id_token.claims)["auth_time"]
    assert len(claims["jti"]) >= 32
    assert "." not in tokens["refresh_token"]  # refresh tokens stay opaque


def test_every_jwt_has_its_own_jti(client, user, jwt_app):
    first, second = (
        json.loads(verified(client, issued(client, user, jwt_app)["access_token"]).claims) for _ in "ab"
    )
    assert first["jti"] != second["jti"]


def test_a_refreshed_token_is_a_jwt_with_the_same_subject(client, user, jwt_app):
    tokens = issued(client, user, jwt_app)
    refreshed = refresh(client, jwt_app, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.content
    before = json.loads(verified(client, tokens["access_token"]).claims)
    after = json.loads(verified(client, refreshed.json()["access_token"]).claims)
    assert after["sub"] == before["sub"] and after["auth_time"] == before["auth_time"]
    assert after["jti"] != before["jti"]


def test_a_client_credentials_jwt_names_the_client_as_its_subject(client, machine_app):
    response = machine_token(client, machine_app)
    assert response.status_code == 200, response.content
    claims = json.loads(verified(client, response.json()["access_token"]).claims)
    assert claims["sub"] == claims["client_id"] == claims["aud"] == machine_app.client_id
    assert "auth_time" not in claims


def test_an_opaque_app_still_gets_opaque_tokens(client, user, application):
    tokens = issued(client, user, application)
    assert tokens["access_token"].count(".") == 0


def test_a_jwt_is_stored_only_as_its_checksum(client, user, jwt_app):
    raw = issued(client, user, jwt_app)["access_token"]
    row = AccessToken.objects.get(token_checksum=hashlib.sha256(raw.encode()).hexdigest())
    assert row.token == ""
    assert not AccessToken.objects.filter(token__contains=raw[:40]).exists()


def test_the_api_accepts_a_jwt_and_refuses_it_once_revoked(client, user, jwt_app):
    raw = issued(client, user, jwt_app)["access_token"]
    assert client.get("/api/me/", headers=bearer(raw)).status_code == 200
    assert revoke(client, jwt_app, raw).status_code == 200
    assert client.get("/api/me/", headers=bearer(raw)).status_code == 401
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.TOKEN_REVOKED, user=user).exists()


def test_revoking_the_app_on_the_connected_apps_page_ends_its_jwts(client, user, jwt_app):
    raw = issued(client, user, jwt_app)["access_token"]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("oauth:connected-apps")).status_code == 200
    response = client.post(reverse("oauth:revoke-access", args=[jwt_app.client_id]))
    assert response.status_code in (200, 302, 303)
    client.logout()
    assert client.get("/api/me/", headers=bearer(raw)).status_code == 401


def test_a_warm_api_request_with_a_jwt_runs_no_sql(client, user, jwt_app, django_assert_num_queries):
    raw = issued(client, user, jwt_app, scope="openid read")["access_token"]
    assert client.get("/api/me/", headers=bearer(raw)).status_code == 200
    assert client.get("/api/me/", headers=bearer(raw)).status_code == 200
    with django_assert_num_queries(0):
        response = client.get("/api/me/", headers=bearer(raw))
    assert response.status_code == 200


def test_introspection_answers_for_a_jwt(client, user, jwt_app, introspecting_app):
    raw = issued(client, user, jwt_app)["access_token"]
    claims = json.loads(verified(client, raw).claims)
    answer = introspect(client, raw, client_id=introspecting_app.client_id).json()
    assert answer["active"] is True
    assert answer["client_id"] == claims["client_id"]
    assert answer["sub"] == claims["sub"]
    assert answer["scope"] == claims["scope"]
    assert abs(answer["exp"] - claims["exp"]) <= 1
    revoke(client, jwt_app, raw)
    assert introspect(client, raw, client_id=introspecting_app.client_id).json() == {"active": False}


# --- Resource indicators (RFC 8707) ----------------------------------------------------------


def test_a_resource_asked_at_authorize_becomes_the_audience(client, user, jwt_app, developer):
    register_resource_server(developer, PHOTOS)
    tokens = issued(client, user, jwt_app, authorize_resources=[PHOTOS])
    assert json.loads(verified(client, tokens["access_token"]).claims)["aud"] == PHOTOS
    # Meant for the photo service, so Gatehouse's own API refuses it (DOT's audience check).
    assert client.get("/api/me/", headers=bearer(tokens["access_token"])).status_code == 401


def test_a_token_for_gatehouses_own_api_works_there(client, user, jwt_app):
    tokens = issued(client, user, jwt_app, authorize_resources=[OWN_API])
    assert json.loads(verified(client, tokens["access_token"]).claims)["aud"] == OWN_API
    assert client.get("/api/me/", headers=bearer(tokens["access_token"])).status_code == 200


def test_the_token_request_may_narrow_the_authorized_resources(client, user, jwt_app, developer):
    register_resource_server(developer, PHOTOS)
    register_resource_server(developer, FILES)
    tokens = issued(client, user, jwt_app, authorize_resources=[PHOTOS, FILES], token_resources=[FILES])
    assert json.loads(verified(client, tokens["access_token"]).claims)["aud"] == FILES


def test_two_resources_make_a_list_audience(client, user, jwt_app, developer):
    register_resource_server(developer, PHOTOS)
    register_resource_server(developer, FILES)
    tokens = issued(client, user, jwt_app, authorize_resources=[PHOTOS, FILES])
    assert json.loads(verified(client, tokens["access_token"]).claims)["aud"] == [PHOTOS, FILES]


def test_an_unregistered_resource_is_refused_at_authorize(client, user, jwt_app):
    query = code_flow(client, user, jwt_app, authorize_resources=["https://evil.example.com/"])
    assert query["error"] == "invalid_target"


def test_a_resource_with_a_fragment_is_refused_at_authorize(client, user, jwt_app):
    query = code_flow(client, user, jwt_app, authorize_resources=["https://photos.example.com/api/#x"])
    assert query["error"] == "invalid_request"


def test_asking_at_token_for_more_than_was_authorized_is_invalid_target(client, user, jwt_app, developer):
    register_resource_server(developer, PHOTOS)
    register_resource_server(developer, FILES)
    response = code_flow(client, user, jwt_app, authorize_resources=[PHOTOS], token_resources=[FILES])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"


def test_a_code_authorized_for_no_resource_gets_none_at_token(client, user, jwt_app, developer):
    register_resource_server(developer, PHOTOS)
    response = code_flow(client, user, jwt_app, token_resources=[PHOTOS])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_target"


def test_a_refresh_may_narrow_but_never_widen_the_resources(client, user, jwt_app, developer):
    register_resource_server(developer, PHOTOS)
    register_resource_server(developer, FILES)
    tokens = issued(client, user, jwt_app, authorize_resources=[PHOTOS])
    widened = refresh(client, jwt_app, tokens["refresh_token"], resource=FILES)
    assert widened.status_code == 400
    assert widened.json()["error"] == "invalid_target"
    narrowed = refresh(client, jwt_app, tokens["refresh_token"], resource=PHOTOS)
    assert narrowed.status_code == 200, narrowed.content
    assert json.loads(verified(client, narrowed.json()["access_token"]).claims)["aud"] == PHOTOS


def test_a_machine_client_may_ask_for_a_registered_resource_only(client, machine_app, developer):
    register_resource_server(developer, PHOTOS)
    allowed = machine_token(client, machine_app, resource=PHOTOS)
    assert allowed.status_code == 200, allowed.content
    assert json.loads(verified(client, allowed.json()["access_token"]).claims)["aud"] == PHOTOS
    refused = machine_token(client, machine_app, resource="https://evil.example.com/")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_target"


def test_a_suspended_resource_server_is_no_longer_a_resource(client, machine_app, developer):
    server = register_resource_server(developer, PHOTOS)
    server.suspended = True
    server.save()
    assert machine_token(client, machine_app, resource=PHOTOS).json()["error"] == "invalid_target"


# --- Key rotation ---------------------------------------------------------------------------


def new_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def use_keys(settings, active: str, inactive: list[str]) -> None:
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": active,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": inactive,
    }
    oauth2_settings.reload()


def test_a_token_signed_by_a_rotated_out_key_verifies_until_the_key_is_removed(
    client, user, jwt_app, settings, rsa_private_key
):
    old_token = issued(client, user, jwt_app)["access_token"]
    successor = new_pem()
    use_keys(settings, successor, [rsa_private_key])
    new_token = issued(client, user, jwt_app)["access_token"]
    assert (
        jwt.JWT(jwt=new_token).token.jose_header["kid"] != (jwt.JWT(jwt=old_token).token.jose_header["kid"])
    )
    for raw in (old_token, new_token):
        verified(client, raw)
        assert client.get("/api/me/", headers=bearer(raw)).status_code == 200
    use_keys(settings, successor, [])
    with pytest.raises(JWException):
        verified(client, old_token)
    verified(client, new_token)
