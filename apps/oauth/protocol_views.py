"""Gatehouse's protocol endpoints: DOT's views, with what strict clients and probes expect.

DOT and oauthlib issue, validate and revoke; these subclasses add the guards around them:
one shape for every error (RFC 6749 5.2 JSON, 4xx, `Cache-Control: no-store`), repeated
parameters refused, HTTP Basic failures challenged with `Basic`, rate limits, discovery that
advertises exactly what the server does, and device pages in Gatehouse's look.
"""

import json
import secrets
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import BadRequest, SuspiciousOperation, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from oauth2_provider import views as dot_views
from oauth2_provider.compat import login_not_required
from oauth2_provider.exceptions import InvalidOIDCClientError, InvalidOIDCRedirectURIError
from oauth2_provider.models import (
    DeviceCodeResponse,
    DeviceRequest,
    create_device_grant,
    get_access_token_model,
    get_device_grant_model,
    get_refresh_token_model,
)
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.utils import parse_bearer_token
from oauth2_provider.views.metadata import ServerMetadataViewMixin
from oauthlib.common import Request as OauthlibRequest
from oauthlib.common import urlencode as oauthlib_urlencode

from apps.audit.models import AuditEvent
from apps.audit.services import client_ip, record
from apps.core.http import basic_credentials, basic_credentials_present, see_other_as_get
from apps.core.tokens import revoke_tokens
from apps.oauth import services, supported
from apps.oauth.models import Application, Consent, TokenFamily
from apps.oauth.ratelimit import check_endpoint, consume
from apps.oauth.scopes import describe
from apps.oauth.supported import redirect_uri_registered
from apps.oauth.validators import code_hash, session_auth_time

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
DeviceGrant = get_device_grant_model()

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# RFC 6749 asks for form encoding; multipart carries the same fields and some clients send it.
BODY_CONTENT_TYPES = (FORM_CONTENT_TYPE, "multipart/form-data")
# RFC 8628 6.1: consonants only, so no words and no 0/O or 1/I confusion; 20^8 ≈ 2^34.6.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


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
                response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
                response["Access-Control-Max-Age"] = "600"
        else:
            response = super().dispatch(request, *args, **kwargs)
            if origin and origin_registered(origin, self.cors_application(request)):
                response["Access-Control-Allow-Origin"] = origin
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
            if "\x00" in name or any("\x00" in value for value in values):
                return oauth_error("invalid_request", "Parameters may not contain NUL characters.")
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


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class TokenView(CorsMixin, EndpointGuardMixin, dot_views.TokenView):
    rate_limit_bucket = "token"

    def cors_application(self, request):
        # oauthlib allows the origin on success only; errors must be readable by the app too.
        return named_client(request)

    def post(self, request, *args, **kwargs):
        grant_type = request.POST.get("grant_type")
        if not grant_type:
            return oauth_error("invalid_request", "The grant_type parameter is required.")
        if grant_type not in supported.GRANT_TYPES:
            return oauth_error("unsupported_grant_type", f"The {grant_type!r} grant is not supported.")
        # Device codes too go through oauthlib, which authenticates the client before looking
        # at the code; DOT's shortcut reports a code's status to anyone who sends it.
        return self.authorization_flow_token_response(request)


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
        if not (basic_credentials_present(request) or "client_id" in request.POST):
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
        return JsonResponse(introspect(request, token))


def introspect(request: HttpRequest, token: str) -> dict:
    """The RFC 7662 section 2.2 answer for an access token; only `active` if it is not live."""
    access = (
        AccessToken.objects.select_related("user", "application")
        .filter(token_checksum=code_hash(token))
        .first()
    )
    if access is None or not access.is_valid():
        return {"active": False}
    data = {
        "active": True,
        "scope": access.scope,
        "token_type": "Bearer",
        "exp": int(access.expires.timestamp()),
        "iat": int(access.created.timestamp()),
        "iss": oauth2_settings.oidc_issuer(request),
    }
    if access.application is not None:
        data["client_id"] = access.application.client_id
    if access.user is not None:
        data["sub"] = str(access.user.pk)
        data["username"] = access.user.get_username()
    if access.resource:
        data["aud"] = access.resource
    return data


def generate_user_code() -> str:
    """An RFC 8628 user code, shown and typed as two groups of four: `BDFH-KLMN`."""
    code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def normalize_user_code(value: str) -> str:
    """What the user typed, as stored: case, spaces and dashes do not matter."""
    code = "".join(c for c in value.upper() if c in USER_CODE_ALPHABET)
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class DeviceAuthorizationView(EndpointGuardMixin, dot_views.DeviceAuthorizationView):
    """RFC 8628 section 3.1/3.2, for clients allowed the device grant."""

    rate_limit_bucket = "device_authorization"

    @classmethod
    def get_server(cls):
        kwargs = {**oauth2_settings.server_kwargs, "user_code_generator": generate_user_code}
        return cls.get_server_class()(cls.get_validator_class()(), **kwargs)

    @classmethod
    def get_oauthlib_core(cls):
        # DOT caches the core on the class it finds it on: keep ours apart from DOT's.
        if "_oauthlib_core" not in cls.__dict__ or oauth2_settings.ALWAYS_RELOAD_OAUTHLIB_CORE:
            cls._oauthlib_core = cls.get_oauthlib_backend_class()(cls.get_server())
        return cls._oauthlib_core

    def post(self, request, *args, **kwargs):
        basic_id = basic_client_id(request)
        scheme = request.META.get("HTTP_AUTHORIZATION", "").split()[:1]
        if (
            scheme
            and scheme[0].lower() == "basic"
            and (not basic_id or not Application.objects.filter(client_id=basic_id).exists())
        ):
            # A Basic header that does not decode, or names no client, is a failed
            # authentication (RFC 6749 5.2), as at the token endpoint.
            return oauth_error("invalid_client", "Client authentication failed.", status=401)
        if basic_id and "client_id" not in request.POST:
            # RFC 8628 3.1 needs client_id only from clients that do not authenticate; oauthlib
            # asks every client for it, so hand it the one from the Basic header.
            request.POST = request.POST.copy()
            request.POST["client_id"] = basic_id
        headers, body, status = self.create_device_authorization_response(request)
        if status != 200:
            return JsonResponse(json.loads(body), status=status, headers=headers)
        # oauthlib has just authenticated or identified this client.
        client_id = basic_client_id(request) or request.POST.get("client_id")
        application = Application.objects.filter(client_id=client_id).first()
        if application is None or not application.allows_grant_type(Application.GRANT_DEVICE_CODE):
            return oauth_error(
                "unauthorized_client", "This client may not use the device authorization grant."
            )
        data = dict(body)
        scope = data.pop("scope", "")
        data["verification_uri"] = endpoint_url(request, "device")
        data["verification_uri_complete"] = (
            f"{data['verification_uri']}?{urlencode({'user_code': data['user_code']})}"
        )
        create_device_grant(
            DeviceRequest(client_id=application.client_id, scope=scope), DeviceCodeResponse(**data)
        )
        return JsonResponse(data)


class UserCodeForm(forms.Form):
    user_code = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        help_text="The code your device shows, like BDFH-KLMN.",
    )

    def clean_user_code(self) -> str:
        code = normalize_user_code(self.cleaned_data["user_code"])
        grant = (
            DeviceGrant.objects.filter(user_code=code, status=DeviceGrant.AUTHORIZATION_PENDING)
            .order_by("-pk")
            .first()
        )
        if grant is None:
            raise ValidationError("That code is not valid. Check the code on your device and try again.")
        if grant.is_expired():
            raise ValidationError("That code has expired. Start again on your device to get a new one.")
        self.cleaned_data["device_grant"] = grant
        return code


class DeviceUserCodeView(dot_views.DeviceUserCodeView):
    """Where the user types the code their device shows (RFC 8628 section 3.3)."""

    form_class = UserCodeForm
    attempts_per_minute = 10

    def get_initial(self):
        return {"user_code": normalize_user_code(self.request.GET.get("user_code", ""))}

    def post(self, request, *args, **kwargs):
        # A user code is short enough to guess in bulk; so is anyone's patience.
        retry_after = consume(f"device-code-entry:{request.user.pk}", limit=self.attempts_per_minute)
        if retry_after:
            context = self.get_context_data(
                form=self.get_form_class()(initial=self.get_initial()),
                throttled=f"Too many attempts. Try again in {retry_after} seconds.",
            )
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        return super().post(request, *args, **kwargs)


class DeviceConfirmView(dot_views.DeviceConfirmView):
    """Allow or deny a device; allowing records when this user really signed in."""

    def form_valid(self, form):
        device = self.get_object()
        if form.cleaned_data["action"] == "accept":
            user, application = self.request.user, Application.objects.get(client_id=device.client_id)
            TokenFamily.objects.update_or_create(
                code_hash=code_hash(device.device_code),
                defaults={
                    "application": application,
                    "user": user,
                    "auth_time": session_auth_time(self.request) or timezone.now(),
                },
            )
            # The app is now connected like any other: listed, and revocable, under Connected apps.
            # A device asks every time, so a decision remembered for the consent screen is kept as is.
            existing = Consent.objects.filter(user=user, application=application).first()
            services.record_consent(
                user=user,
                application=application,
                scopes=device.scope.split(),
                remember=existing.remember if existing else Consent.Remember.ONCE,
                request=self.request,
            )
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["scope_list"] = describe(context["scopes"])
        context["user_code"] = self.kwargs["user_code"]
        return context


def bearer_error(error: str, description: str, *, status: int, **challenge: str) -> JsonResponse:
    """An RFC 6750 section 3 error: JSON body and a `Bearer` challenge naming the same error."""
    params = {"realm": "userinfo", "error": error, "error_description": description, **challenge}
    response = oauth_error(error, description, status=status)
    response["WWW-Authenticate"] = "Bearer " + ", ".join(f'{k}="{v}"' for k, v in params.items())
    return response


# as_view() takes csrf_exempt and login_not_required from the class's own dispatch: repeat them.
@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class UserInfoView(CorsMixin, dot_views.UserInfoView):
    """OIDC Core 5.3, by GET or POST with a Bearer token; errors as RFC 6750 section 3 says."""

    cors_methods = "GET, POST"

    def access_token(self, request: HttpRequest):
        """The stored access token the Authorization header carries, if any (live or not)."""
        token = parse_bearer_token(request.META.get("HTTP_AUTHORIZATION"))
        if not token:
            return None
        return (
            AccessToken.objects.select_related("application").filter(token_checksum=code_hash(token)).first()
        )

    def cors_application(self, request):
        access = self.access_token(request)
        return access.application if access is not None else None

    def dispatch(self, request, *args, **kwargs):
        if "access_token" in request.GET:
            # RFC 9700 4.3.2 / OAuth 2.1: never in the URL, where logs and Referer keep it.
            response = bearer_error(
                "invalid_request", "Send the access token in the Authorization header.", status=400
            )
        else:
            response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def _create_userinfo_response(self, request):
        if request.META.get("HTTP_AUTHORIZATION") and "access_token" in request.POST:
            # RFC 6750 2: a client must not use more than one method to send the token.
            return bearer_error("invalid_request", "Send the access token one way only.", status=400)
        if not (request.META.get("HTTP_AUTHORIZATION") or "access_token" in request.POST):
            # RFC 6750 3.1: a request without credentials gets a challenge and no error code.
            response = JsonResponse({}, status=401)
            response["WWW-Authenticate"] = 'Bearer realm="userinfo"'
            return response
        response = super()._create_userinfo_response(request)
        if response.status_code < 400:
            return response
        try:
            body = json.loads(response.content)
        except ValueError:
            body = {}
        error = body.get("error") or "invalid_token"
        description = body.get("error_description") or "The access token is not valid."
        access = self.access_token(request)
        if access is not None and access.is_valid() and "openid" not in access.scope.split():
            # oauthlib asks for a live token *with* openid and calls any other one invalid.
            error = "insufficient_scope"
        if error == "insufficient_scope":
            return bearer_error(error, "The access token lacks the openid scope.", status=403, scope="openid")
        return bearer_error(error, description, status=response.status_code)


# as_view() takes csrf_exempt and login_not_required from the class's own dispatch.
@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class LogoutView(dot_views.RPInitiatedLogoutView):
    """OIDC RP-Initiated Logout 1.0; signing out revokes the requesting app's tokens only."""

    # HEAD would run GET, which may sign the user out.
    http_method_names = ["get", "post", "options"]

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and not ({"csrfmiddlewaretoken", "allow"} & set(request.POST)):
            return see_other_as_get(request)  # RP-Initiated Logout 1.0 section 2: POST like GET
        handler = super().dispatch
        if request.method == "POST":
            # Exempt above only so the RP's request gets in; the confirmation form never is.
            handler = csrf_protect(handler)
        return handler(request, *args, **kwargs)

    def get_request_application(self, id_token, client_id):
        try:
            return super().get_request_application(id_token, client_id)
        except (Application.DoesNotExist, ValueError) as exc:
            raise InvalidOIDCClientError() from exc

    def validate_post_logout_redirect_uri(self, application, post_logout_redirect_uri):
        super().validate_post_logout_redirect_uri(application, post_logout_redirect_uri)
        if post_logout_redirect_uri and not redirect_uri_registered(
            post_logout_redirect_uri, application.post_logout_redirect_uris.split()
        ):
            raise InvalidOIDCRedirectURIError("This client does not have this redirect uri registered.")

    def do_logout(self, application=None, post_logout_redirect_uri=None, state=None, token_user=None):
        user = token_user or self.request.user
        revoked = (
            revoke_tokens(user=user, applications=[application])
            if application is not None and user.is_authenticated
            else 0
        )
        if revoked:
            record(
                AuditEvent.Kind.TOKEN_REVOKED,
                user=user,
                request=self.request,
                client_id=application.client_id,
                tokens_revoked=revoked,
                via="logout",
            )
        if not post_logout_redirect_uri:
            # DOT would send the user to this site's absolute URL through a redirect that only
            # allows https, which fails on a plain-http development server.
            logout(self.request)
            return redirect(settings.LOGOUT_REDIRECT_URL)
        return super().do_logout(application, post_logout_redirect_uri, state, token_user)


# Read-only documents: exempt from CSRF so that a POST is answered 405, not a CSRF 403.
@method_decorator(csrf_exempt, name="dispatch")
class JwksView(dot_views.JwksInfoView):
    pass


@method_decorator(csrf_exempt, name="dispatch")
class DiscoveryView(dot_views.ConnectDiscoveryInfoView):
    """OpenID Provider metadata: DOT's, narrowed and completed to what Gatehouse really does.

    Members whose defaults would claim more than we do are stated explicitly (OIDC Discovery
    3: `request_uri_parameter_supported` defaults to true, `grant_types_supported` to implicit).
    """

    def get(self, request, *args, **kwargs):
        data = json.loads(super().get(request, *args, **kwargs).content)
        data.update(
            {
                "issuer": oauth2_settings.oidc_issuer(request),
                "grant_types_supported": list(supported.GRANT_TYPES),
                "response_types_supported": list(supported.RESPONSE_TYPES),
                "response_modes_supported": list(supported.RESPONSE_MODES),
                "code_challenge_methods_supported": list(supported.CODE_CHALLENGE_METHODS),
                "id_token_signing_alg_values_supported": list(supported.ID_TOKEN_SIGNING_ALGS),
                "token_endpoint_auth_methods_supported": list(supported.TOKEN_ENDPOINT_AUTH_METHODS),
                "revocation_endpoint": endpoint_url(request, "revoke-token"),
                "revocation_endpoint_auth_methods_supported": list(supported.TOKEN_ENDPOINT_AUTH_METHODS),
                "introspection_endpoint": endpoint_url(request, "introspect"),
                # Resource servers are confidential clients: introspection needs a secret.
                "introspection_endpoint_auth_methods_supported": list(supported.CLIENT_AUTH_METHODS),
                "device_authorization_endpoint": endpoint_url(request, "device-authorization"),
                "prompt_values_supported": list(supported.PROMPT_VALUES),
                "claims_supported": sorted(set(data["claims_supported"])),
                "claims_parameter_supported": False,
                "request_parameter_supported": False,
                "request_uri_parameter_supported": False,
                "authorization_response_iss_parameter_supported": True,
            }
        )
        data.pop("client_id_metadata_document_supported", None)
        response = JsonResponse(data)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=3600"
        return response


class ServerMetadataView(DiscoveryView):
    """RFC 8414 authorization server metadata: the same document, at the well-known URI built
    from the issuer (`/.well-known/oauth-authorization-server/o`) and at the root and issuer
    forms clients also try. Its `issuer` is always the one ID tokens carry (RFC 8414 3.3)."""

    def get(self, request, *args, issuer_path=None, **kwargs):
        if issuer_path is not None:
            expected = urlsplit(oauth2_settings.oidc_issuer(request)).path.strip("/")
            if issuer_path.strip("/") != expected:
                raise Http404
        return super().get(request, *args, **kwargs)
