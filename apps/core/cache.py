"""Django's Redis cache backend, made cheap per call.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` for every cache operation.
redis-py 5 and later fill a table of some 170 response callbacks in each constructor, which
costs more CPU than the round trip itself: on a bearer-authenticated API call, with its token,
user, app, rate-limit and last-used keys, most of the request's time. A `redis.Redis` is safe to
share between threads (each command borrows a connection from the pool), so one per pool serves
every call. Nothing else changes: the same pools, serializer, options and commands as Django's.
"""

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}  # id(pool) -> the redis.Redis on it; pools live as long as this client

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(django_redis.RedisCache):
    """`django.core.cache.backends.redis.RedisCache` on the client above (CACHES["default"])."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
