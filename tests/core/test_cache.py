"""The Redis cache backend: Django's, with one Redis client per connection pool."""

import pytest
from django.core.cache import cache

pytestmark = pytest.mark.skipif(
    not hasattr(cache, "_cache") or not hasattr(cache._cache, "_clients"),
    reason="Redis only (CI's PostgreSQL and Redis pass): the embedded default has no Redis client",
)


def test_every_call_shares_one_client_and_its_pool():
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is client
    cache.set("shared-client", {"value": 1}, 30)
    assert cache.get("shared-client") == {"value": 1}
    assert cache._cache.get_client() is client
    assert client.connection_pool is cache._cache._get_connection_pool(write=True)
