import base64
import binascii
from urllib.parse import unquote_plus, urlencode

from allauth.account.adapter import get_adapter
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django_htmx.middleware import HtmxDetails

# Where `basic_credentials` keeps its answer on the request (Django never uses the name).
_BASIC_CACHE = "_gatehouse_basic_credentials"


class HtmxHttpRequest(HttpRequest):
    """An HttpRequest as django-htmx's middleware leaves it (for type hints)."""

    htmx: HtmxDetails


def see_other_as_get(request: HttpRequest) -> HttpResponseRedirect:
    """A 303 to the same URL with the POSTed parameters as its query: protocol requests that may
    come by POST (OIDC authorization, RP-initiated logout) are then answered as the GET they
    equal, where the SameSite=Lax session cookie comes along too."""
    query = urlencode([(key, value) for key, values in request.POST.lists() for value in values])
    response = HttpResponseRedirect(f"{request.path}?{query}")
    response.status_code = 303
    return response


def basic_credentials_present(request: HttpRequest) -> bool:
    return request.META.get("HTTP_AUTHORIZATION", "").strip()[:6].lower() == "basic "


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    """The client id and secret in an HTTP Basic header, decoded as DOT decodes them (RFC 6749 2.3.1).

    Decoded once per request: the NUL guard, the rate limit, the parameter guard and CORS all ask.
    """
    if not hasattr(request, _BASIC_CACHE):
        setattr(request, _BASIC_CACHE, _decode_basic(request))
    return getattr(request, _BASIC_CACHE)


def _decode_basic(request: HttpRequest) -> tuple[str, str] | None:
    if not basic_credentials_present(request):
        return None
    try:
        decoded = base64.b64decode(request.META["HTTP_AUTHORIZATION"].strip()[6:].strip()).decode()
    except (binascii.Error, ValueError):
        return None
    client_id, separator, secret = decoded.partition(":")
    return (unquote_plus(client_id), unquote_plus(secret)) if separator else None


def client_ip(request: HttpRequest | None) -> str | None:
    """The address of whoever sent `request`, as allauth sees it (and rate-limits it): behind a
    proxy (GATEHOUSE_BEHIND_PROXY, so ALLAUTH_TRUSTED_PROXY_COUNT), the one the proxy saw."""
    if request is None:
        return None
    try:
        return get_adapter().get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):  # no address at all, or a malformed header
        return request.META.get("REMOTE_ADDR") or None
