"""Drive the real authorization-code + PKCE flow through the Django test client.

Tokens in tests are always issued by DOT this way, never created by hand.
"""

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlparse

from django.test import Client
from django.urls import reverse

REDIRECT_URI = "https://printer.example.com/callback"
CLIENT_SECRET = "test-client-secret-" + "x" * 40


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
        response = client.post(reverse("oauth2_provider:authorize"), {**params, "allow": "Authorize"})
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    assert location.startswith(REDIRECT_URI), location
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def exchange_code(client: Client, application, *, code: str, verifier: str, secret: str = CLIENT_SECRET):
    return client.post(
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
