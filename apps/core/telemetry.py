"""The first middleware of all: every request is counted, and timed on the hot paths.

It runs on every request, the machine endpoints included, so it does only cheap things: a
clock read, and counters keyed by the URL name Django already resolved.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.core import metrics


def view_label(request: HttpRequest) -> str:
    """The URL name that answered (`oauth2_provider:token`), never the path a client sent."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"  # WhiteNoise answers before URL resolution
    return "unmatched"


class RequestTelemetryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        metrics.observe_request(
            view=view_label(request),
            method=request.method or "",
            status=response.status_code,
            path=request.path_info,
            seconds=time.perf_counter() - started,
        )
        return response
