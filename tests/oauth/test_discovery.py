"""Discovery (OIDC Discovery 1.0, RFC 8414) and the JWKS: exactly what the server does."""

import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.urls import resolve
from jwcrypto import jwk
from oauth2_provider.settings import oauth2_settings

pytestmark = pytest.mark.django_db

DISCOVERY = "/o/.well-known/openid-configuration"
GRANT_TYPES = {
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
}


def test_discovery_is_json_at_its_well_known_url_without_redirect(client):
    response = client.get(DISCOVERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["issuer"] == "http://testserver/o"


def test_discovery_issuer_is_exactly_the_configured_issuer(client, settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": "https://id.example.com/o"}
    document = client.get(DISCOVERY).json()
    assert document["issuer"] == "https://id.example.com/o"
    assert document["token_endpoint"] == "https://id.example.com/o/token/"
    assert (
        client.get("/.well-known/oauth-authorization-server/o").json()["issuer"] == "https://id.example.com/o"
    )


def test_discovery_advertises_only_what_is_supported(client):
    document = client.get(DISCOVERY).json()
    assert document["response_types_supported"] == ["code"]
    assert document["response_modes_supported"] == ["query"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert set(document["grant_types_supported"]) == GRANT_TYPES
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert document["subject_types_supported"] == ["public"]
    assert set(document["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "none",
    }
    assert set(document["introspection_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert document["authorization_response_iss_parameter_supported"] is True
    # Members whose defaults would promise features Gatehouse does not have.
    assert document["request_uri_parameter_supported"] is False
    assert document["request_parameter_supported"] is False
    assert document["claims_parameter_supported"] is False


def test_discovery_lists_every_endpoint_and_each_one_is_served(client):
    document = client.get(DISCOVERY).json()
    names = [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "introspection_endpoint",
        "device_authorization_endpoint",
        "end_session_endpoint",
    ]
    for name in names:
        url = urlsplit(document[name])
        assert url.netloc == "testserver", name
        resolve(url.path)


def test_discovery_lists_the_released_claims_and_scopes(client):
    document = client.get(DISCOVERY).json()
    assert {
        "sub",
        "name",
        "preferred_username",
        "picture",
        "website",
        "email",
        "email_verified",
        "auth_time",
    } <= set(document["claims_supported"])
    assert {"openid", "profile", "email", "read", "write", "read_profile", "write_profile", "admin"} <= set(
        document["scopes_supported"]
    )


@pytest.mark.parametrize(
    "path", ["/.well-known/oauth-authorization-server/o", "/o/.well-known/oauth-authorization-server"]
)
def test_rfc8414_metadata_agrees_with_discovery(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == client.get(DISCOVERY).json()


def test_rfc8414_metadata_for_another_issuer_path_is_404(client):
    assert client.get("/.well-known/oauth-authorization-server/tenant-b").status_code == 404


def test_rfc8414_root_document_is_404_for_an_issuer_with_a_path(client):
    # RFC 8414 3.3: its issuer (…/o) would differ from the issuer its URL names (the host).
    assert client.get("/.well-known/oauth-authorization-server").status_code == 404


def test_rfc8414_root_document_serves_an_issuer_without_a_path(client, settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": "https://id.example.com"}
    response = client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    assert response.json()["issuer"] == "https://id.example.com"
    assert client.get("/.well-known/oauth-authorization-server/o").status_code == 404


def test_jwks_publishes_the_active_and_the_rotated_out_keys(client, settings):
    old = new_private_key()
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [old]}

    keys = client.get("/o/.well-known/jwks.json").json()["keys"]

    active = jwk.JWK.from_pem(oauth2_settings.OIDC_RSA_PRIVATE_KEY.encode())
    assert [k["kid"] for k in keys] == [active.thumbprint(), jwk.JWK.from_pem(old.encode()).thumbprint()]
    for key in keys:
        assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key), "private key material published"


def test_inactive_keys_come_from_the_environment_variable(tmp_path, settings):
    key = new_private_key()
    env = {
        **_clean_env(),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "GATEHOUSE_VAR_DIR": str(tmp_path),
        "GATEHOUSE_OIDC_RSA_PRIVATE_KEYS_INACTIVE": f"{key}\n\n{key}",
    }
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(len(settings.OAUTH2_PROVIDER['OIDC_RSA_PRIVATE_KEYS_INACTIVE']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
        cwd=settings.BASE_DIR,
    )
    assert result.stdout.strip() == "2"


def test_discovery_is_readable_cross_origin(client):
    assert client.get(DISCOVERY)["Access-Control-Allow-Origin"] == "*"
    assert json.loads(client.get("/o/.well-known/jwks.json").content)["keys"]


def new_private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


def _clean_env() -> dict:
    import os

    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GATEHOUSE_") and k not in ("DATABASE_URL", "REDIS_URL")
    }


@pytest.mark.parametrize(
    "path", [DISCOVERY, "/o/.well-known/jwks.json", "/.well-known/oauth-authorization-server/o"]
)
def test_read_only_documents_answer_post_with_405_not_a_csrf_error(path, db):
    response = Client(enforce_csrf_checks=True).post(path)
    assert response.status_code == 405
    assert "GET" in response["Allow"]
