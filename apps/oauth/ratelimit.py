"""Request limits for the OAuth endpoints, counted by the shared fixed window (apps.core.ratelimit)."""

from django.conf import settings

from apps.core.ratelimit import digest, hit, hit_all


def consume(bucket: str, *, limit: int, period: int = 60) -> int:
    """Count one request against `bucket`; return 0 if it is within `limit` per `period`
    seconds, otherwise the seconds until the window resets (for `Retry-After`)."""
    return hit(bucket, limit=limit, period=period).retry_after()


def check_endpoint(endpoint: str, *, address: str, client_id: str | None, secret: str | None = None) -> int:
    """Count a request to an OAuth `endpoint` per address and per client; 0 or Retry-After seconds.

    The client is counted as the request presents itself, before authentication: with the
    secret it sends, so that someone who knows only a client id (they are public) cannot use up
    the real client's allowance with wrong secrets. A request without a secret (a public client,
    or junk naming any client) is counted per client and address: anyone can send those.
    """
    buckets = [(f"{endpoint}:address:{digest(address)}", settings.GATEHOUSE_OAUTH_RATE_PER_ADDRESS)]
    if client_id:
        presented = digest(secret) if secret else f"from:{digest(address)}"
        buckets.append(
            (f"{endpoint}:client:{digest(client_id)}:{presented}", settings.GATEHOUSE_OAUTH_RATE_PER_CLIENT)
        )
    # Both windows in one round trip.
    return max(counted.retry_after() for counted in hit_all(buckets, period=60))
