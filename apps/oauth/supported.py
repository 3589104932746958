"""What this authorization server supports, stated once.

Discovery advertises these, the endpoints enforce them, the developer console explains and
offers them, and a system check (apps.oauth.checks) holds DOT's settings to them. Nothing
here imports a model: the models read this module too.
"""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_noop
from oauth2_provider.models import AbstractApplication

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 8693, served by apps.oauth.token_exchange (OAUTH2_SERVER_CLASS registers it with oauthlib).
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
# `grant_type` values the token endpoint accepts. The password and implicit grants do not
# exist here (RFC 9700 2.1.2, 2.4).
GRANT_TYPES = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
    DEVICE_CODE_GRANT,
    TOKEN_EXCHANGE_GRANT,
)
# The grants a developer may enable for an app, in the order the console offers them (DOT's
# names). Refresh tokens come with the code and device grants; hybrid never exists.
APPLICATION_GRANTS = (
    AbstractApplication.GRANT_AUTHORIZATION_CODE,
    AbstractApplication.GRANT_CLIENT_CREDENTIALS,
    AbstractApplication.GRANT_DEVICE_CODE,
    # Kept in Application.grant_types only: DOT's one-grant column knows no such choice.
    TOKEN_EXCHANGE_GRANT,
)
# Application grants that issue refresh tokens: only their refresh tokens may be refreshed.
REFRESHING_GRANTS = (
    AbstractApplication.GRANT_AUTHORIZATION_CODE,
    AbstractApplication.GRANT_DEVICE_CODE,
    TOKEN_EXCHANGE_GRANT,  # a native sign-in's; a downscoped token never comes with one
)

RESPONSE_TYPES = ("code",)
RESPONSE_MODES = ("query",)
PROMPT_VALUES = ("none", "login", "consent")
ID_TOKEN_SIGNING_ALGS = ("RS256",)
# OIDC Core 5.5: claims come with scopes only; a `claims` request parameter is refused, not
# half honoured (oauthlib would parse it and DOT store it, while no claim would follow it).
CLAIMS_PARAMETER_SUPPORTED = False
# English in the OAuth error; marked so the explainer can show it translated.
CLAIMS_NOT_SUPPORTED = gettext_noop(
    "The claims parameter is not supported: ask for claims with scopes (profile, email)."
)


def ui_locales() -> list[str]:
    """The languages the pages speak, for `ui_locales` (OIDC Core 3.1.2.1; discovery's
    ui_locales_supported, RFC 8414 2) and claims_locales_supported: settings.LANGUAGES."""
    return [code for code, _name in settings.LANGUAGES]


# Pushed authorization requests (RFC 9126) are offered to every client and required of none
# but those whose app says so (Application.require_pushed_authorization_requests).
REQUIRE_PUSHED_AUTHORIZATION_REQUESTS = False

# DPoP proofs (RFC 9449) are accepted from every client, and required by apps that say so
# (Application.dpop_required); the algorithms a proof may be signed with (apps.oauth.dpop).
DPOP_SIGNING_ALGS = ("ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA")

# PKCE is required of every client, with S256 only (RFC 9700 2.1.1).
CODE_CHALLENGE_METHODS = ("S256",)
# BASE64URL(SHA256(code_verifier)) is always 43 characters (RFC 7636 4.2).
S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
S256_CHALLENGE_PROBLEM = (
    "code_challenge must be 43 base64url characters: the S256 hash of the code_verifier (RFC 7636 4.2)."
)

# How a confidential client authenticates (RFC 6749 2.3.1, and a signed JWT per RFC 7523 and
# OIDC Core 9, apps.oauth.client_assertion); public clients send `none`.
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
PRIVATE_KEY_JWT = "private_key_jwt"
CLIENT_AUTH_METHODS = (*SECRET_AUTH_METHODS, PRIVATE_KEY_JWT)
TOKEN_ENDPOINT_AUTH_METHODS = (*CLIENT_AUTH_METHODS, "none")
# Asymmetric signatures only for client assertions: never `none`, never HS* (which would need a
# shared secret, and a public key taken as one would forge them). FAPI 2.0 5.4: PS256 or ES256.
CLIENT_ASSERTION_SIGNING_ALGS = ("RS256", "PS256", "ES256")
FAPI2_SIGNING_ALGS = ("PS256", "ES256")

# RFC 8707 lets `resource` repeat; every other parameter at most once (RFC 6749 3.1, 3.2).
REPEATABLE = frozenset({"resource"})

# Redirect URIs are https, except loopback ones for native apps.
REDIRECT_URI_SCHEMES = ("https",)
# RFC 8252 7.3: loopback IP literals over plain http, never the name "localhost" (8.3).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})

_LOOPBACK_ORIGIN = "|".join(re.escape(f"[{h}]" if ":" in h else h) for h in sorted(LOOPBACK_HOSTS))
# A loopback redirect URI with its port, when it has one a socket can listen on (1-65535,
# without leading zeros); group 1 is the URI's scheme and host.
_LOOPBACK_PORT = re.compile(
    rf"^(http://(?:{_LOOPBACK_ORIGIN}))"
    r"(?::(?:6553[0-5]|655[0-2]\d|65[0-4]\d{2}|6[0-4]\d{3}|[1-5]\d{4}|[1-9]\d{0,3}))?(?=[/?]|$)"
)


def is_loopback_uri(uri: str) -> bool:
    """`http://127.0.0.1…` or `http://[::1]…`, any port: an RFC 8252 7.3 loopback redirect URI.

    Raises ValueError for a URI that does not parse (as `urlsplit` does).
    """
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def redirect_uri_registered(uri: str, registered: list[str]) -> bool:
    """Whether `uri` is character for character one of `registered` (OIDC Core 3.1.2.1,
    RFC 9700 2.1); only a loopback URI's port may differ (RFC 8252 7.3)."""
    if uri in registered:
        return True
    bare = _LOOPBACK_PORT.sub(r"\1", uri)
    return any(_LOOPBACK_PORT.match(r) and _LOOPBACK_PORT.sub(r"\1", r) == bare for r in registered)
