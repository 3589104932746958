"""Django's cached_db sessions, with each session's cache entry named by a hash of its key.

Django's `cached_db` engine keeps a session under `<prefix><session key>`, so anyone who can
list the cache's keys (Redis) would hold every live session key, staff sessions included. Here
the entry is named by the key's SHA-256, as everything else Gatehouse puts in the cache is
(tokens by checksum, session activity by hash): the cache never sees a session key. The data,
the database rows and the expiry are Django's.
"""

import hashlib

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(cached_db.SessionStore):
    def _entry(self, session_key: str) -> str:
        return self.cache_key_prefix + hashlib.sha256(session_key.encode()).hexdigest()

    @property
    def cache_key(self) -> str:
        return self._entry(self._get_or_create_session_key())

    async def acache_key(self) -> str:
        return self._entry(await self._aget_or_create_session_key())

    def exists(self, session_key) -> bool:
        return bool(session_key) and (
            self._entry(session_key) in self._cache or DBStore.exists(self, session_key)
        )

    async def aexists(self, session_key) -> bool:
        return bool(session_key) and (
            await self._cache.ahas_key(self._entry(session_key)) or await DBStore.aexists(self, session_key)
        )

    def delete(self, session_key=None) -> None:
        session_key = session_key or self.session_key
        DBStore.delete(self, session_key)
        if session_key:
            self._cache.delete(self._entry(session_key))

    async def adelete(self, session_key=None) -> None:
        session_key = session_key or self.session_key
        await DBStore.adelete(self, session_key)
        if session_key:
            await self._cache.adelete(self._entry(session_key))
