"""Guards around DOT's machine endpoints: one error shape, one body format, CORS, limits.

Every error is RFC 6749 5.2 JSON with `Cache-Control: no-store`; repeated parameters are
refused; failed HTTP Basic authentication is challenged with `Basic`; floods are limited.
"""

import json

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.cache import patch_vary_headers
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views.metadata import ServerMetadataViewMixin

from apps.audit.services import client_ip
from apps.core.http import basic_credentials, basic_credentials_present
from apps.oauth import client_assertion, supported
from apps.oauth.models import Application
from apps.oauth.ratelimit import check_endpoint

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# RFC 6749 asks for form encoding; multipart carries the same fields and some clients send it.
BODY_CONTENT_TYPES = (FORM_CONTENT_TYPE, "multipart/form-data")


def oauth_error(error: str, description: str, *, status: int = 400) -> JsonResponse:
    """An RFC 6749 section 5.2 error response."""
    return JsonResponse({"error": error, "error_description": description}, status=status)


def basic_client_id(request: HttpRequest) -> str | None:
    credentials = basic_credentials(request)
    return credentials[0] if credentials else None


def endpoint_url(request: HttpRequest, name: str) -> str:
    """An absolute URL on the issuer's host, as DOT's discovery builds them."""
    return ServerMetadataViewMixin()._get_endpoint_url(request, name, required=True)


def origin_registered(origin: str, application: Application | None = None) -> bool:
    """Whether `application` (when the request names none: any app) registered `origin` for CORS."""
    if application is not None:
        return bool(application.origin_allowed(origin))
    candidates = Application.objects.filter(allowed_origins__contains=origin.rstrip("/"))
    return any(app.origin_allowed(origin) for app in candidates)


def named_client(request: HttpRequest) -> Application | None:
    """The client a token-endpoint-style request names, by Basic header or body (unauthenticated)."""
    try:
        client_id = basic_client_id(request) or request.POST.get("client_id")
    except (MultiPartParserError, SuspiciousOperation):
        return None  # an unreadable body was already answered
    return Application.objects.filter(client_id=client_id).first() if client_id else None


class OwnOAuthLibCoreMixin:
    """For a view with its own server or validator: DOT caches the oauthlib core on whichever
    class it finds it on, so such a view keeps its core on its own class, apart from DOT's."""

    @classmethod
    def get_oauthlib_core(cls):
        if "_oauthlib_core" not in cls.__dict__ or oauth2_settings.ALWAYS_RELOAD_OAUTHLIB_CORE:
            cls._oauthlib_core = cls.get_oauthlib_backend_class()(cls.get_server())
        return cls._oauthlib_core


class CorsMixin:
    """CORS for browser apps at the origins their app registered, as oauthlib does at the token
    endpoint: a preflight answer, and `Access-Control-Allow-Origin` echoing an allowed origin.
    No cookies are involved (Bearer and client credentials only), so no `Allow-Credentials`."""

    cors_methods = "POST"

    def cors_application(self, request: HttpRequest) -> Application | None:
        """The app whose registered origins apply to this request, when the request names one."""
        return None

    def dispatch(self, request, *args, **kwargs):
        origin = request.headers.get("Origin")
        if request.method == "OPTIONS" and origin and "Access-Control-Request-Method" in request.headers:
            response = HttpResponse(status=204)
            if origin_registered(origin):
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Allow-Methods"] = self.cors_methods
                response["Access-Control-Allow-Headers"] = "Authorization, Content-Type, DPoP"  # RFC 9449
                response["Access-Control-Max-Age"] = "600"
        else:
            response = super().dispatch(request, *args, **kwargs)
            if origin and origin_registered(origin, self.cors_application(request)):
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Expose-Headers"] = "DPoP-Nonce, WWW-Authenticate"
        patch_vary_headers(response, ["Origin"])
        return response


class EndpointGuardMixin:
    """Guards shared by the token, device-authorization, introspection and revocation endpoints."""

    rate_limit_bucket = ""
    # RFC 8707 lets `resource` repeat; every other parameter at most once (RFC 6749 3.1, 3.2).
    repeatable = supported.REPEATABLE

    def dispatch(self, request, *args, **kwargs):
        response = self.refuse(request) or super().dispatch(request, *args, **kwargs)
        return self.finish(response)

    def refuse(self, request: HttpRequest) -> HttpResponse | None:
        """An error response for a request DOT should never see, or None."""
        if request.method == "OPTIONS":
            return None
        return self.refuse_form(request) or self.refuse_flood(request) or self.refuse_parameters(request)

    def refuse_form(self, request: HttpRequest) -> HttpResponse | None:
        """RFC 6749 3.2: a POST with form-encoded parameters in the body, and nothing else."""
        if request.method != "POST":
            response = oauth_error("invalid_request", "This endpoint only accepts POST.", status=405)
            response["Allow"] = "POST"
            return response
        if request.META.get("QUERY_STRING"):
            return oauth_error("invalid_request", "Send parameters in the request body, not in the URL.")
        has_body = request.META.get("CONTENT_LENGTH") not in (None, "", "0")
        if has_body and request.content_type not in BODY_CONTENT_TYPES:
            return oauth_error("invalid_request", f"The request body must be {FORM_CONTENT_TYPE}.")
        try:
            request.POST.lists()
        except (BadRequest, SuspiciousOperation, UnreadablePostError, MultiPartParserError, ValueError):
            return oauth_error("invalid_request", "The request body could not be read.")
        return None

    def refuse_flood(self, request: HttpRequest) -> HttpResponse | None:
        client_id, secret = basic_credentials(request) or (
            request.POST.get("client_id"),
            request.POST.get("client_secret"),
        )
        if not client_id and "client_assertion" in request.POST:
            # Counted per client and address: each assertion is new, so it cannot key the count.
            client_id = client_assertion.claimed_client_id(request.POST["client_assertion"])
        retry_after = check_endpoint(
            self.rate_limit_bucket,
            address=client_ip(request) or "unknown",
            client_id=client_id,
            secret=secret,
        )
        if not retry_after:
            return None
        response = oauth_error("slow_down", f"Too many requests; retry in {retry_after} seconds.", status=429)
        response["Retry-After"] = str(retry_after)
        return response

    def refuse_parameters(self, request: HttpRequest) -> HttpResponse | None:
        for name, values in request.POST.lists():
            if len(values) > 1 and name not in self.repeatable:
                return oauth_error("invalid_request", f"The {name} parameter may appear only once.")
        if basic_credentials_present(request):
            # RFC 6749 2.3: one authentication method per request, for one client.
            if "client_secret" in request.POST:
                return oauth_error("invalid_request", "Use one client authentication method, not two.")
            basic_id = basic_client_id(request)
            if basic_id and request.POST.get("client_id", basic_id) != basic_id:
                return oauth_error("invalid_client", "The client_id does not match the authenticated client.")
        return None

    def finish(self, response: HttpResponse) -> HttpResponse:
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        if response.status_code < 400:
            return response
        try:
            error = json.loads(response.content).get("error")
        except (ValueError, AttributeError):
            error = None
        if not error:
            response = self.finish(
                oauth_error("invalid_request", "The request was refused.", status=response.status_code)
            )
        elif error == "invalid_client":
            # RFC 6749 5.2: answer failed client authentication with 401 and the scheme clients
            # may use; oauthlib sends a Bearer challenge, which no client can answer here.
            response.status_code = 401
            response["WWW-Authenticate"] = 'Basic realm="OAuth", charset="UTF-8"'
        return response
