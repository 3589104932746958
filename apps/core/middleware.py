import functools
from collections.abc import Callable
from contextlib import suppress

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.module_loading import import_string

from apps.core.http import basic_credentials

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
    they show email addresses, sessions and, once, new secrets."""

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
    "/o/par/",
    "/o/.well-known/",
    "/.well-known/",
    "/metrics",
)


# Pages under a machine prefix: people read them in a browser, with a session.
PEOPLE_PATHS = ("/api/docs/",)


def is_machine_request(request: HttpRequest) -> bool:
    return request.path.startswith(MACHINE_PATHS) and not request.path.startswith(PEOPLE_PATHS)


def for_people(dotted_path: str) -> type:
    """The middleware class at `dotted_path`, run for people's requests only: a machine request
    (the API, the OAuth protocol endpoints) has no session, cookie, message or HTMX header.

    Django has no per-path middleware. This subclass (so checks that look for a middleware class,
    such as the admin's, still find it) delegates to an instance of the wrapped one, or skips it.
    """
    wrapped_class = import_string(dotted_path)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.wrapped = wrapped_class(get_response)
        # Django registers only the hooks an instance has: offer exactly the wrapped one's.
        for name in ("process_view", "process_exception", "process_template_response"):
            if hasattr(self.wrapped, name):
                setattr(self, name, functools.partial(_people_only_hook, getattr(self.wrapped, name)))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_machine_request(request):
            return self.get_response(request)
        return self.wrapped(request)

    namespace = {
        "__init__": __init__,
        "__call__": __call__,
        "__doc__": f"{dotted_path}, for people's requests only.",
        # Synchronous, whatever the wrapped one is: Django adapts it under ASGI.
        "sync_capable": True,
        "async_capable": False,
    }
    return type(f"ForPeople{wrapped_class.__name__}", (wrapped_class,), namespace)


def _people_only_hook(hook: Callable, request: HttpRequest, *args):
    return None if is_machine_request(request) else hook(request, *args)


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


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
UNREADABLE = (BadRequest, MultiPartParserError, UnreadablePostError)


def unreadable_body_response(
    request: HttpRequest, exception: Exception, *, description: str = "The request body could not be read."
) -> HttpResponse:
    """The 400 (413 when too large) a path normally answers with: JSON for machines, a page for people."""
    too_large = isinstance(exception, RequestDataTooBig)
    if request.path.startswith(MACHINE_PATHS):
        if too_large:
            return machine_error(413, "request_too_large", "The request body is too large.")
        return machine_error(400, "invalid_request", description)
    context = {"too_large": too_large}
    return TemplateResponse(request, "400.html", context, status=413 if too_large else 400).render()


class UnreadableBodyMiddleware:
    """Reads a form body once, first: one Django cannot decode (a charset other than UTF-8, a
    broken multipart body) is answered here. Left to CSRF, the error handler's own CSRF check
    would read the body again and fail with a bare 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                request.POST  # noqa: B018 - parse now; Django keeps the result for everyone after
            except SuspiciousOperation:
                pass  # too large or too many fields: each path already answers that its own way
            except UNREADABLE as exception:
                return unreadable_body_response(request, exception)
        return self.get_response(request)


def _carries_nul(request: HttpRequest) -> bool:
    """Whether any part of the request a view or library might look up in the database holds a
    NUL character: PostgreSQL text can't, and would answer with an error instead of a miss."""
    parts = [request.path, request.META.get("HTTP_ORIGIN", ""), *request.COOKIES.values()]
    parts += [item for key, values in request.GET.lists() for item in (key, *values)]
    if request.content_type in FORM_TYPES:
        # Unreadable: the view (or UnreadableRequestMiddleware) answers that.
        with suppress(MultiPartParserError, SuspiciousOperation, BadRequest):
            parts += [item for key, values in request.POST.lists() for item in (key, *values)]
    parts += [request.META.get("HTTP_AUTHORIZATION", ""), *(basic_credentials(request) or ())]
    return any("\x00" in part for part in parts)


class NulCharacterMiddleware:
    """Refuses any request carrying a NUL character, before sessions, CSRF, allauth, DOT or DRF
    look anything up with it (on PostgreSQL that lookup would be a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _carries_nul(request):
            return self.get_response(request)
        description = "Requests may not contain NUL characters."
        if request.path.startswith(MACHINE_PATHS):
            return machine_error(400, "invalid_request", description)
        return HttpResponseBadRequest(description, content_type="text/plain; charset=utf-8")
