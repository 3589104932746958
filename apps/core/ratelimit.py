"""The one fixed-window request counter, on the shared cache (Redis in production).

A window opens with a bucket's first request and lasts `period` seconds. Counting is
one atomic Lua script on Redis (one round trip: apps.core.cache), `cache.add` then `cache.incr`
on the local-memory cache, so concurrent requests on every node share one count and never lose
one the way a get-then-set would. There the counter's key names the window it counts: a
counter that outlives its window (an `incr` racing the expiry can recreate it without one) is
never read again.
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
    # On Redis, one atomic script (apps.core.cache); on any other cache, add-then-incr.
    count = getattr(cache, "count_in_window", _count_in_window)
    used, start = count(key, now, period)
    if used > limit:
        metrics.rate_limit_refused(bucket)
    return RateLimit(limit=limit, used=used, reset=start + period)


def _count_in_window(key: str, now: float, period: int) -> tuple[int, float]:
    """The count and start of the window `key` after one more request, with the cache's add and incr."""
    cache.add(f"{key}:start", now, period)
    start = cache.get(f"{key}:start") or now
    ttl = max(1, math.ceil(start + period - now))
    count_key = f"{key}:{start!r}"
    cache.add(count_key, 0, ttl)
    try:
        return cache.incr(count_key), start
    except ValueError:  # the window closed between add and incr
        cache.set(count_key, 1, ttl)
        return 1, start
