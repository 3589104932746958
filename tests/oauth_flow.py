"""Drive the real authorization-code + PKCE flow through the Django test client.

Tokens in tests are always issued by DOT this way, never created by hand.
"""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, quote_plus, urlencode, urlparse

from django.test import Client
from django.urls import reverse

REDIRECT_URI = "https://printer.example.com/callback"
CLIENT_SECRET = "test-client-secret-" + "x" * 40
FORM = "application/x-www-form-urlencoded"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(application, *, scope: str, challenge: str, **extra) -> dict:
    return {
        "response_type": "code",
        "client_id": application.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }


def approve(client: Client, application, *, scope: str, challenge: str, **extra) -> dict:
    """POST the consent form with `allow`; return the query of the redirect to the client."""
    params = authorize_params(application, scope=scope, challenge=challenge, **extra)
    response = client.get(reverse("oauth2_provider:authorize"), params)
    if response.status_code == 200:
        response = client.post(
            reverse("oauth2_provider:authorize"), {**params, "allow": "Authorize", "granted": scope.split()}
        )
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def form_post(client: Client, url: str, data: dict | list, **extra):
    """POST `data` form-encoded, as RFC 6749 says clients send it (the test client's default is multipart)."""
    return client.post(url, urlencode(data, doseq=True), content_type=FORM, **extra)


def basic_auth(client_id: str, secret: str) -> dict:
    """The HTTP Basic header of RFC 6749 2.3.1 (each part form-encoded first), as test-client kwargs."""
    credentials = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials).decode()}


def exchange_code(client: Client, application, *, code: str, verifier: str, secret: str = CLIENT_SECRET):
    return form_post(
        client,
        reverse("oauth2_provider:token"),
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": application.client_id,
            "client_secret": secret,
            "code_verifier": verifier,
        },
    )


def obtain_tokens(client: Client, *, user, application, scope: str) -> dict:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    verifier, challenge = pkce_pair()
    query = approve(client, application, scope=scope, challenge=challenge)
    response = exchange_code(client, application, code=query["code"], verifier=verifier)
    assert response.status_code == 200, response.content
    client.logout()
    return response.json()


def make_client(owner, *, name: str, grant_types: list[str], secret: str | None = CLIENT_SECRET, **fields):
    """Another registered client, its secret (if any) stored as a ClientSecret row like every secret."""
    from apps.core.scopes import ALL_SCOPES
    from apps.oauth.models import Application
    from apps.oauth.secrets import create_client_secret

    fields.setdefault("client_type", Application.CLIENT_CONFIDENTIAL if secret else Application.CLIENT_PUBLIC)
    fields.setdefault("allowed_scopes", list(ALL_SCOPES))
    fields.setdefault(
        "redirect_uris", REDIRECT_URI if Application.GRANT_AUTHORIZATION_CODE in grant_types else ""
    )
    application = Application.objects.create(
        name=name,
        user=owner,
        authorization_grant_type=grant_types[0],
        grant_types=grant_types,
        client_secret="",
        hash_client_secret=False,
        algorithm=Application.RS256_ALGORITHM,
        **fields,
    )
    if secret:
        create_client_secret(application=application, value=secret)
    return application


def token_request(client: Client, data: dict, **extra):
    return form_post(client, reverse("oauth2_provider:token"), data, **extra)


def refresh(client: Client, application, refresh_token: str, *, secret: str = CLIENT_SECRET, **data):
    return token_request(
        client,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": application.client_id,
            "client_secret": secret,
            **data,
        },
    )


def revoke(client: Client, application, token: str, *, secret: str = CLIENT_SECRET, **data):
    return form_post(
        client,
        reverse("oauth2_provider:revoke-token"),
        {"token": token, "client_id": application.client_id, "client_secret": secret, **data},
    )


def introspect(client: Client, token: str, *, client_id: str, secret: str = CLIENT_SECRET):
    return form_post(
        client, reverse("oauth2_provider:introspect"), {"token": token}, **basic_auth(client_id, secret)
    )
