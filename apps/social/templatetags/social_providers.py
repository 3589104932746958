from django import template

from apps.social.providers import Provider, enabled_providers

register = template.Library()


@register.simple_tag
def social_providers() -> list[Provider]:
    """The configured sign-in providers (from settings; no database access)."""
    return enabled_providers()
