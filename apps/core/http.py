from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django_htmx.middleware import HtmxDetails


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
