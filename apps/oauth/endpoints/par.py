"""The pushed authorization request endpoint (RFC 9126): /o/par/.

A client posts what it would have put in the authorization URL, authenticating as it does at
the token endpoint (RFC 9126 2: the same methods; a public client names itself with its
client_id, as RFC 6749 3.2.1 lets it there). The request is validated now exactly as the
authorization endpoint validates one, so its errors reach the client as JSON instead of a
browser, and /o/authorize/ later takes only `client_id` and the `request_uri` answered here.
"""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.compat import login_not_required
from oauthlib.common import Request as OauthlibRequest
from oauthlib.common import urlencode as oauthlib_urlencode
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from apps.core import metrics
from apps.oauth import fapi, pushed
from apps.oauth.endpoints.authorize import AuthorizeView, authorization_problem
from apps.oauth.endpoints.guards import CorsMixin, EndpointGuardMixin, endpoint_url, named_client, oauth_error
from apps.oauth.supported import RESPONSE_TYPES

# oauthlib leaves some errors without a description; the authorization endpoint's redirect can,
# a JSON answer to a developer's client should not (RFC 6749 5.2).
UNDESCRIBED = {"invalid_scope": "A requested scope is unknown or not allowed for this client."}
# The client's credentials are not part of the authorization request it pushes.
CREDENTIALS = ("client_secret", "client_assertion", "client_assertion_type")


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class PushedAuthorizationRequestView(CorsMixin, EndpointGuardMixin, View):
    rate_limit_bucket = "par"
    http_method_names = ["post", "options"]

    def cors_application(self, request):
        return named_client(request)

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        if request.method == "POST":
            # No audit event: a push concerns no user yet. What it leads to (consent, tokens)
            # is audited; pushes and refusals are counted.
            metrics.pushed_request(error=_error_code(response))
        return response

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        core = AuthorizeView.get_oauthlib_core()
        validator = core.server.request_validator
        oauthlib_request = OauthlibRequest(
            request.build_absolute_uri(),
            "POST",
            oauthlib_urlencode(core.extract_body(request)),
            core.extract_headers(request),
        )
        # As oauthlib's token endpoint decides it: a confidential client (or any client that
        # sends credentials) authenticates; a public one is identified by its client_id.
        if validator.client_authentication_required(oauthlib_request):
            authenticated = validator.authenticate_client(oauthlib_request)
        else:
            authenticated = validator.authenticate_client_id(oauthlib_request.client_id, oauthlib_request)
        application = oauthlib_request.client
        if not authenticated or application is None:
            return oauth_error("invalid_client", "Client authentication failed.", status=401)
        parameters = {
            name: values for name, values in request.POST.lists() if name not in (*CREDENTIALS, "client_id")
        }
        if "request_uri" in parameters:
            # RFC 9126 2.1: the one authorization request parameter a push must not carry.
            return oauth_error("invalid_request", "A pushed request must not contain request_uri.")
        if problem := self.authorization_problem(request, application.client_id, parameters):
            return oauth_error(*problem)
        if problem := fapi.authorization_problem(
            application, {"redirect_uri": request.POST.get("redirect_uri")}
        ):
            return oauth_error(*problem)  # the app's FAPI 2.0 switch (apps.oauth.fapi)
        request_uri = pushed.push_request(application=application, parameters=parameters)
        return JsonResponse({"request_uri": request_uri, "expires_in": pushed.LIFETIME_SECONDS}, status=201)

    @staticmethod
    def authorization_problem(
        request: HttpRequest, client_id: str, parameters: dict
    ) -> tuple[str, str] | None:
        """What the authorization endpoint would refuse this request for (RFC 9126 2.1), in the
        same order: oauthlib's checks with the same validator, then Gatehouse's."""
        query = pushed.Redemption(parameters).query(client_id)
        if "redirect_uri" not in query:
            return "invalid_request", "The redirect_uri parameter is required."
        uri = f"{endpoint_url(request, 'authorize')}?{query.urlencode()}"
        try:
            _scopes, credentials = AuthorizeView.get_oauthlib_core().server.validate_authorization_request(
                uri, http_method="GET"
            )
        except oauth_errors.OAuth2Error as error:
            if error.error == "unauthorized_client" and query.get("response_type") not in RESPONSE_TYPES:
                return "unsupported_response_type", "Only response_type=code is supported."
            return error.error, error.description or UNDESCRIBED.get(error.error, "The request was refused.")
        return authorization_problem(query, credentials)


def _error_code(response: HttpResponse) -> str | None:
    if response.status_code < 400:
        return None
    try:
        return json.loads(response.content).get("error") or "other"
    except (ValueError, AttributeError):
        return "other"
