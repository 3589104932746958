"""The one fixed-window request counter, on the shared cache (Redis in production).

A window opens with a bucket's first request and lasts `period` seconds. Counting is
`apps.core.cache.count_in_windows`: one atomic Lua script on Redis (one round trip, for any
number of windows), `cache.add` then `cache.incr` on the local-memory cache, so concurrent
requests on every node share one count and never lose one the way a get-then-set would. A
credential's window may instead be counted by the script that reads the credential (`window`).
"""

import hashlib
import math
import time
from dataclasses import dataclass

from apps.core import metrics
from apps.core.cache import WindowCount, count_in_windows


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


def _key(bucket: str, period: int) -> str:
    return f"gatehouse:ratelimit:{bucket}:{period}"


def window(bucket: str, *, period: int) -> WindowCount:
    """This request in `bucket`'s window, for a read of the shared cache to count on its way
    (apps.core.cache.get_with) and `hit` to take as counted, or to give back."""
    return WindowCount(key=_key(bucket, period), now=time.time(), period=period)


def hit(bucket: str, *, limit: int, period: int, counted: WindowCount | None = None) -> RateLimit:
    """Count one request against `bucket`, allowed `limit` per `period` seconds.

    `counted` is a `window` a cache read counted this request in already, if any: the count
    when it is `bucket`'s; otherwise (the read counted a credential that was then refused) it
    is given back in the same round trip, so that nobody spends a budget that is not theirs.
    """
    if counted is not None and counted.key == _key(bucket, period) and counted.used is not None:
        return _judged(bucket, limit, period, counted.used, counted.start)
    return hit_all([(bucket, limit)], period=period, give_back=counted)[0]


def hit_all(
    buckets: list[tuple[str, int]], *, period: int, give_back: WindowCount | None = None
) -> list[RateLimit]:
    """`hit` for each (bucket, limit) of `buckets`, counted in one round trip."""
    windows = [(_key(bucket, period), period) for bucket, _ in buckets]
    counted = count_in_windows(windows, time.time(), give_back=give_back)
    return [
        _judged(bucket, limit, period, used, start)
        for (bucket, limit), (used, start) in zip(buckets, counted, strict=True)
    ]


def give_back(counted: WindowCount | None) -> None:
    """Take back the request a cache read counted in `counted`, where nothing else is counted."""
    count_in_windows([], time.time(), give_back=counted)


def _judged(bucket: str, limit: int, period: int, used: int, start: float) -> RateLimit:
    if used > limit:
        metrics.rate_limit_refused(bucket)
    return RateLimit(limit=limit, used=used, reset=start + period)
