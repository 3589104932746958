"""The shared fixed-window counter: its window, an atomic count, and Retry-After."""

import math
import threading
import time
from unittest import mock

import pytest
from django.core.cache import cache, caches

from apps.core.ratelimit import digest, hit, hit_all


def test_a_window_allows_the_limit_then_refuses():
    used = [hit("window", limit=2, period=60) for _ in range(3)]
    assert [r.used for r in used] == [1, 2, 3]
    assert [r.allowed for r in used] == [True, True, False]
    assert [r.remaining for r in used] == [1, 0, 0]
    assert used[0].reset == used[2].reset  # one window, opened by the first request


def test_the_count_starts_again_when_the_window_closes():
    for _ in range(3):
        first = hit("short", limit=2, period=1)
    assert not first.allowed
    time.sleep(max(0, first.reset - time.time()) + 0.1)
    again = hit("short", limit=2, period=1)
    assert (again.used, again.allowed) == (1, True)
    assert again.reset > first.reset


def test_retry_after_is_zero_while_allowed_then_the_rest_of_the_window():
    assert hit("retry", limit=1, period=60).retry_after() == 0
    refused = hit("retry", limit=1, period=60)
    assert 1 <= refused.retry_after() <= 60
    assert refused.headers()["X-RateLimit-Reset"] == str(math.ceil(refused.reset))


def test_buckets_and_periods_are_counted_apart():
    hit("one", limit=1, period=60)
    assert hit("two", limit=1, period=60).allowed
    assert hit("one", limit=1, period=3600).allowed


def test_the_count_is_atomic_across_concurrent_requests():
    allowed = []
    lock = threading.Lock()

    def one_request():
        result = hit("concurrent", limit=25, period=60)
        with lock:
            allowed.append(result.allowed)

    threads = [threading.Thread(target=one_request) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 25
    assert hit("concurrent", limit=25, period=60).used == 61


def test_the_count_is_kept_in_the_shared_cache():
    opened = hit("shared", limit=5, period=60)
    # Another node: its own connection to the same cache continues the same window.
    other_node = caches.create_connection("default")
    with mock.patch("django.core.cache.cache", other_node):
        counted = hit("shared", limit=5, period=60)
    assert (counted.used, counted.reset) == (2, opened.reset)
    cache.clear()
    assert hit("shared", limit=5, period=60).used == 1


@pytest.mark.skipif(
    not hasattr(cache, "run_script"),
    reason="Redis only (CI's PostgreSQL and Redis pass): the local-memory cache counts with add and incr",
)
def test_on_redis_a_request_is_counted_in_one_round_trip():
    hit("round-trip", limit=5, period=60)  # the first call of a process may load the script
    client = cache._cache.get_client(write=True)
    with mock.patch.object(client, "execute_command", wraps=client.execute_command) as sent:
        counted = hit("round-trip", limit=5, period=60)
    assert counted.used == 2
    assert [call.args[0] for call in sent.call_args_list] == ["EVALSHA"]


def test_several_windows_are_counted_together_each_on_its_own():
    hit("together:address", limit=3, period=60)
    address, client = hit_all([("together:address", 3), ("together:client", 1)], period=60)
    assert (address.used, address.allowed, client.used, client.allowed) == (2, True, 1, True)
    address, client = hit_all([("together:address", 3), ("together:client", 1)], period=60)
    assert (address.used, address.allowed, client.used, client.allowed) == (3, True, 2, False)


@pytest.mark.skipif(not hasattr(cache, "run_script"), reason="Redis only (CI's PostgreSQL and Redis pass)")
def test_on_redis_several_windows_cost_one_round_trip():
    hit_all([("trip:a", 5), ("trip:b", 5)], period=60)
    client = cache._cache.get_client(write=True)
    with mock.patch.object(client, "execute_command", wraps=client.execute_command) as sent:
        counted = hit_all([("trip:a", 5), ("trip:b", 5)], period=60)
    assert [limit.used for limit in counted] == [2, 2]
    assert [call.args[0] for call in sent.call_args_list] == ["EVALSHA"]


def test_request_values_become_bounded_key_parts():
    assert len(digest("x" * 10_000)) == 32
    assert digest("\ud800 lone surrogate") == digest("\ud800 lone surrogate")
