"""The base of every Gatehouse API view: credentials, exact scopes, rate limits and their headers."""

from rest_framework import views

from apps.api.authentication import TokenAuthentication
from apps.api.permissions import IsUser, TokenHasScope
from apps.api.throttling import CredentialRateThrottle
from apps.apikeys.authentication import APIKeyAuthentication


class APIView(views.APIView):
    # Each view sets `required_scopes`: a list, or {"read": [...], "write": [...]} by method.
    # (A comment, not a docstring: drf-spectacular would show a docstring in every operation.)

    # API keys first: a `gh_pat_` value is settled there and never sent to OAuth introspection.
    authentication_classes = [APIKeyAuthentication, TokenAuthentication]
    permission_classes = [TokenHasScope, IsUser]
    throttle_classes = [CredentialRateThrottle]
    _throttles_checked = False

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
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            for header, value in rate_limit.headers().items():
                response[header] = value
        return response
