"""DRF authentication for personal API keys, sent like OAuth tokens: `Authorization: Bearer gatehouse_…`.

One header for both credentials keeps clients simple and keeps keys in the header proxies
already redact. A value with a key's prefix (`gatehouse_`, or the old `gh_pat_`) is decided here
and never handed to OAuth (so a resource server never sends a key to the introspection endpoint).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from apps.apikeys.services import find_api_key, looks_like_api_key, touch_api_key
from apps.core.cache import WindowCount

INVALID_KEY = {
    "error": "invalid_token",
    "error_description": _("The API key is invalid, expired or revoked."),
}


def bearer_value(request, *, schemes: tuple[bytes, ...] = (b"bearer",)) -> str | None:
    """The credential of an `Authorization: Bearer <value>` header (or another of `schemes`), or None."""
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() not in schemes:
        return None
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        return None


class APIKeyAuthentication(BaseAuthentication):
    www_authenticate_realm = "api"

    def authenticate(self, request):
        value = bearer_value(request)
        if value is None or not looks_like_api_key(value):
            return None
        api_key = find_api_key(value, count=lambda key_id: self.rate_window(request, key_id))
        if api_key is None:
            # Not raised here: the request goes on as anonymous, so the per-address rate
            # limit counts failed attempts before the 401 (RFC 6750 error kept for the header).
            request.oauth2_error = dict(INVALID_KEY)
            return None
        touch_api_key(api_key)
        return api_key.user, api_key

    def rate_window(self, request, key_id: str) -> WindowCount | None:
        """A rate-limit window for the key's cache read to count this request in; none here
        (the API's throttle names one: apps.api.authentication)."""
        return None

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{self.www_authenticate_realm}"'
