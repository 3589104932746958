"""OpenID Connect endpoints for signed-in users of an app: userinfo and RP-initiated logout."""

import json

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from oauth2_provider import views as dot_views
from oauth2_provider.compat import login_not_required
from oauth2_provider.exceptions import InvalidOIDCClientError, InvalidOIDCRedirectURIError
from oauth2_provider.models import get_access_token_model
from oauth2_provider.utils import parse_bearer_token

from apps.audit.models import AuditEvent
from apps.audit.services import record
from apps.core.http import see_other_as_get
from apps.oauth import dpop
from apps.oauth.endpoints.guards import CorsMixin, oauth_error
from apps.oauth.models import Application
from apps.oauth.revocation import revoke_tokens
from apps.oauth.supported import redirect_uri_registered
from apps.oauth.validators import code_hash

AccessToken = get_access_token_model()


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
        token = parse_bearer_token(dpop.bearer_form(request.META.get("HTTP_AUTHORIZATION", "")))
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
        refused = getattr(request, "gatehouse_dpop_error", None)  # RFC 9449 7.1 (apps.oauth.dpop)
        if refused is not None:
            error, description = refused.error, refused.description
        response = bearer_error(error, description, status=response.status_code)
        for header, value in (dpop.challenge(request, {"error": error}, realm="userinfo") or {}).items():
            response[header] = value
        return response


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
