"""Display filters for sessions and sign-ins: pure text formatting, no queries."""

from django import template

from apps.accounts.devices import describe_location, describe_user_agent, device_kind

register = template.Library()


@register.filter
def device_name(user_agent: str) -> str:
    """{{ session.user_agent|device_name }} → 'Firefox on Windows'."""
    return describe_user_agent(user_agent or "")


@register.filter
def place(ip: str | None) -> str:
    """{{ session.ip|place }} → 'Berlin, Germany', 'Local network' or ''."""
    return describe_location(ip)


@register.filter
def device_icon(user_agent: str) -> str:
    """{{ session.user_agent|device_icon }} → 'phone' or 'computer'."""
    return device_kind(user_agent)
