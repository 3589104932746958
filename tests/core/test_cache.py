"""The cache layer: Django's Redis backend with one client per pool, and its one-trip counter."""

from unittest import mock

import pytest
from django.core.cache import cache

from apps.core.cache import incr_or_create

on_redis = pytest.mark.skipif(
    not hasattr(cache, "run_script"),
    reason="Redis only (CI's PostgreSQL and Redis pass): the embedded default has no Redis client",
)


@on_redis
def test_every_call_shares_one_client_and_its_pool():
    client = cache._cache.get_client("a")
    assert cache._cache.get_client("b", write=True) is client
    cache.set("shared-client", {"value": 1}, 30)
    assert cache.get("shared-client") == {"value": 1}
    assert cache._cache.get_client() is client
    assert client.connection_pool is cache._cache._get_connection_pool(write=True)


def test_a_counter_starts_at_one_and_counts_on():
    assert [incr_or_create("counter", 60) for _ in range(3)] == [1, 2, 3]
    assert cache.get("counter") == 3
    cache.decr("counter", 2)  # what a flush of pending counts does
    assert incr_or_create("counter", 60) == 2


@on_redis
def test_on_redis_a_counter_expires_and_costs_one_round_trip():
    incr_or_create("one-trip", 60)  # the first call of a process may load the script
    client = cache._cache.get_client(write=True)
    with mock.patch.object(client, "execute_command", wraps=client.execute_command) as sent:
        assert incr_or_create("one-trip", 60) == 2
    assert [call.args[0] for call in sent.call_args_list] == ["EVALSHA"]
    assert 0 < client.ttl(cache.make_key("one-trip")) <= 60
