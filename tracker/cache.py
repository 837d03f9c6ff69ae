"""Django's Redis cache backend with two changes, both for the API's throttle counters.

- One ``redis.Redis`` client per server, not one per call. Django builds a new client for every
  cache operation, and redis-py's constructor fills a table of some 170 response callbacks:
  profiled, that was a quarter of the CPU time of an anonymous API request. A client keeps no
  connection of its own (its pool lends one per command), so one client serves every thread.
- ``incr`` in one round trip, atomically. Django checks that the key exists, then increments it:
  two round trips, and a key that expires between the two is re-created by INCR without an
  expiry, to be counted forever.

``settings.CACHES`` selects it for ``CACHE_URL=redis://…``.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# KEYS[1]: the key; ARGV[1]: the delta. Nil (None in Python) when the key does not exist.
_INCR_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._incr_scripts: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # private, unstubbed
        client = self._clients.get(id(pool))
        if client is None:
            # Pools live as long as this object, so their ids name them; a race between two
            # threads at most builds one client too many.
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client

    def incr(self, key: Any, delta: int) -> Any:
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            script = self._incr_scripts.setdefault(id(client), client.register_script(_INCR_IF_EXISTS))
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
