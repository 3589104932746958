"""Client authentication with a signed JWT: private_key_jwt (RFC 7523 2.2 and 3, OIDC Core 9).

The client sends `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
and `client_assertion`, a JWT it signed with a key whose public half it registered (a JWK Set,
apps.oauth.client_jwks). The validator's `authenticate_client` hands such a request here, so
every endpoint that authenticates clients (token, PAR, introspection, revocation, device
authorization) accepts it. Every refusal is `False`, which those endpoints answer with
`invalid_client` and 401; nothing a client sends can raise.
"""

import hashlib
import json
import logging
import time
from urllib.parse import urlsplit

from django.core.cache import cache
from django.urls import reverse
from jwcrypto import jws
from jwcrypto.common import JWException, base64url_decode
from oauth2_provider.settings import oauth2_settings

from apps.oauth import client_jwks, fapi, supported

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# An assertion is made for one request. It may live an hour at most (Authlib signs for an hour by
# default, and Okta allows no more), and its jti is remembered as long; clocks may differ by LEEWAY.
MAX_LIFETIME_SECONDS = 3600
LEEWAY_SECONDS = 30
MAX_ASSERTION_BYTES = 8 * 1024


class Refused(Exception):
    """Why an assertion does not authenticate its client (logged, never sent: invalid_client)."""


def presented(request) -> bool:
    """Whether the oauthlib request carries a client assertion (either of its two parameters)."""
    params = getattr(request, "_params", {})
    return bool(params.get("client_assertion") or params.get("client_assertion_type"))


def claimed_client_id(assertion) -> str | None:
    """The client an assertion claims to be (its `sub`), unverified: for rate limits only."""
    try:
        claims = json.loads(base64url_decode(assertion.split(".")[1]))
    except (ValueError, TypeError, IndexError, AttributeError, UnicodeDecodeError):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and len(sub) <= 255 else None


def authenticate(request, *, load_client) -> bool:
    """RFC 7523 3: whether the request's assertion authenticates the client it names; sets
    `request.client` as DOT's authentication does. `load_client(client_id, request)` is the
    validator's own loader."""
    try:
        application = _verify(request, load_client)
    except Refused as refusal:
        log.info("Client assertion refused: %s", refusal)
        request.client = None
        return False
    request.client = application
    request.client_id = application.client_id
    request._gatehouse_client_auth = supported.PRIVATE_KEY_JWT
    return True


def _verify(request, load_client):
    params = request._params
    if params.get("client_assertion_type") != ASSERTION_TYPE:
        raise Refused("unknown client_assertion_type")
    assertion = params.get("client_assertion")
    if not isinstance(assertion, str) or len(assertion) > MAX_ASSERTION_BYTES or assertion.count(".") != 2:
        raise Refused("client_assertion is not a compact JWT of a sensible size")
    headers = request.headers or {}
    if params.get("client_secret") or headers.get("HTTP_AUTHORIZATION") or headers.get("Authorization"):
        raise Refused("two authentication methods in one request (RFC 6749 2.3)")
    token = jws.JWS()
    try:
        token.deserialize(assertion)
        header = token.jose_header
        claims = json.loads(base64url_decode(assertion.split(".")[1]))
    except (JWException, ValueError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise Refused("not a compact JWS") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Refused("not a JWT")
    client_id = claims.get("sub")
    if not isinstance(client_id, str) or not client_id or claims.get("iss") != client_id:
        raise Refused("iss and sub must both be the client_id")
    if params.get("client_id") not in (None, client_id):
        raise Refused("client_id differs from the assertion's sub")
    application = load_client(client_id, request)
    if application is None or fapi.client_auth_method(application) != supported.PRIVATE_KEY_JWT:
        raise Refused("no such client, or it does not use private_key_jwt")
    alg = header.get("alg")
    if alg not in fapi.assertion_algorithms(application):
        raise Refused(f"alg {alg!r} is not accepted")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise Refused("kid must be a string")
    if not _signed_by_a_key(token, application, kid=kid, alg=alg):
        raise Refused("no registered key verifies the signature")
    expires = _check_times(claims)
    _check_audience(request, application, claims.get("aud"))
    _spend(application.client_id, claims.get("jti"), expires)
    return application


def _signed_by_a_key(token: jws.JWS, application, *, kid, alg) -> bool:
    for key in client_jwks.candidate_keys(application, kid=kid, alg=alg):
        try:
            token.verify(key, alg=alg)
        except (JWException, ValueError, TypeError):
            continue
        return True
    return False


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_times(claims: dict) -> float:
    """RFC 7523 3 (4, 5, 6): expires soon, not in the past; `nbf` and `iat` not in the future."""
    now = time.time()
    expires = claims.get("exp")
    if not _number(expires) or expires <= now - LEEWAY_SECONDS:
        raise Refused("exp missing or past")
    if expires > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise Refused("exp too far in the future")
    for name in ("nbf", "iat"):
        if name in claims and (not _number(claims[name]) or claims[name] > now + LEEWAY_SECONDS):
            raise Refused(f"{name} in the future")
    if _number(claims.get("iat")) and expires - claims["iat"] > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise Refused("lifetime too long")
    return expires


def accepted_audiences(request) -> set[str]:
    """RFC 7523 3 (3): values that identify this server. The issuer (RFC 8414, FAPI 2.0), the
    token endpoint's URL (OIDC Core 9), and the URL of the endpoint the assertion was sent to."""
    issuer = oauth2_settings.oidc_issuer(request)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(issuer))
    here = urlsplit(request.uri or "")
    return {
        issuer,
        origin + reverse("oauth2_provider:token"),
        f"{here.scheme}://{here.netloc}{here.path}",
    }


def _check_audience(request, application, audience) -> None:
    issuer = oauth2_settings.oidc_issuer(request)
    if fapi.enabled(application):
        # FAPI 2.0 5.3.2.1: only the issuer identifier, as a string.
        if audience != issuer:
            raise Refused("aud must be the issuer")
        return
    values = [audience] if isinstance(audience, str) else audience
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise Refused("aud missing or malformed")
    if not set(values) & accepted_audiences(request):
        raise Refused("aud names another server")


def _spend(client_id: str, jti, expires: float) -> None:
    """RFC 7523 3 (7): a `jti` is used once, on any node, until its assertion has expired."""
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise Refused("jti missing")
    key = "client-assertion:jti:" + hashlib.sha256(f"{client_id}\0{jti}".encode()).hexdigest()
    lifetime = max(int(expires - time.time()) + LEEWAY_SECONDS, 1)
    if not cache.add(key, 1, lifetime):
        raise Refused("jti replayed")
