"""Rate limits per OAuth token, per API key, and per address for anonymous or failed calls.

Counted with the cache's atomic `add` and `incr` (Redis in production, so every node shares
the count), in a window that opens with the first request, unlike DRF's get-then-set history.
"""

import hashlib
import math
import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from apps.apikeys.models import APIKey

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE = re.compile(r"(\d+)/(\d*)(s|sec|second|m|min|minute|h|hour|d|day)s?")


@dataclass(frozen=True)
class RateLimit:
    limit: int
    used: int
    reset: float  # Unix time when the window closes

    @property
    def allowed(self) -> bool:
        return self.used <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset)),
        }


def parse_rate(rate: str) -> tuple[int, int]:
    """'100/hour' → (100, 3600) as in DRF, and also multiples: '10/5m' → (10, 300)."""
    match = RATE.fullmatch(rate.strip().lower())
    if not match or int(match[1]) < 1:
        raise ValueError(f"Not a rate: {rate!r}")
    return int(match[1]), int(match[2] or 1) * PERIODS[match[3][0]]


def hit(ident: str, *, limit: int, duration: int) -> RateLimit:
    """Count one request for `ident` and return where it stands."""
    now = time.time()
    start_key = f"gatehouse:api:rate:{ident}:start"
    cache.add(start_key, now, duration)
    start = cache.get(start_key) or now
    reset = start + duration
    ttl = max(1, math.ceil(reset - now))
    count_key = f"gatehouse:api:rate:{ident}:{start!r}"
    cache.add(count_key, 0, ttl)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the window closed between add and incr
        cache.set(count_key, 1, ttl)
        count = 1
    return RateLimit(limit=limit, used=count, reset=reset)


class CredentialRateThrottle(BaseThrottle):
    """`token` rate per access token or API key, `anon` rate per client address."""

    def identify(self, request) -> tuple[str, str]:
        credential = request.auth
        if isinstance(credential, APIKey):
            return f"key:{credential.pk}", "token"
        if credential is not None and getattr(credential, "token_checksum", None):
            return f"token:{credential.token_checksum}", "token"
        # Addresses come from the request: hashed into a bounded, safe cache key.
        address = hashlib.sha256((self.get_ident(request) or "").encode()).hexdigest()[:32]
        return f"addr:{address}", "anon"

    def allow_request(self, request, view) -> bool:
        ident, rate_name = self.identify(request)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(rate_name)
        if not rate:
            return True
        limit, duration = parse_rate(rate)
        self.rate_limit = hit(ident, limit=limit, duration=duration)
        # Kept on the request so the response (200 or 429) can carry the X-RateLimit-* headers.
        request.rate_limit = self.rate_limit
        return self.rate_limit.allowed

    def wait(self) -> int:
        return max(1, math.ceil(self.rate_limit.reset - time.time()))
