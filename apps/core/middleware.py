from collections.abc import Callable

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.cache import add_never_cache_headers

# No inline scripts anywhere: htmx is a static file and its config sits in a <meta> tag.
POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Sets a strict Content-Security-Policy unless a view has set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


class PrivatePagesMiddleware:
    """Pages shown to a signed-in person are never cached, by the browser's back button included:
    they show e-mail addresses, sessions and, once, new secrets."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            add_never_cache_headers(response)
        return response


# Where machines, not people, are on the other end: every answer there is JSON.
MACHINE_PATHS = (
    "/api/",
    "/o/token/",
    "/o/revoke_token/",
    "/o/introspect/",
    "/o/userinfo/",
    "/o/device-authorization/",
    "/o/.well-known/",
    "/.well-known/",
)


def machine_error(status: int, error: str, description: str) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["Cache-Control"] = "no-store"
    return response


class UnreadableRequestMiddleware:
    """A request Django cannot read (a broken multipart body, too many fields, too large) gets a
    JSON error on the API and the OAuth endpoints, like every other answer there, instead of
    Django's HTML 400 and a logged traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(MACHINE_PATHS):
            return None
        if isinstance(exception, RequestDataTooBig):
            return machine_error(413, "request_too_large", "The request body is too large.")
        if isinstance(exception, (MultiPartParserError, SuspiciousOperation, BadRequest)):
            return machine_error(400, "invalid_request", "The request body could not be read.")
        return None
