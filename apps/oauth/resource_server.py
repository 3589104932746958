"""Resource-server mode, JWT access tokens (RFC 9068 4): checked here, without introspection.

With `GATEHOUSE_RESOURCE_SERVER_AUDIENCE` set (this service's resource identifier, RFC 8707),
a bearer token that is a JWT is validated locally: signature against the issuer's JWKS (fetched
over HTTP with a timeout, kept in the shared cache, fetched again for an unknown `kid` at most
once per JWKS_REFETCH_SECONDS), `typ` at+jwt, `iss`, `aud`, `exp`.

Revocation still reaches us within `RESOURCE_SERVER_TOKEN_CACHING_SECONDS` (N): a token younger
than N seconds cannot have been revoked longer ago than that, so it needs no question; an older
one is confirmed at the introspection endpoint at most once every N seconds per `jti` (the
answer kept in the shared cache). A token used only in its first N seconds costs no round trip
at all, and a forged, expired or misdirected one is refused without one.

Anything else (an opaque token, or no audience configured) goes through DOT's introspection.
"""

import hashlib
import json
import logging
from datetime import UTC, datetime

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException
from oauth2_provider.models import get_access_token_model
from oauth2_provider.settings import oauth2_settings

log = logging.getLogger(__name__)

AccessToken = get_access_token_model()

JWKS_CACHE_SECONDS = 300
JWKS_REFETCH_SECONDS = 10
JWKS_TIMEOUT_SECONDS = 5
CLOCK_LEEWAY_SECONDS = 5
JWKS_KEY = "gatehouse:rs:jwks"
REFETCH_KEY = "gatehouse:rs:jwks-refetch"
LIVE_KEY = "gatehouse:rs:jti:"
TYPES = frozenset({"at+jwt", "application/at+jwt"})  # RFC 9068 4: case-insensitive


def enabled() -> bool:
    return bool(
        settings.GATEHOUSE_RESOURCE_SERVER_AUDIENCE and oauth2_settings.RESOURCE_SERVER_INTROSPECTION_URL
    )


def issuer() -> str:
    """The issuer whose tokens we accept: as configured, else the introspection URL's `/o`."""
    if settings.GATEHOUSE_RESOURCE_SERVER_ISSUER:
        return settings.GATEHOUSE_RESOURCE_SERVER_ISSUER
    return oauth2_settings.RESOURCE_SERVER_INTROSPECTION_URL.rstrip("/").removesuffix("/introspect")


def _fetch_jwks() -> str | None:
    url = f"{issuer()}/.well-known/jwks.json"
    try:
        response = requests.get(url, timeout=JWKS_TIMEOUT_SECONDS)
        response.raise_for_status()
        jwk.JWKSet.from_json(response.text)  # refuse to cache what is not a key set
    except (requests.RequestException, JWException, ValueError):
        log.warning("Resource server: could not fetch the issuer's JWKS at %s", url)
        return None
    cache.set(JWKS_KEY, response.text, JWKS_CACHE_SECONDS)
    return response.text


def _keys(kid: str) -> jwk.JWKSet | None:
    """The issuer's key set holding `kid`: cached, fetched again when `kid` is new to it."""
    document = cache.get(JWKS_KEY) or _fetch_jwks()
    if document is None:
        return None
    keys = jwk.JWKSet.from_json(document)
    # An unknown kid: the issuer may have rotated. Ask again, but not for every forged token.
    if keys.get_key(kid) is None and cache.add(REFETCH_KEY, 1, JWKS_REFETCH_SECONDS):
        document = _fetch_jwks()
        keys = jwk.JWKSet.from_json(document) if document is not None else keys
    return keys if keys.get_key(kid) is not None else None


def _verified_claims(token: str) -> dict | None:
    try:
        header = jwt.JWT(jwt=token).token.jose_header
    except (JWException, ValueError, TypeError):
        return None
    if (
        str(header.get("typ", "")).lower() not in TYPES
        or header.get("alg") != "RS256"
        or not header.get("kid")
    ):
        return None
    keys = _keys(header["kid"])
    if keys is None:
        return None
    checked = jwt.JWT(
        algs=["RS256"],
        expected_type="JWS",
        check_claims={
            "iss": issuer(),
            "aud": settings.GATEHOUSE_RESOURCE_SERVER_AUDIENCE,
            "exp": None,
            "iat": None,
            "jti": None,
        },
    )
    checked.leeway = CLOCK_LEEWAY_SECONDS
    try:
        checked.deserialize(token, keys)
        return json.loads(checked.claims)
    except (JWException, ValueError, TypeError):
        return None


def _still_live(token: str, claims: dict, validator) -> bool:
    """False once the issuer has revoked it (RFC 7009): known within N seconds (module doc)."""
    window = oauth2_settings.RESOURCE_SERVER_TOKEN_CACHING_SECONDS
    now = timezone.now().timestamp()
    if now - claims["iat"] < window:
        return True
    key = LIVE_KEY + str(claims["jti"])
    state = cache.get(key)
    if state is None:
        answer = validator._get_token_from_authentication_server(
            token,
            oauth2_settings.RESOURCE_SERVER_INTROSPECTION_URL,
            oauth2_settings.RESOURCE_SERVER_AUTH_TOKEN,
            oauth2_settings.RESOURCE_SERVER_INTROSPECTION_CREDENTIALS,
        )
        state = "live" if answer is not None else "revoked"
        # A revocation is for good; a live answer holds for N seconds.
        ttl = max(1, int(claims["exp"] - now)) if state == "revoked" else window
        cache.set(key, state, ttl)
    return state == "live"


def validate(token: str, scopes, request, validator) -> bool:
    """RFC 9068 4 and RFC 6750: set the oauthlib request up as DOT's check does, or refuse."""
    claims = _verified_claims(token)
    if claims is None or not _still_live(token, claims, validator):
        request.oauth2_error = {"error": "invalid_token", "error_description": "The access token is invalid."}
        return False
    audience = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # An unsaved row: what the API reads of a token (scopes, expiry, audience), never stored.
    access_token = AccessToken(
        scope=str(claims.get("scope", "")),
        expires=datetime.fromtimestamp(claims["exp"], tz=UTC),
        token_checksum=hashlib.sha256(token.encode()).hexdigest(),  # the API throttles by it
        resource=audience,
        user=None,
        application=None,
    )
    if not access_token.is_valid(scopes):
        request.oauth2_error = {
            "error": "insufficient_scope",
            "error_description": "The access token lacks a scope this request needs.",
        }
        return False
    request.client = request.user = None
    request.scopes = list(access_token.scopes)
    request.access_token = access_token
    return True
