"""Django's Redis cache backend, made cheap per call, and the steps that need Redis's scripts.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` for every cache operation.
redis-py 5 and later fill a table of some 170 response callbacks in each constructor, which
costs more CPU than the round trip itself: on a bearer-authenticated API call, with its token,
user, app, rate-limit and last-used keys, most of the request's time. A `redis.Redis` is safe to
share between threads (each command borrows a connection from the pool), so one per pool serves
every call. Nothing else changes: the same pools, serializer, options and commands as Django's.
"""

import contextlib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.cache.backends import redis as django_redis

# One more request in a fixed window that its first request opens (apps.core.ratelimit):
# the count and the window's start, in one atomic step.
_COUNT_IN_WINDOW = """
local function count_in_window(key, now, period)
  local used = redis.call('HINCRBY', key, 'used', 1)
  if used == 1 then
    redis.call('HSET', key, 'start', now)
    redis.call('EXPIRE', key, period)
  end
  return used, redis.call('HGET', key, 'start')
end
"""
# KEYS the windows' hashes; ARGV[1] now, ARGV[2 + i] the period of KEYS[i]. {used, start, ...}
# With a start in ARGV[2], the last of KEYS is a window to take one request back from, if it
# is still the window that started then.
COUNT_IN_WINDOWS = (
    _COUNT_IN_WINDOW
    + """
local windows = #KEYS
if ARGV[2] ~= '' then
  windows = windows - 1
end
local counted = {}
for i = 1, windows do
  local used, start = count_in_window(KEYS[i], ARGV[1], ARGV[i + 2])
  table.insert(counted, used)
  table.insert(counted, start)
end
if ARGV[2] ~= '' then
  local back = KEYS[#KEYS]
  if tonumber(redis.call('HGET', back, 'start')) == tonumber(ARGV[2]) then
    redis.call('HINCRBY', back, 'used', -1)
  end
end
return counted
"""
)
# One more for a counter, created (expiring in ARGV[1] seconds) when absent. KEYS[1] the counter.
# With KEYS[2], that key is also set to ARGV[2], expiring like the counter.
INCR_OR_CREATE = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
if KEYS[2] then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[1])
end
return count
"""
# Add a key that expires in ARGV[2] seconds unless it exists: -1 when added, else the
# milliseconds it has left (-2 if it expired meanwhile, -1 if it has no expiry). KEYS[1] the key.
ADD_OR_TTL = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  return -1
end
local left = redis.call('PTTL', KEYS[1])
if left == -1 then
  return 0
end
return left
"""
# A key's value and the values of the keys stored beside it (`add_with`), in one round trip:
# {value, used, start, name, its value, name, its value...}, or {} when the key is absent.
# KEYS[1] the key, KEYS[2] its list: a JSON array of [full key, name callers know] pairs, the
# full keys read within this script (so the cache is one Redis server, not a Cluster). With
# KEYS[3] (ARGV: now, period), a window that counts one more request when the key is there
# (used and start; else false, false).
GET_WITH = (
    _COUNT_IN_WINDOW
    + """
local value = redis.call('GET', KEYS[1])
if not value then
  return {}
end
local found = {value, false, false}
if KEYS[3] then
  found[2], found[3] = count_in_window(KEYS[3], ARGV[1], ARGV[2])
end
local others = redis.call('GET', KEYS[2])
if others then
  for _, pair in ipairs(cjson.decode(others)) do
    table.insert(found, pair[2])
    table.insert(found, redis.call('GET', pair[1]))
  end
end
return found
"""
)
# `add` of KEYS[1] (ARGV[1], expiring in ARGV[2] seconds), and of its list KEYS[2] (ARGV[3],
# raw JSON for GET_WITH, unless empty).
ADD_WITH = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  if ARGV[3] ~= '' then
    redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[2])
  end
  return 1
end
return 0
"""


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # id(pool) -> the redis.Redis on it; pools live as long as this client
        self._scripts = {}  # Lua source -> redis-py Script (EVALSHA, EVAL on the first call)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def run_script(self, source: str, keys: list[str], args: list):
        client = self.get_client(keys[0], write=True)
        script = self._scripts.get(source)
        if script is None:
            script = self._scripts.setdefault(source, client.register_script(source))
        return script(keys=keys, args=args, client=client)


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` on the client above (CACHES["default"])."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def run_script(self, source: str, key: str | list[str], *args):
        """Run the Lua `source` atomically on `key` or a list of keys (cache keys, prefixed and
        versioned as Django's own): one round trip."""
        keys = [key] if isinstance(key, str) else key
        return self._cache.run_script(source, [self.make_and_validate_key(k) for k in keys], list(args))

    def get_with(self, key: str, count: "WindowCount | None" = None) -> tuple[Any, dict[str, Any]]:
        keys, args = self._with_keys(key), []
        if count is not None:
            keys.append(self.make_and_validate_key(count.key))
            args = [repr(count.now), count.period]
        found = self._cache.run_script(GET_WITH, keys, args)
        if not found:
            return None, {}
        if count is not None:
            count.used, count.start = int(found[1]), float(found[2])
        loads = self._cache._serializer.loads
        others = {
            name.decode(): loads(value)
            for name, value in zip(found[3::2], found[4::2], strict=True)
            if value is not None
        }
        return loads(found[0]), others

    def add_with(self, key: str, value: Any, timeout: int, others: Iterable[str]) -> bool:
        pairs = [[self.make_and_validate_key(other), other] for other in others]
        args = [self._cache._serializer.dumps(value), int(timeout), json.dumps(pairs) if pairs else ""]
        return bool(self._cache.run_script(ADD_WITH, self._with_keys(key), args))

    def _with_keys(self, key: str) -> list[str]:
        return [self.make_and_validate_key(key), self.make_and_validate_key(f"{key}|with")]


# The steps below take one round trip on Redis and fall back to Django's cache API (add, then
# incr; get, then get_many) on any other cache, the embedded local-memory one included.


def _redis():
    from django.core.cache import cache

    # The default cache is a proxy: ask it what it can do, not its type.
    return cache if hasattr(cache, "run_script") else None


def count_in_window(key: str, now: float, period: int) -> tuple[int, float]:
    """Count one more request in the fixed window `key`, which its first request opens (at `now`
    if this is it) for `period` seconds: the count so far and the window's start."""
    return count_in_windows([(key, period)], now)[0]


def count_in_windows(
    windows: list[tuple[str, int]], now: float, *, give_back: "WindowCount | None" = None
) -> list[tuple[int, float]]:
    """`count_in_window` for each (key, period) of `windows`, all in one round trip. With
    `give_back` (a request a read counted, see `get_with`), that window counts one request
    less, in the same trip, unless it has closed since."""
    back = give_back if give_back is not None and give_back.used is not None else None
    if not windows and not back:
        return []
    if redis := _redis():
        keys = [key for key, _ in windows] + ([back.key] if back else [])
        periods = [period for _, period in windows]
        counted = redis.run_script(
            COUNT_IN_WINDOWS, keys, repr(now), repr(back.start) if back else "", *periods
        )
        return [(int(used), float(start)) for used, start in zip(counted[::2], counted[1::2], strict=True)]
    from django.core.cache import cache

    counted = [_count_in_local_window(key, now, period) for key, period in windows]
    if back and cache.get(f"{back.key}:start") == back.start:
        with contextlib.suppress(ValueError):  # closed meanwhile
            cache.decr(f"{back.key}:{back.start!r}")
    return counted


def _count_in_local_window(key: str, now: float, period: int) -> tuple[int, float]:
    from django.core.cache import cache

    cache.add(f"{key}:start", now, period)
    start = cache.get(f"{key}:start") or now
    ttl = max(1, math.ceil(start + period - now))
    # The counter's key names the window it counts: one that outlives its window (an `incr`
    # racing the expiry can recreate it without one) is never read again.
    count_key = f"{key}:{start!r}"
    cache.add(count_key, 0, ttl)
    try:
        return cache.incr(count_key), start
    except ValueError:  # the window closed between add and incr
        cache.set(count_key, 1, ttl)
        return 1, start


def incr_or_create(key: str, timeout: int, *, note: tuple[str, Any] | None = None) -> int:
    """Add one to the counter `key`, which starts at 1 and expires after `timeout` seconds when
    absent: the new count. With `note` (a key and a value), that key is set in the same round
    trip, for `timeout` seconds (when the counter last moved, say)."""
    if redis := _redis():
        if note is None:
            return int(redis.run_script(INCR_OR_CREATE, key, timeout))
        value = redis._cache._serializer.dumps(note[1])
        return int(redis.run_script(INCR_OR_CREATE, [key, note[0]], timeout, value))
    from django.core.cache import cache

    if note is not None:
        cache.set(*note, timeout)

    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout)
        return 1


def add_or_ttl(key: str, timeout: int) -> float | None:
    """`cache.add(key, 1, timeout)`, which also says, when the key was there already, how many
    seconds it has left: None when added, else those seconds (0 where the cache cannot tell)."""
    if redis := _redis():
        left = int(redis.run_script(ADD_OR_TTL, key, 1, timeout))
        return None if left == -1 else max(0, left) / 1000
    from django.core.cache import cache

    return None if cache.add(key, 1, timeout) else 0.0


@dataclass
class WindowCount:
    """One more request to count in a fixed window (`count_in_window`), along with a read that
    `get_with` makes anyway: `used` and `start` are filled in once it is counted."""

    key: str
    now: float
    period: int
    used: int | None = None
    start: float | None = None


def get_with(key: str, count: WindowCount | None = None) -> tuple[Any, dict[str, Any]]:
    """The value at `key` (None when absent) and, by key, the values found at the keys that
    `add_with` stored beside it: one round trip on Redis for what would take two (the value
    names the others). With `count`, and when the key is there, that window counts one more
    request in the same round trip."""
    if redis := _redis():
        return redis.get_with(key, count)
    from django.core.cache import cache

    value = cache.get(key)
    if value is None:
        return None, {}
    if count is not None:
        count.used, count.start = count_in_window(count.key, count.now, count.period)
    return value, cache.get_many(cache.get(f"{key}|with", []))


def add_with(key: str, value: Any, timeout: int, others: Iterable[str]) -> bool:
    """`cache.add(key, value, timeout)`, noting the keys `others` for `get_with` to read with it."""
    if redis := _redis():
        return redis.add_with(key, value, timeout, others)
    from django.core.cache import cache

    if not cache.add(key, value, timeout):
        return False
    if others := list(others):
        cache.set(f"{key}|with", others, timeout)
    return True
