"""The FAPI 2.0 Security Profile switch of an application: its rules, stated and enforced here.

An app with `fapi2` on is held, by every endpoint that asks this module, to the profile's rules
for the authorization server (FAPI 2.0 Security Profile 5.3.2; docs/fapi2.md says which clauses
are met): pushed authorization requests only, PKCE with S256 (every app already), confidential
clients authenticating with private_key_jwt signed PS256 or ES256 whose `aud` is the issuer,
sender-constrained (DPoP) tokens, `response_type=code`, https redirect URIs, and authorization
codes that live at most 60 seconds. Nothing here imports a model: models.py reads this module.
"""

from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from apps.oauth import supported

# FAPI 2.0 5.3.2.1: "shall issue authorization codes with a maximum lifetime of 60 seconds".
CODE_LIFETIME_SECONDS = 60

# What the console lists when the switch is on, one plain sentence per rule.
RULES = (
    _("Sign-in requests must be pushed to /o/par/ first (PAR, RFC 9126)."),
    _("PKCE with S256 on every sign-in (Gatehouse asks this of every app)."),
    _("Your server authenticates with private_key_jwt, signed with PS256 or ES256; no client secret."),
    _("Client assertions name the issuer as their audience."),
    _("Tokens are bound to your app's DPoP key (RFC 9449)."),
    _("Only response_type=code; redirect URIs use https."),
    _("Authorization codes expire after 60 seconds."),
)


def enabled(application) -> bool:
    return bool(getattr(application, "fapi2", False))


def requires_par(application) -> bool:
    """RFC 9126 6 per app: its own switch, or FAPI 2.0 5.3.2.1 ("shall reject authorization
    requests sent without PAR")."""
    return enabled(application) or bool(application.require_pushed_authorization_requests)


def requires_dpop(application) -> bool:
    """FAPI 2.0 5.3.2.1: only sender-constrained access tokens. The DPoP module supplies the
    app's own `dpop_required`; its checks ask this function, so the FAPI switch turns DPoP on."""
    return enabled(application) or bool(getattr(application, "dpop_required", False))


def client_auth_method(application) -> str:
    """The token-endpoint authentication method the app must use: `none` for a public client,
    private_key_jwt under FAPI 2.0 (5.3.2.1), else the one registered ("" is a secret either way)."""
    if application.client_type == application.CLIENT_PUBLIC:
        return "none"
    if enabled(application):
        return supported.PRIVATE_KEY_JWT
    return application.token_endpoint_auth_method or ""


def assertion_algorithms(application) -> tuple[str, ...]:
    """FAPI 2.0 5.4.1: PS256 or ES256 (or EdDSA, which we do not verify) under the profile."""
    return supported.FAPI2_SIGNING_ALGS if enabled(application) else supported.CLIENT_ASSERTION_SIGNING_ALGS


def code_lifetime_seconds(application, default: int) -> int:
    return min(default, CODE_LIFETIME_SECONDS) if enabled(application) else default


def authorization_problem(application, credentials: dict) -> tuple[str, str] | None:
    """Why the authorization endpoint refuses this app's request under the profile, if it does.

    PAR, PKCE and the response type are checked where every app's are; the redirect URI is
    registered https (the console refuses others), and is checked again here for a row saved
    before the switch was turned on."""
    if not enabled(application):
        return None
    redirect_uri = credentials.get("redirect_uri") or ""
    if urlsplit(redirect_uri).scheme != "https":
        return "invalid_request", "FAPI 2.0 clients must use an https redirect URI."
    return None


def registration_problems(*, client_type: str, auth_method: str, redirect_uris: list[str]) -> dict[str, str]:
    """What an app's settings lack for the profile: {field: message}, empty when none."""
    problems = {}
    if client_type != supported.AbstractApplication.CLIENT_CONFIDENTIAL:
        problems["client_type"] = _("FAPI 2.0 is for confidential clients only: your server must hold a key.")
    elif auth_method != supported.PRIVATE_KEY_JWT:
        problems["token_endpoint_auth_method"] = _(
            "FAPI 2.0 needs private_key_jwt: choose it and register your public keys."
        )
    if insecure := [uri for uri in redirect_uris if urlsplit(uri).scheme != "https"]:
        problems["redirect_uris"] = _("FAPI 2.0 allows https redirect URIs only, not %(uris)s.") % {
            "uris": ", ".join(insecure)
        }
    return problems
