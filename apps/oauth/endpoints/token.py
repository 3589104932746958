"""The token, revocation and introspection endpoints (RFC 6749 3.2, RFC 7009, RFC 7662)."""

import json
from contextlib import suppress

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider import views as dot_views
from oauth2_provider.compat import login_not_required
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.signals import app_authorized
from oauth2_provider.utils import parse_bearer_token
from oauthlib.common import Request as OauthlibRequest
from oauthlib.common import urlencode as oauthlib_urlencode

from apps.core import logs, metrics
from apps.core.http import basic_credentials_present
from apps.oauth import dpop, supported
from apps.oauth.endpoints.guards import (
    BODY_CONTENT_TYPES,
    CorsMixin,
    EndpointGuardMixin,
    basic_client_id,
    named_client,
    oauth_error,
)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class TokenView(CorsMixin, EndpointGuardMixin, dot_views.TokenView):
    rate_limit_bucket = "token"

    def cors_application(self, request):
        # oauthlib allows the origin on success only; errors must be readable by the app too.
        return named_client(request)

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if request.method == "POST":
            observe(request, response)
        return response

    def post(self, request, *args, **kwargs):
        grant_type = request.POST.get("grant_type")
        if not grant_type:
            return oauth_error("invalid_request", "The grant_type parameter is required.")
        if grant_type not in supported.GRANT_TYPES:
            return oauth_error("unsupported_grant_type", f"The {grant_type!r} grant is not supported.")
        # Device codes too go through oauthlib, which authenticates the client before looking
        # at the code; DOT's shortcut reports a code's status to anyone who sends it.
        if grant_type == "client_credentials":
            return self.authorization_flow_token_response(request)  # no code or token to lock
        # One transaction per token request: the rows the validator locks (the code's token
        # family, the refresh token) stay locked until DOT has also looked up the token it
        # issued, so a concurrent use of the same code or refresh token waits, then finds it
        # spent and revokes what it produced, and never deletes a token still being answered.
        with transaction.atomic():
            return self.authorization_flow_token_response(request)

    def create_token_response(self, request):
        # DPoP (RFC 9449 5): a proof is checked before oauthlib runs; what it issues is bound to its key.
        try:
            proof = dpop.check_token_request(request)
        except dpop.DPoPError as refused:
            return None, *dpop.token_error(refused)
        with dpop.token_request_proof(proof):
            url, headers, body, status = super().create_token_response(request)
        dpop.fresh_nonce_for(proof, headers)
        return url, headers, body, status

    def authorization_flow_token_response(self, request, *args, **kwargs):
        if app_authorized.has_listeners(type(self)):
            return super().authorization_flow_token_response(request, *args, **kwargs)
        # DOT reads the token it just saved back from the database only to send app_authorized,
        # which nothing here listens to: answer without that SELECT.
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response


def observe(request: HttpRequest, response: HttpResponse) -> None:
    """Every answer of the token endpoint, refusals by the guards included, in one place (DOT's
    `app_authorized` signal would see successes only): counted, and its client in the logs."""
    grant_type, client_id = "", basic_client_id(request)
    if request.content_type in BODY_CONTENT_TYPES:
        with suppress(BadRequest, SuspiciousOperation, UnreadablePostError, MultiPartParserError, ValueError):
            # An unreadable body was refused already.
            grant_type = request.POST.get("grant_type", "")
            client_id = client_id or request.POST.get("client_id")
    # The client as the request names it: authenticated or not, that is who called.
    logs.bind(client_id=client_id)
    error = None
    if response.status_code != 200:
        try:
            error = json.loads(response.content).get("error") or "other"
        except (ValueError, AttributeError):
            error = "other"
    metrics.token_grant(
        grant_type=grant_type if grant_type in supported.GRANT_TYPES else "other", error=error
    )


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class RevokeTokenView(CorsMixin, EndpointGuardMixin, dot_views.RevokeTokenView):
    rate_limit_bucket = "revocation"

    def cors_application(self, request):
        return named_client(request)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class IntrospectTokenView(EndpointGuardMixin, dot_views.IntrospectTokenView):
    """RFC 7662, for resource servers only: clients that staff marked `is_resource_server`, or
    a bearer token carrying the `introspection` scope. Other apps cannot read others' tokens."""

    rate_limit_bucket = "introspection"
    client_auth = "absent"

    def authenticate_client(self, request):
        if not (basic_credentials_present(request) or {"client_id", "client_assertion"} & set(request.POST)):
            return False
        core = self.get_oauthlib_core()
        oauthlib_request = OauthlibRequest(
            request.build_absolute_uri(),
            request.method,
            oauthlib_urlencode(core.extract_body(request)),
            core.extract_headers(request),
        )
        if not core.server.request_validator.authenticate_client(oauthlib_request):
            self.client_auth = "failed"
            return False
        if not oauthlib_request.client.is_resource_server:
            self.client_auth = "forbidden"
            return False
        self.client_auth = "ok"
        return True

    def unauthenticated_response(self, request, oauthlib_request=None):
        if self.client_auth == "forbidden":
            return oauth_error(
                "unauthorized_client",
                "Only clients registered as resource servers may introspect tokens.",
                status=403,
            )
        if self.client_auth == "failed" or not parse_bearer_token(request.META.get("HTTP_AUTHORIZATION")):
            return oauth_error("invalid_client", "Client authentication failed.", status=401)
        error = (getattr(oauthlib_request, "oauth2_error", None) or {}).get("error", "invalid_token")
        response = oauth_error(
            error,
            "The bearer token may not introspect tokens.",
            status=403 if error == "insufficient_scope" else 401,
        )
        response["WWW-Authenticate"] = f'Bearer error="{error}", scope="introspection"'
        return response

    def post(self, request, *args, **kwargs):
        token = request.POST.get("token")
        if not token:
            return oauth_error("invalid_request", "The token parameter is required.")
        # The validator's lookup, the one every bearer token goes through (and its cache).
        access_token = self.get_validator_class()()._load_access_token(token)
        return JsonResponse(self.answer(request, access_token))

    @staticmethod
    def answer(request: HttpRequest, token) -> dict:
        """RFC 7662 2.2: only `active` for a token that is not live; for a live one DOT's members
        (scope, exp, client_id, username, aud) and what resource servers also read: `token_type`,
        `iat`, `iss`, and `sub` as ID tokens and userinfo carry it."""
        if token is None or not token.is_valid():
            return {"active": False}
        app, user = token.application, token.user
        if (app is not None and not app.is_usable(request)) or (user is not None and not user.is_active):
            return {"active": False}  # staff suspended its app or locked its account
        data = {
            "active": True,
            "scope": token.scope,
            "exp": int(token.expires.timestamp()),
            "token_type": "Bearer",
            "iat": int(token.created.timestamp()),
            "iss": oauth2_settings.oidc_issuer(request),
        }
        if token.application is not None:
            data["client_id"] = token.application.client_id
        if token.user is not None:
            data["username"] = token.user.get_username()
            data["sub"] = str(token.user_id)
        if token.resource:
            data["aud"] = token.resource  # RFC 8707
        data.update(dpop.introspection_members(token))  # RFC 9449 6.2: token_type DPoP, cnf.jkt
        return data
