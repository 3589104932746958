"""The API's credentials: DOT's authentication for OAuth 2 bearer tokens, plus the consent's
"last used", and personal API keys; each counts its rate-limit window as it is read."""

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import SuspiciousOperation
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.settings import oauth2_settings

from apps.api.throttling import credential_window
from apps.apikeys.authentication import APIKeyAuthentication, bearer_value
from apps.apikeys.services import looks_like_api_key
from apps.core import stamps
from apps.oauth import tokencache
from apps.oauth.models import Consent
from apps.oauth.validators import code_hash

LAST_USED_PRECISION = timedelta(minutes=1)


def touch_consent(token) -> None:
    """Mark the consent behind `token` used, at most once a minute per token (cache) and per consent (SQL)."""
    if token.application_id is None or token.user_id is None:
        return  # a client-credentials token, or a resource server's cached introspection
    stamps.stamp_last_used(
        Consent,
        key=f"gatehouse:api:consent-used:{token.pk}",
        period=LAST_USED_PRECISION,
        user_id=token.user_id,
        application_id=token.application_id,
    )


class CountedAPIKeyAuthentication(APIKeyAuthentication):
    """Personal API keys (apps.apikeys), whose cache read counts the key's rate-limit window."""

    def rate_window(self, request, key_id: str):
        return credential_window(request, f"key:{key_id}")


class TokenAuthentication(OAuth2Authentication):
    """DOT's `OAuth2Authentication` (validation; introspection in resource-server mode), plus bookkeeping.

    One oauthlib server per process, as DOT's own views keep (`OAuthLibMixin.get_oauthlib_core`,
    `ALWAYS_RELOAD_OAUTHLIB_CORE`): DOT's DRF class builds a server, its grants and a validator
    for every API call, a large part of the call's cost. The server and validator keep no
    request state.
    """

    _oauthlib_core = None

    @classmethod
    def get_oauthlib_core(cls):
        if cls._oauthlib_core is None or oauth2_settings.ALWAYS_RELOAD_OAUTHLIB_CORE:
            cls._oauthlib_core = get_oauthlib_core()
        return cls._oauthlib_core

    def authenticate(self, request):
        value = bearer_value(request, schemes=(b"bearer", b"dpop"))  # RFC 9449 7.1: `DPoP <token>`
        if value is not None and looks_like_api_key(value):
            return None  # an API key, never handed to OAuth: APIKeyAuthentication decides Bearer ones
        # DOT reads the body for RFC 6750 form-encoded tokens: give it Django's request, so an
        # operation that takes no body does not fail on whatever body a client sends anyway.
        django_request = request._request
        # The token's rate-limit window is counted by the round trip that reads the token.
        checksum = code_hash(value) if value is not None else ""
        window = credential_window(request, f"token:{checksum}") if checksum else None
        try:
            with tokencache.counting(checksum, window):
                valid, oauth_request = self.get_oauthlib_core().verify_request(django_request, scopes=[])
        except ValueError as error:  # as DOT's OAuth2Authentication
            if str(error) == "Invalid hex encoding in query string.":
                raise SuspiciousOperation(error) from error
            raise
        if not valid:
            django_request.oauth2_error = getattr(oauth_request, "oauth2_error", {})
            return None
        token = oauth_request.access_token
        touch_consent(token)
        # Client-credentials tokens have no user; DRF wants a user object either way.
        return oauth_request.user or AnonymousUser(), token
