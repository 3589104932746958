"""System checks of our own, beside DOT's RFC 9700 ones (`manage.py check`, `check --deploy`)."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from oauth2_provider.settings import oauth2_settings

from apps.oauth import supported

# DOT's settings that say, for DOT's own checks and views, what apps.oauth.supported says for ours.
AGREEING_SETTINGS = {
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": supported.CODE_CHALLENGE_METHODS == ("S256",),
    "OAUTH2_GRANT_TYPES_SUPPORTED": set(supported.GRANT_TYPES),
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": set(supported.RESPONSE_TYPES),
    "OIDC_RESPONSE_TYPES_SUPPORTED": set(supported.RESPONSE_TYPES),
    "OAUTH2_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": set(supported.TOKEN_ENDPOINT_AUTH_METHODS),
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": set(supported.TOKEN_ENDPOINT_AUTH_METHODS),
    # Plain http is for loopback URIs only, which the Application model adds per URI.
    "ALLOWED_REDIRECT_URI_SCHEMES": set(supported.REDIRECT_URI_SCHEMES),
    "ALLOWED_SCHEMES": set(supported.REDIRECT_URI_SCHEMES),
    "ALLOW_URI_WILDCARDS": False,
}


@register(Tags.security)
def settings_agree_with_what_is_supported(app_configs, **kwargs) -> list[Error]:
    """OAUTH2_PROVIDER must say what apps.oauth.supported says: DOT's own checks and views read
    the settings, discovery and our endpoints read the module, and both must tell one story."""
    errors = []
    for name, expected in AGREEING_SETTINGS.items():
        value = getattr(oauth2_settings, name)
        actual = set(value) if isinstance(expected, set) and isinstance(value, list | tuple) else value
        if actual != expected:
            shown = sorted(expected) if isinstance(expected, set) else expected
            errors.append(
                Error(
                    f"OAUTH2_PROVIDER[{name!r}] is {value!r}, but apps.oauth.supported says {shown!r}.",
                    hint="Change the setting, or change apps/oauth/supported.py and what reads it.",
                    id="gatehouse.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def signing_key_from_the_environment(app_configs, **kwargs) -> list[Warning]:
    """Every node must sign with the same key: a key generated into ./var is one node's own."""
    if settings.GATEHOUSE_OIDC_KEY_FROM_ENVIRONMENT:
        return []
    return [
        Warning(
            "The OpenID Connect signing key was generated into GATEHOUSE_VAR_DIR on this machine.",
            hint="Set GATEHOUSE_OIDC_RSA_PRIVATE_KEY (or _FILE) to one key that every node shares.",
            id="gatehouse.W001",
        )
    ]


@register(Tags.security)
def server_serves_every_grant(app_configs, **kwargs) -> list[Error]:
    """Discovery advertises supported.GRANT_TYPES: OAUTH2_SERVER_CLASS must dispatch each one
    (a server class that is not apps.oauth.token_exchange.GatehouseServer drops RFC 8693)."""
    server = oauth2_settings.OAUTH2_SERVER_CLASS(
        oauth2_settings.OAUTH2_VALIDATOR_CLASS(), **oauth2_settings.server_kwargs
    )
    missing = sorted(set(supported.GRANT_TYPES) - set(getattr(server, "grant_types", {})))
    if not missing:
        return []
    return [
        Error(
            f"OAUTH2_PROVIDER['OAUTH2_SERVER_CLASS'] serves no {', '.join(missing)}, "
            "which apps.oauth.supported advertises.",
            hint="Subclass apps.oauth.token_exchange.GatehouseServer, or stop advertising the grant.",
            id="gatehouse.E002",
        )
    ]
