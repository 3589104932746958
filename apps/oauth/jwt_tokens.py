"""JWT access tokens (RFC 9068) for the apps whose developer chose them.

DOT's `ACCESS_TOKEN_GENERATOR` hook makes every access token: a random string as before for
"opaque" apps, a JWT signed with the ID tokens' active key for "JWT" apps. Either way DOT then
stores the token the same way (its SHA-256 checksum, never the value), so the bearer cache,
revocation, introspection and the connected-apps page treat both alike. Refresh tokens stay
opaque (`REFRESH_TOKEN_GENERATOR`).
"""

import uuid
from functools import lru_cache

from django.utils import timezone
from jwcrypto import jwk, jwt
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import jwk_from_pem
from oauthlib.oauth2.rfc6749.tokens import random_token_generator

from apps.oauth import resources
from apps.oauth.models import Application

# RFC 9068 2.1: the media type of the header's `typ`.
TYPE = "at+jwt"
MACHINE_GRANT = "client_credentials"


@lru_cache(maxsize=4)
def _key(pem: str) -> jwk.JWK:
    return jwk_from_pem(pem)


def signing_key() -> jwk.JWK:
    """The active OIDC key; its `kid` is its thumbprint, as DOT's JWKS advertises it."""
    return _key(oauth2_settings.OIDC_RSA_PRIVATE_KEY)


def wants_jwt(client) -> bool:
    return getattr(client, "access_token_format", None) == Application.AccessTokenFormat.JWT


def claims(request) -> dict:
    """RFC 9068 2.2, for the token oauthlib is about to issue on `request`."""
    now = int(timezone.now().timestamp())
    client = request.client
    machine = request.grant_type == MACHINE_GRANT
    body = {
        "iss": oauth2_settings.oidc_issuer(request),
        # The subject ID tokens and userinfo name; a client acting as itself is its own (2.2).
        "sub": client.client_id if machine or request.user is None else str(request.user.pk),
        "aud": resources.audience(request),
        "client_id": client.client_id,
        "scope": " ".join(request.scopes or ()),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + int(request.expires_in),
    }
    # When the person really signed in: the code's or device's authorization (validator hooks).
    family = vars(request).get("_gatehouse_family")
    if family is not None and not machine:
        body["auth_time"] = int(family.auth_time.timestamp())
    return body


def generate_access_token(request, refresh_token: bool = False) -> str:
    """DOT's ACCESS_TOKEN_GENERATOR: a JWT for apps that chose it, else a random token."""
    if not wants_jwt(request.client):
        return random_token_generator(request)
    # `aud` needs the resources DOT settles only when saving the token: settle them now, with
    # Gatehouse's rule (apps.oauth.resources); saving repeats it, finding the same answer.
    oauth2_settings.OAUTH2_VALIDATOR_CLASS()._check_and_set_request_resource(request)
    key = signing_key()
    token = jwt.JWT(header={"alg": "RS256", "typ": TYPE, "kid": key.thumbprint()}, claims=claims(request))
    token.make_signed_token(key)
    return token.serialize()
