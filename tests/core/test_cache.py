"""The cache layer: Django's Redis backend with one client per pool, and its one-trip steps."""

from unittest import mock

import pytest
from django.core.cache import cache

from apps.core.cache import WindowCount, add_with, count_in_windows, get_with, incr_or_create

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


def test_a_counter_notes_a_value_as_it_counts():
    assert incr_or_create("noted", 60, note=("noted:when", "12:00")) == 1
    assert incr_or_create("noted", 60, note=("noted:when", "12:01")) == 2
    assert cache.get_many(["noted", "noted:when"]) == {"noted": 2, "noted:when": "12:01"}


@on_redis
def test_on_redis_a_counter_expires_and_costs_one_round_trip():
    incr_or_create("one-trip", 60)  # the first call of a process may load the script
    client = cache._cache.get_client(write=True)
    with mock.patch.object(client, "execute_command", wraps=client.execute_command) as sent:
        assert incr_or_create("one-trip", 60) == 2
        assert incr_or_create("one-trip", 60, note=("one-trip:when", 7)) == 3
    assert [call.args[0] for call in sent.call_args_list] == ["EVALSHA", "EVALSHA"]
    assert 0 < client.ttl(cache.make_key("one-trip:when")) <= 60
    assert 0 < client.ttl(cache.make_key("one-trip")) <= 60


def test_a_value_is_read_with_the_keys_stored_beside_it():
    cache.set_many({"with:user": {"name": "ada"}, "with:app": {"name": "Printer"}}, 30)
    assert add_with("with:token", {"scope": "read"}, 30, ["with:user", "with:app", "with:gone"])
    assert not add_with("with:token", {"scope": "write"}, 30, [])  # an add: the first stays
    cache.set("with:app", "changed", 30)
    assert get_with("with:token") == (
        {"scope": "read"},
        {"with:user": {"name": "ada"}, "with:app": "changed"},  # as they are now; none for gone
    )
    assert get_with("with:absent") == (None, {})
    cache.set("with:plain", 7, 30)  # no list beside it: the value alone
    assert get_with("with:plain") == (7, {})


@on_redis
def test_on_redis_a_value_and_the_keys_beside_it_cost_one_round_trip():
    cache.set("trip:user", {"name": "ada"}, 30)
    add_with("trip:token", {"scope": "read"}, 30, ["trip:user"])
    get_with("trip:token")  # the first call of a process may load the script
    client = cache._cache.get_client(write=True)
    with mock.patch.object(client, "execute_command", wraps=client.execute_command) as sent:
        assert get_with("trip:token") == ({"scope": "read"}, {"trip:user": {"name": "ada"}})
    assert [call.args[0] for call in sent.call_args_list] == ["EVALSHA"]
    assert 0 < client.ttl(cache.make_key("trip:token|with")) <= 30


def test_a_read_counts_a_window_on_its_way_only_when_its_key_is_there():
    cache.set("counted:token", {"scope": "read"}, 30)
    first, second = WindowCount("counted:window", 1000.0, 60), WindowCount("counted:window", 1001.0, 60)
    assert get_with("counted:token", first)[0] == {"scope": "read"}
    get_with("counted:token", second)
    assert (first.used, first.start, second.used, second.start) == (1, 1000.0, 2, 1000.0)
    absent = WindowCount("counted:window", 1002.0, 60)
    assert get_with("counted:nothing", absent) == (None, {})
    assert absent.used is None  # the caller counts it another way


def test_a_count_is_given_back_only_to_the_window_that_took_it():
    cache.set("back:token", "row", 30)

    def read(now: float) -> WindowCount:
        counted = WindowCount("back:window", now, 60)
        get_with("back:token", counted)
        return counted

    taken = read(1000.0)
    assert count_in_windows([("back:address", 60)], 1001.0, give_back=taken) == [(1, 1001.0)]
    assert read(1002.0).used == 1  # the window counted that request, then gave it back
    closed = WindowCount("back:window", 900.0, 60, used=1, start=900.0)  # a window since closed
    count_in_windows([], 1003.0, give_back=closed)
    uncounted = WindowCount("back:window", 1004.0, 60)  # its read found nothing, counted nothing
    count_in_windows([], 1004.0, give_back=uncounted)
    assert read(1005.0).used == 2
