"""Rate limits per OAuth token, per API key, and per address for anonymous or failed calls.

DRF's throttle hook over the shared fixed window (apps.core.ratelimit: atomic in the cache
every node shares, a window that opens with the first request), unlike DRF's get-then-set
history. A credential's window is counted by the same round trip that reads the credential
from the cache (`credential_window`, set on the request by authentication). The throttle
counts the call itself when that read did not (a miss), and gives that count back when the
credential was then refused (a wrong secret for a known key id, a revoked token): such a call
spends its address's budget only.
"""

import functools
import re

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from apps.apikeys.models import APIKey
from apps.core.cache import WindowCount
from apps.core.ratelimit import digest, give_back, hit, window

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"(\d+)/(\d*)(s|sec|second|m|min|minute|h|hour|d|day)s?")


@functools.cache  # read on every call, by authentication and by the throttle
def parse_rate(rate: str) -> tuple[int, int]:
    """'100/hour' → (100, 3600) as in DRF, and also multiples: '10/5m' → (10, 300)."""
    match = RATE.fullmatch(rate.strip().lower())
    if not match or int(match[1]) < 1:
        raise ValueError(f"Not a rate: {rate!r}")
    return int(match[1]), int(match[2] or 1) * PERIODS[match[3][0]]


def credential_window(request, ident: str) -> WindowCount | None:
    """The window the `token` rate counts the credential `ident` ("token:<checksum>",
    "key:<key id>") in, kept on the request for the credential's read to count and
    `CredentialRateThrottle` to settle; None when the API has no such rate."""
    rate = api_settings.DEFAULT_THROTTLE_RATES.get("token")
    if not rate:
        return None
    request.credential_window = window(f"api:{ident}", period=parse_rate(rate)[1])
    return request.credential_window


class CredentialRateThrottle(BaseThrottle):
    """`token` rate per access token or API key, `anon` rate per client address."""

    def identify(self, request) -> tuple[str, str]:
        credential = request.auth
        if isinstance(credential, APIKey):
            return f"key:{credential.key_id}", "token"
        if credential is not None and getattr(credential, "token_checksum", None):
            return f"token:{credential.token_checksum}", "token"
        return f"addr:{digest(self.get_ident(request) or '')}", "anon"

    def allow_request(self, request, view) -> bool:
        ident, rate_name = self.identify(request)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(rate_name)
        counted = getattr(request, "credential_window", None)
        if not rate:
            give_back(counted)  # a refused credential's count, if its read made one
            return True
        limit, duration = parse_rate(rate)
        self.rate_limit = hit(f"api:{ident}", limit=limit, period=duration, counted=counted)
        # Kept on the request so the response (200 or 429) can carry the X-RateLimit-* headers.
        request.rate_limit = self.rate_limit
        return self.rate_limit.allowed

    def wait(self) -> int:
        return self.rate_limit.retry_after()
