"""Deployment checks of our own, beside DOT's RFC 9700 ones (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


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
