"""Django's Redis cache backend, made cheap per call, plus the rate limiter's one-trip counter.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` for every cache operation.
redis-py 5 and later fill a table of some 170 response callbacks in each constructor, which
costs more CPU than the round trip itself: on a bearer-authenticated API call, with its token,
user, app, rate-limit and last-used keys, most of the request's time. A `redis.Redis` is safe to
share between threads (each command borrows a connection from the pool), so one per pool serves
every call. Nothing else changes: the same pools, serializer, options and commands as Django's.
"""

from django.core.cache.backends import redis as django_redis

# One more request in a fixed window that its first request opens (apps.core.ratelimit):
# the count and the window's start, in one atomic step. KEYS[1] the window's hash; ARGV: now, period.
COUNT_IN_WINDOW = """
local used = redis.call('HINCRBY', KEYS[1], 'used', 1)
if used == 1 then
  redis.call('HSET', KEYS[1], 'start', ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return {used, redis.call('HGET', KEYS[1], 'start')}
"""
# One more for a counter, created (expiring in ARGV[1] seconds) when absent. KEYS[1] the counter.
INCR_OR_CREATE = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
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


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # id(pool) -> the redis.Redis on it; pools live as long as this client
        self._count_in_window = None
        self._incr_or_create = None
        self._add_or_ttl = None

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client

    def count_in_window(self, key: str, now: float, period: int) -> tuple[int, float]:
        client = self.get_client(key, write=True)
        if self._count_in_window is None:
            self._count_in_window = client.register_script(COUNT_IN_WINDOW)  # EVALSHA, EVAL once
        used, start = self._count_in_window(keys=[key], args=[repr(now), period], client=client)
        return int(used), float(start)

    def incr_or_create(self, key: str, timeout: int) -> int:
        client = self.get_client(key, write=True)
        if self._incr_or_create is None:
            self._incr_or_create = client.register_script(INCR_OR_CREATE)
        return int(self._incr_or_create(keys=[key], args=[timeout], client=client))

    def add_or_ttl(self, key: str, timeout: int) -> float | None:
        client = self.get_client(key, write=True)
        if self._add_or_ttl is None:
            self._add_or_ttl = client.register_script(ADD_OR_TTL)
        left = int(self._add_or_ttl(keys=[key], args=[1, timeout], client=client))
        return None if left == -1 else max(0, left) / 1000


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` on the client above (CACHES["default"])."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_in_window(self, key: str, now: float, period: int) -> tuple[int, float]:
        """Count one more request in the window `key`, `period` seconds from its first request
        (at `now` if this is it): the count so far and the window's start. One round trip."""
        return self._cache.count_in_window(self.make_and_validate_key(key), now, period)

    def incr_or_create(self, key: str, timeout: int) -> int:
        """Add one to the counter `key`, which starts at 1 and expires after `timeout` seconds
        when absent: the new count, in one atomic round trip (Django's add-then-incr is three)."""
        return self._cache.incr_or_create(self.make_and_validate_key(key), timeout)

    def add_or_ttl(self, key: str, timeout: int) -> float | None:
        """`add(key, 1, timeout)`, in one round trip that also says, when the key was there
        already, how many seconds it has left: None when added, else those seconds."""
        return self._cache.add_or_ttl(self.make_and_validate_key(key), timeout)


def incr_or_create(key: str, timeout: int) -> int:
    """`RedisCache.incr_or_create` on the default cache, or add-then-incr on any other."""
    from django.core.cache import cache

    if hasattr(cache, "incr_or_create"):  # the default cache is a proxy: ask it, not its type
        return cache.incr_or_create(key, timeout)
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.add(key, 1, timeout)
        return 1
