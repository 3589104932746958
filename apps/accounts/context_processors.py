import functools

from django.http import HttpRequest

from apps.accounts.navigation import settings_nav


def settings_navigation(request: HttpRequest) -> dict:
    """`settings_nav` for templates/accounts/settings_base.html, whichever app's page extends it.

    A callable, so the links are built only by a template that shows them; the current link
    follows the URL name the request resolved to.
    """
    match = getattr(request, "resolver_match", None)
    return {"settings_nav": functools.partial(settings_nav, match.view_name if match else "")}
