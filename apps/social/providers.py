"""The social sign-in providers this deployment offers, with the name and mark people see.

A provider is enabled when its social-auth backend is in AUTHENTICATION_BACKENDS, which
settings do only when its keys are configured.
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string
from social_core.backends.base import BaseAuth
from social_core.utils import setting_name

ICONS = {
    "google-oauth2": "img/providers/google.svg",
    "github": "img/providers/github.svg",
    "facebook": "img/providers/facebook.svg",
}
DEFAULT_ICON = "img/providers/oidc.svg"


@dataclass(frozen=True)
class Provider:
    name: str  # social-auth backend name, as stored in UserSocialAuth.provider
    title: str
    icon: str  # static path


@cache
def _backend_class(path: str) -> type | None:
    backend = import_string(path)
    return backend if isinstance(backend, type) and issubclass(backend, BaseAuth) else None


def _title(backend: type[BaseAuth]) -> str:
    return getattr(settings, setting_name(backend.name, "TITLE"), None) or backend.title or backend.name


def enabled_providers() -> list[Provider]:
    """Configured providers, in the order of AUTHENTICATION_BACKENDS."""
    providers = []
    for path in settings.AUTHENTICATION_BACKENDS:
        backend = _backend_class(path)
        if backend is not None:
            providers.append(Provider(backend.name, _title(backend), ICONS.get(backend.name, DEFAULT_ICON)))
    return providers


def get_provider(name: str) -> Provider | None:
    return next((p for p in enabled_providers() if p.name == name), None)


def provider_title(name: str) -> str:
    """A provider's display name, also for identities of a provider no longer configured."""
    provider = get_provider(name)
    return provider.title if provider else name.replace("-oauth2", "").replace("-", " ").title()
