"""Fixed-window request counters for the OAuth endpoints, on the shared cache (Redis in production).

Counting is `cache.add` then `cache.incr`, both atomic in Redis and in the local-memory
cache, so concurrent requests never lose a count the way a get-then-set would.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache


def consume(bucket: str, *, limit: int, period: int = 60) -> int:
    """Count one request against `bucket`; return 0 if it is within `limit` per `period`
    seconds, otherwise the seconds until the window resets (for `Retry-After`).

    A window opens with the first request and lasts `period`: `incr` keeps the key's expiry
    (Redis and local memory alike), so the count resets `period` seconds after it began.
    """
    now = time.time()
    key = f"gatehouse:ratelimit:{bucket}:{period}"
    if cache.add(key, 1, timeout=period):
        cache.set(f"{key}:opened", now, timeout=period)
        return 0
    try:
        count = cache.incr(key)
    except ValueError:  # the window closed between add and incr
        return consume(bucket, limit=limit, period=period)
    if count <= limit:
        return 0
    opened = cache.get(f"{key}:opened", now)
    return max(1, math.ceil(opened + period - now))


def _digest(value: str) -> str:
    # Client ids and addresses come from the request: hash them into safe, bounded cache keys.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def check_endpoint(endpoint: str, *, address: str, client_id: str | None, secret: str | None = None) -> int:
    """Count a request to an OAuth `endpoint` per address and per client; 0 or Retry-After seconds.

    The client is counted as the request presents itself, before authentication: with the
    secret it sends, so that someone who knows only a client id (they are public) cannot use up
    the real client's allowance with wrong secrets. A request without a secret (a public client,
    or junk naming any client) is counted per client and address: anyone can send those.
    """
    retry_after = consume(
        f"{endpoint}:address:{_digest(address)}", limit=settings.GATEHOUSE_OAUTH_RATE_PER_ADDRESS
    )
    if client_id:
        presented = _digest(secret) if secret else f"from:{_digest(address)}"
        retry_after = max(
            retry_after,
            consume(
                f"{endpoint}:client:{_digest(client_id)}:{presented}",
                limit=settings.GATEHOUSE_OAUTH_RATE_PER_CLIENT,
            ),
        )
    return retry_after
