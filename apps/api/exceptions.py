"""One error shape for the whole API, with RFC 6750 challenges on 401 and 403.

Every error body is `{"error": <code>, "error_description": <text>}`, plus `scope` on
`insufficient_scope`, `fields` on `invalid_request` with field errors, and `retry_after`
on `rate_limited`. The codes follow RFC 6749/6750 where one exists.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy
from oauth2_provider.www_authenticate import build_bearer_challenge
from rest_framework import exceptions
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from apps.api.permissions import InsufficientScope
from apps.oauth import dpop

REALM = "api"


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "request_too_large"


CODES = [
    (InsufficientScope, "insufficient_scope"),
    (exceptions.NotAuthenticated, "invalid_token"),
    (exceptions.AuthenticationFailed, "invalid_token"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.ValidationError, "invalid_request"),
    (exceptions.ParseError, "invalid_request"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "rate_limited"),
    (RequestTooLarge, "request_too_large"),
]


def error_code(exc: Exception) -> str:
    for exc_class, code in CODES:
        if isinstance(exc, exc_class):
            return code
    return getattr(exc, "default_code", "error")


def _description(data) -> str:
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    return "The request is not valid; see `fields`."


def api_exception_handler(exc: Exception, context: dict):
    """DRF's handler, with the body reshaped and the `WWW-Authenticate` challenge completed."""
    if isinstance(exc, DjangoValidationError):  # from a service (one validation, two callers)
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    elif isinstance(exc, RequestDataTooBig):  # past DATA_UPLOAD_MAX_MEMORY_SIZE, while parsing
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):  # too many fields or files, a broken multipart body
        exc = exceptions.ParseError(f"The request body was refused: {exc}")
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context["request"]
    code = error_code(exc)
    body = {"error": code, "error_description": _description(response.data)}
    if isinstance(exc, exceptions.ValidationError):
        body["fields"] = (
            response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        )
    if code == "invalid_token":
        # DOT (or the API-key class) leaves the reason, e.g. "The access token has expired."
        reason = {"error": "invalid_token", **(getattr(request, "oauth2_error", None) or {})}
        reason.setdefault("error_description", body["error_description"])
        body["error_description"] = str(reason["error_description"])
        response["WWW-Authenticate"] = build_bearer_challenge(request, oauth2_error=reason, realm=REALM)
        # RFC 9449 7.1: a request that used DPoP, or was refused for it, gets a DPoP challenge.
        for header, value in (dpop.challenge(request._request, reason, realm=REALM) or {}).items():
            response[header] = value
        if getattr(request._request, "gatehouse_dpop_error", None) is not None:
            body["error"] = request._request.gatehouse_dpop_error.error
    elif isinstance(exc, InsufficientScope):
        body["scope"] = " ".join(exc.scopes)
        reason = {"error": code, "error_description": body["error_description"], "scope": body["scope"]}
        response["WWW-Authenticate"] = build_bearer_challenge(request, oauth2_error=reason, realm=REALM)
    elif isinstance(exc, exceptions.Throttled):
        body["retry_after"] = int(response["Retry-After"])
    response.data = body
    return response
