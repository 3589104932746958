"""A client's public keys for private_key_jwt: a pasted JWK Set, or one fetched from its jwks_uri.

Only public signing keys are accepted (RSA of at least 2048 bits, EC P-256), each with its own
`kid`. A jwks_uri is https (plain http only on a loopback address, for development), fetched
through apps.core.safe_fetch (no private addresses unless GATEHOUSE_VERIFICATION_ALLOW_PRIVATE),
with a timeout and a size limit; the answer is cached for every node, and fetched again when an
assertion names a `kid` it lacks (key rotation), at most once a minute per URI.
"""

import hashlib
import json
import logging
from urllib.parse import urlsplit

from django.core.cache import cache
from django.utils.translation import gettext as _
from jwcrypto import jwk
from jwcrypto.common import JWException

from apps.core import safe_fetch
from apps.oauth import supported

log = logging.getLogger(__name__)

MAX_KEYS = 10
MAX_BYTES = 64 * 1024
TIMEOUT_SECONDS = 5
# How long a fetched JWK Set is trusted, and how often an unknown `kid` may fetch it again.
CACHE_SECONDS = 300
REFETCH_SECONDS = 60
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# Which algorithms a key of each type can verify.
ALGS_FOR_KEY = {"RSA": {"RS256", "PS256"}, "EC": {"ES256"}}


class JwksError(ValueError):
    """Why a JWK Set cannot be used, in words the developer can act on."""


def parse_jwks(value) -> list[dict]:
    """The keys of a JWK Set (a dict or its JSON text), validated; JwksError otherwise."""
    if isinstance(value, str | bytes):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise JwksError(_('This is not JSON: paste a JWK Set, {"keys": [...]}.')) from exc
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list) or not value["keys"]:
        raise JwksError(_('A JWK Set is an object with a non-empty "keys" list.'))
    keys = value["keys"]
    if len(keys) > MAX_KEYS:
        raise JwksError(_("At most %(count)d keys, please.") % {"count": MAX_KEYS})
    seen = set()
    for key in keys:
        _check_key(key)
        if key["kid"] in seen:
            raise JwksError(_("Two keys share the kid %(kid)s: each needs its own.") % {"kid": key["kid"]})
        seen.add(key["kid"])
    return keys


def _check_key(key) -> None:
    if not isinstance(key, dict):
        raise JwksError(_("Each key must be a JSON object (a JWK)."))
    kid = key.get("kid")
    if not isinstance(kid, str) or not kid.strip() or len(kid) > 200:
        raise JwksError(_("Each key needs a kid, which your assertions name in their header."))
    if PRIVATE_MEMBERS & set(key):
        raise JwksError(
            _(
                "The key %(kid)s is a private or secret key: register only public keys, and keep the private one."
            )
            % {"kid": kid}
        )
    kty = key.get("kty")
    if kty not in ALGS_FOR_KEY:
        raise JwksError(_("The key %(kid)s must be an RSA or EC key.") % {"kid": kid})
    alg = key.get("alg")
    if alg is not None and alg not in ALGS_FOR_KEY[kty] & set(supported.CLIENT_ASSERTION_SIGNING_ALGS):
        raise JwksError(
            _("The key %(kid)s has alg %(alg)s; use RS256, PS256 or ES256.") % {"kid": kid, "alg": alg}
        )
    if key.get("use") not in (None, "sig"):
        raise JwksError(_("The key %(kid)s is not a signing key (use must be sig).") % {"kid": kid})
    try:
        parsed = jwk.JWK(**key)
    except (JWException, ValueError, TypeError) as exc:
        raise JwksError(_("The key %(kid)s could not be read as a JWK.") % {"kid": kid}) from exc
    if kty == "RSA" and parsed.get_op_key("verify").key_size < 2048:
        raise JwksError(_("The RSA key %(kid)s is shorter than 2048 bits.") % {"kid": kid})
    if kty == "EC" and key.get("crv") != "P-256":
        raise JwksError(_("The EC key %(kid)s must be on the P-256 curve (ES256).") % {"kid": kid})


def check_jwks_uri(uri: str) -> None:
    """https, or http on a loopback address (development); JwksError otherwise."""
    try:
        parts = urlsplit(uri)
        loopback = supported.is_loopback_uri(uri)
    except ValueError as exc:
        raise JwksError(_("This address could not be read.")) from exc
    if parts.scheme != "https" and not loopback:
        raise JwksError(_("Use an https:// address (plain http only on 127.0.0.1 or [::1])."))
    if parts.username or parts.password or parts.fragment:
        raise JwksError(_("The address must not carry a user name, password or #fragment."))


def _cache_key(uri: str, what: str) -> str:
    return f"client-jwks:{what}:{hashlib.sha256(uri.encode()).hexdigest()}"


def fetch_jwks(uri: str) -> list[dict]:
    """The keys published at `uri`, fetched now; JwksError when they cannot be."""
    check_jwks_uri(uri)
    try:
        body = safe_fetch.fetch_small(
            uri,
            max_bytes=MAX_BYTES,
            timeout=TIMEOUT_SECONDS,
            user_agent="Gatehouse-JWKS/1",
            accept="application/jwk-set+json, application/json",
        )
    except safe_fetch.FetchError as exc:
        raise JwksError(str(exc)) from exc
    return parse_jwks(body)


def _published_keys(uri: str, *, refresh: bool) -> list[dict]:
    """The keys at `uri`, from the shared cache unless `refresh` (then fetched, rate-limited)."""
    key = _cache_key(uri, "keys")
    cached = cache.get(key)
    if cached is not None and not refresh:
        return cached
    if cached is not None and not cache.add(_cache_key(uri, "refetch"), 1, REFETCH_SECONDS):
        return cached  # fetched again within the minute already: an unknown kid stays unknown
    try:
        keys = fetch_jwks(uri)
    except JwksError as exc:
        log.info("Could not fetch a client's JWK Set: %s", exc)
        return cached or []
    cache.set(key, keys, CACHE_SECONDS)
    return keys


def registered_keys(application) -> list[dict]:
    """The keys pasted for `application` ([] for anything but a JWK Set, however it was saved)."""
    jwks = application.jwks
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    return [key for key in keys if isinstance(key, dict)] if isinstance(keys, list) else []


def candidate_keys(application, *, kid: str | None, alg: str) -> list[jwk.JWK]:
    """The application's keys that may have signed an assertion with this header."""
    if application.jwks:
        matching = _matching(registered_keys(application), kid, alg)
    elif application.jwks_uri:
        keys = _published_keys(application.jwks_uri, refresh=False)
        matching = _matching(keys, kid, alg)
        if not matching and kid is not None:
            matching = _matching(_published_keys(application.jwks_uri, refresh=True), kid, alg)
    else:
        return []
    result = []
    for key in matching:
        try:
            result.append(jwk.JWK(**key))
        except (JWException, ValueError, TypeError):
            continue
    return result


def _matching(keys: list[dict], kid: str | None, alg: str) -> list[dict]:
    if not isinstance(keys, list):
        return []
    return [
        key
        for key in keys
        if isinstance(key, dict)
        and (kid is None or key.get("kid") == kid)
        and alg in ALGS_FOR_KEY.get(key.get("kty"), ())
        and key.get("alg") in (None, alg)
        and not PRIVATE_MEMBERS & set(key)
    ]
