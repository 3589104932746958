"""The one fixed-window request counter, on the shared cache (Redis in production).

A window opens with a bucket's first request and lasts `period` seconds. Counting is
`cache.add` then `cache.incr`, both atomic in Redis and in the local-memory cache, so
concurrent requests on every node share one count and never lose one the way a get-then-set
would. The counter's key names the window it counts: a counter that outlives its window (a
`incr` racing the expiry can recreate it without one) is never read again.
"""

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from apps.core import metrics


@dataclass(frozen=True)
class RateLimit:
    """Where a bucket stands after one more request."""

    limit: int
    used: int
    reset: float  # Unix time when the window closes

    @property
    def allowed(self) -> bool:
        return self.used <= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def retry_after(self) -> int:
        """0 while allowed, else whole seconds until the window closes (for `Retry-After`)."""
        if self.allowed:
            return 0
        return max(1, math.ceil(self.reset - time.time()))

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset)),
        }


def digest(value: str) -> str:
    """A bounded, cache-safe key part for a value that comes from the request (an address, a client id)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def hit(bucket: str, *, limit: int, period: int) -> RateLimit:
    """Count one request against `bucket`, allowed `limit` per `period` seconds."""
    now = time.time()
    key = f"gatehouse:ratelimit:{bucket}:{period}"
    cache.add(f"{key}:start", now, period)
    start = cache.get(f"{key}:start") or now
    reset = start + period
    ttl = max(1, math.ceil(reset - now))
    count_key = f"{key}:{start!r}"
    cache.add(count_key, 0, ttl)
    try:
        used = cache.incr(count_key)
    except ValueError:  # the window closed between add and incr
        cache.set(count_key, 1, ttl)
        used = 1
    if used > limit:
        metrics.rate_limit_refused(bucket)
    return RateLimit(limit=limit, used=used, reset=reset)
