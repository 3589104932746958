"""The base of every Gatehouse API view: credentials, exact scopes, rate limits and their headers."""

from django.utils.cache import add_never_cache_headers
from oauth2_provider.settings import oauth2_settings
from rest_framework import views
from rest_framework.exceptions import NotFound

from apps.api.authentication import CountedAPIKeyAuthentication, TokenAuthentication
from apps.api.permissions import IsUser, TokenHasScope
from apps.api.throttling import CredentialRateThrottle


def resource_server_mode() -> bool:
    """This process checks tokens at another Gatehouse's /o/introspect/ (DOT's resource-server mode)."""
    return bool(oauth2_settings.RESOURCE_SERVER_INTROSPECTION_URL)


class NotOnResourceServer(NotFound):
    default_detail = (
        "Not available on a resource server: this service checks tokens at the authorization "
        "server's /o/introspect/ and holds no account data. Call the authorization server's API."
    )


class APIView(views.APIView):
    # Each view sets `required_scopes`: a list, or {"read": [...], "write": [...]} by method.
    # (A comment, not a docstring: drf-spectacular would show a docstring in every operation.)

    # API keys first: a `gatehouse_` (or old `gh_pat_`) value is settled there, never introspected.
    authentication_classes = [CountedAPIKeyAuthentication, TokenAuthentication]
    permission_classes = [TokenHasScope, IsUser]
    throttle_classes = [CredentialRateThrottle]
    _throttles_checked = False
    # A resource server knows only what introspection told it: the token's user and scopes.
    # Views whose data lives on the authorization server say so instead of answering from the
    # resource server's own, nearly empty database.
    served_on_resource_server = False

    def initial(self, request, *args, **kwargs) -> None:
        # Credentials, scopes and rate limits first, exactly as on the authorization server.
        super().initial(request, *args, **kwargs)
        if not self.served_on_resource_server and resource_server_mode():
            raise NotOnResourceServer()

    def check_permissions(self, request) -> None:
        # Count the call before judging it, so failed credentials spend their address's budget.
        self.check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request) -> None:
        if not self._throttles_checked:
            self._throttles_checked = True
            super().check_throttles(request)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if "Cache-Control" not in response:
            # Answers about an account are never cached (PrivatePagesMiddleware's rule for pages;
            # machine requests skip that middleware).
            add_never_cache_headers(response)
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            for header, value in rate_limit.headers().items():
                response[header] = value
        return response
