"""Google, GitHub, Facebook and an OpenID Connect provider, faked at the HTTP layer (`responses`).

Each fake answers what social-core asks during the callback: the token endpoint, then the
user's profile. `begin()` starts the real flow through social_django and returns the
parameters of the authorization request it sent the browser to.
"""

import json
import time
from urllib.parse import parse_qs, urlparse

import jwt
import responses
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.test import Client
from django.urls import reverse
from jwt.algorithms import RSAAlgorithm

OIDC_ISSUER = "https://id.example.org"
FB = "https://graph.facebook.com/v24.0"


def begin(client: Client, provider: str, **data) -> dict:
    response = client.post(reverse("social:begin", args=[provider]), data)
    assert response.status_code == 302, response.content[:300]
    return {k: v[0] for k, v in parse_qs(urlparse(response["Location"]).query).items()}


def complete(client: Client, provider: str, params: dict, **query):
    query = {"code": "provider-code", "state": params.get("state", ""), **query}
    return client.get(reverse("social:complete", args=[provider]), query)


class Fake:
    name = ""
    token_url = ""
    verifies_email = True

    def __init__(self, rsps: responses.RequestsMock):
        self.rsps = rsps

    def token(self, params: dict, *, status: int = 200) -> None:
        body = {"access_token": f"{self.name}-access", "token_type": "bearer", "expires_in": 3600}
        self.rsps.add(self.token_method, self.token_url, json=body if status == 200 else {}, status=status)

    token_method = responses.POST

    def profile(self, *, uid: str, email: str, verified: bool = True, name: str = "Ada Lovelace") -> None:
        raise NotImplementedError

    def person(
        self, params: dict, *, uid="uid-1", email="ada@example.com", verified=True, name="Ada Lovelace"
    ):
        """Mock a successful callback for this person."""
        self.token(params)
        self.profile(uid=uid, email=email, verified=verified, name=name)


class FakeGoogle(Fake):
    name = "google-oauth2"
    token_url = "https://accounts.google.com/o/oauth2/token"
    userinfo_url = "https://www.googleapis.com/oauth2/v3/userinfo"

    def profile(self, *, uid, email, verified=True, name="Ada Lovelace"):
        given, _, family = name.partition(" ")
        self.rsps.get(
            self.userinfo_url,
            json={
                "sub": uid,
                "email": email,
                "email_verified": verified,
                "name": name,
                "given_name": given,
                "family_name": family,
                "picture": "https://lh3.googleusercontent.example/a/photo.png",
            },
        )


class FakeGithub(Fake):
    name = "github"
    token_url = "https://github.com/login/oauth/access_token"

    def profile(self, *, uid, email, verified=True, name="Ada Lovelace", emails=None):
        self.rsps.get(
            "https://api.github.com/user",
            json={
                "id": uid,
                "login": "ada",
                "name": name,
                "email": None,
                "avatar_url": "https://avatars.githubusercontent.example/u/1",
            },
        )
        if emails is None:
            emails = [{"email": email, "primary": True, "verified": verified, "visibility": "private"}]
        self.rsps.get("https://api.github.com/user/emails", json=emails)


class FakeFacebook(Fake):
    name = "facebook"
    token_url = f"{FB}/oauth/access_token"
    token_method = responses.GET
    verifies_email = False

    def profile(self, *, uid, email, verified=True, name="Ada Lovelace"):
        given, _, family = name.partition(" ")
        self.rsps.get(
            f"{FB}/me",
            json={
                "id": uid,
                "name": name,
                "email": email,
                "first_name": given,
                "last_name": family,
                "picture": {"data": {"is_silhouette": True, "url": "https://fb.example/p.jpg"}},
            },
        )


class FakeOidc(Fake):
    """A generic OpenID Connect provider: discovery, JWKS, signed ID tokens, userinfo."""

    name = "oidc"
    token_url = f"{OIDC_ISSUER}/token"

    def __init__(self, rsps, private_key_pem: str):
        super().__init__(rsps)
        self.key = private_key_pem
        public_key = load_pem_private_key(private_key_pem.encode(), password=None).public_key()
        jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True) | {
            "kid": "test-key",
            "alg": "RS256",
            "use": "sig",
        }
        rsps.get(
            f"{OIDC_ISSUER}/.well-known/openid-configuration",
            json={
                "issuer": OIDC_ISSUER,
                "authorization_endpoint": f"{OIDC_ISSUER}/authorize",
                "token_endpoint": self.token_url,
                "userinfo_endpoint": f"{OIDC_ISSUER}/userinfo",
                "jwks_uri": f"{OIDC_ISSUER}/jwks",
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            },
        )
        rsps.get(f"{OIDC_ISSUER}/jwks", json={"keys": [jwk]})
        self.claims: dict = {}

    def id_token(self, params: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": OIDC_ISSUER,
            "aud": "oidc-client",
            "iat": now,
            "exp": now + 300,
            "nonce": params["nonce"],
            **self.claims,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "test-key"})

    def token(self, params, *, status=200):
        if status != 200:
            self.rsps.post(self.token_url, json={"error": "server_error"}, status=status)
            return
        self.rsps.add_callback(
            responses.POST,
            self.token_url,
            callback=lambda request: (
                200,
                {},
                json.dumps(
                    {
                        "access_token": "oidc-access",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": self.id_token(params),
                    }
                ),
            ),
        )

    def profile(self, *, uid, email, verified=True, name="Ada Lovelace"):
        self.claims = {"sub": uid}
        self.rsps.get(
            f"{OIDC_ISSUER}/userinfo",
            json={
                "sub": uid,
                "email": email,
                "email_verified": verified,
                "name": name,
                "preferred_username": email.split("@")[0],
            },
        )
