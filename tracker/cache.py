"""Django's Redis cache backend with two changes, both for the API's throttle counters.

- One ``redis.Redis`` client per server, not one per call. Django builds a new client for every
  cache operation, and redis-py's constructor fills a table of some 170 response callbacks:
  profiled, that was a quarter of the CPU time of an anonymous API request. A client keeps no
  connection of its own (its pool lends one per command), so one client serves every thread.
- ``incr`` in one round trip, atomically. Django checks that the key exists, then increments it:
  two round trips, and a key that expires between the two is re-created by INCR without an
  expiry, to be counted forever.
- ``count_in_window``: a throttle's whole read and count in one round trip (a Lua script), where
  the generic path takes two, on every API request.

``settings.CACHES`` selects it for ``CACHE_URL=redis://…``.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# KEYS[1]: the key; ARGV[1]: the delta. Nil (None in Python) when the key does not exist.
_INCR_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
    return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""

# KEYS[1]: the current window's counter, KEYS[2]: the previous one's; ARGV[1]: the counter's
# lifetime in seconds. The current count after this request, then the previous count (0 if none).
_COUNT_IN_WINDOW = """
local current = redis.call('INCR', KEYS[1])
if current == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return {current, tonumber(redis.call('GET', KEYS[2]) or '0')}
"""


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._scripts: dict[tuple[int, str], Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # private, unstubbed
        client = self._clients.get(id(pool))
        if client is None:
            # Pools live as long as this object, so their ids name them; a race between two
            # threads at most builds one client too many.
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))  # type: ignore[attr-defined]
        return client

    def _script(self, client: Any, source: str) -> Any:
        script = self._scripts.get((id(client), source))
        if script is None:
            script = self._scripts.setdefault((id(client), source), client.register_script(source))
        return script

    def incr(self, key: Any, delta: int) -> Any:
        client = self.get_client(key, write=True)
        value = self._script(client, _INCR_IF_EXISTS)(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def count_in_window(self, key: Any, previous_key: Any, timeout: int) -> tuple[int, int]:
        client = self.get_client(key, write=True)
        current, previous = self._script(client, _COUNT_IN_WINDOW)(keys=[key, previous_key], args=[timeout])
        return int(current), int(previous)


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_in_window(self, key: str, previous_key: str, *, timeout: int) -> tuple[int, int]:
        """Count one more request in ``key``'s counter (created with ``timeout`` seconds to live)
        and read ``previous_key``'s: (the new count, the previous count or 0), in one round trip."""
        client = cast(RedisCacheClient, self._cache)
        return client.count_in_window(
            self.make_and_validate_key(key), self.make_and_validate_key(previous_key), timeout
        )
