"""The first middleware of all: every request gets an id, is counted, timed on the hot paths,
and (in JSON logs) leaves one access line.

It runs on every request, the machine endpoints included, so it does only cheap things: a
clock read, a random id, counters keyed by the URL name Django already resolved, and no
database or session access (the user is read only if something already loaded it).
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from apps.core import logs, metrics

access_log = logging.getLogger("gatehouse.access")


def view_label(request: HttpRequest) -> str:
    """The URL name that answered (`oauth2_provider:token`), never the path a client sent."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"  # WhiteNoise answers before URL resolution
    return "unmatched"


def loaded_user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id if the request already loaded the user (a page, DRF); never a
    session lookup of its own."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = user._wrapped
        if user is empty:
            return None
    return getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None


def client_id_of(request: HttpRequest) -> str | None:
    """The OAuth client involved: as the token endpoint read it, the app of the bearer token
    the API authenticated, or the one an authorization request names."""
    client_id = logs.current().get("client_id")
    if client_id is None:
        application = getattr(getattr(request, "auth", None), "application", None)
        client_id = getattr(application, "client_id", None)
    if client_id is None and request.path_info.startswith("/o/"):
        client_id = request.GET.get("client_id")
    return client_id[:100] if client_id else None


class RequestTelemetryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        # Only a proxy we sit behind may name the request; a client could forge any id.
        self.trust_request_id = settings.GATEHOUSE_BEHIND_PROXY

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = logs.request_id_for(request.headers.get("X-Request-ID"), trusted=self.trust_request_id)
        request.request_id = request_id
        token = logs.bind_request(request_id)
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response["X-Request-ID"] = request_id
            metrics.observe_request(
                view=view_label(request),
                method=request.method or "",
                status=response.status_code,
                path=request.path_info,
                seconds=seconds,
            )
            if access_log.isEnabledFor(logging.INFO):
                self.log_access(request, response, seconds)
            return response
        finally:
            logs.unbind_request(token)

    @staticmethod
    def log_access(request: HttpRequest, response: HttpResponse, seconds: float) -> None:
        duration_ms = round(seconds * 1000, 1)
        access_log.info(
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "user_id": loaded_user_id(request),
                "client_id": client_id_of(request),
                "path": request.path,
                "method": request.method,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
