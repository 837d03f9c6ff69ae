"""Request throttling with two counters per client instead of a list of timestamps.

DRF's throttles keep, per client, the time of every request of the last period, and read and
write that whole list (pickled) on each request: up to 2,000 floats for a user at 2000/minute,
and a list insert at its head. Here each client has one counter per period-long window; a
request is let through when the current window's count, plus the previous window's count
weighted by how much of it still lies within one period of now, stays within the rate (a
"sliding window counter"). That is one read and one atomic increment, whatever the rate, and a
burst at a window's edge is still held to the rate, as with DRF's list. Refused requests are
not counted, as with DRF's. On Redis the read and the count are one round trip
(``tracker.cache.RedisCache.count_in_window``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from tracker.client_address import address_from


class SlidingWindowCounterMixin(SimpleRateThrottle):
    # Set from the rate by SimpleRateThrottle.__init__.
    num_requests: int
    duration: int
    wait_seconds: float = 0.0

    def get_ident(self, request: Request) -> str:
        # The same address as the login lock-outs: DRF's own reading trusts X-Forwarded-For
        # unless NUM_PROXIES is set, so a client could name a new address for every request.
        return address_from(request.META)

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        window, offset = divmod(self.timer(), self.duration)
        current_key, previous_key = f"{key}:{int(window)}", f"{key}:{int(window) - 1}"
        # Counted first and taken back if refused: of concurrent requests that the last
        # places left are contested by, exactly as many pass as there are places.
        current, previous = self._count(current_key, previous_key)
        if current + previous * (1 - offset / self.duration) > self.num_requests:
            self._take_back(current_key)
            self.wait_seconds = self._wait(current - 1, previous, offset)
            return False
        return True

    def _count(self, current_key: str, previous_key: str) -> tuple[int, int]:
        """This request counted in the current window: (its count now, the previous window's)."""
        # The counter outlives its window by one more, where it is the "previous" one.
        lifetime = 2 * self.duration + 1
        count_in_window = getattr(self.cache, "count_in_window", None)
        if count_in_window is not None:  # Redis (tracker/cache.py): one round trip
            current, previous = count_in_window(current_key, previous_key, timeout=lifetime)
            return int(current), int(previous)
        previous = int(self.cache.get(previous_key, 0))
        try:
            return int(self.cache.incr(current_key)), previous
        except ValueError:
            # The window's first request.
            if self.cache.add(current_key, 1, timeout=lifetime):
                return 1, previous
            return int(self.cache.incr(current_key)), previous  # another request created it in between

    def _take_back(self, key: str) -> None:
        # Already expired, if it raises: nothing left to take back.
        with contextlib.suppress(ValueError):
            self.cache.decr(key)

    def _wait(self, current: int, previous: int, offset: float) -> float:
        """Seconds until one more request fits, if none is made meanwhile."""
        room = self.num_requests - 1 - current
        if room >= 0:
            # Refused for the previous window's weight, which falls as time passes:
            # previous × (1 − (offset + t) / duration) ≤ room.
            return self.duration * (1 - room / previous) - offset
        # This window is full: in the next one it is the "previous", weighted down from 1. (A rate
        # of 0 refuses everything: a window's length is as good an answer as any.)
        full = max(current, 1)
        return self.duration - offset + self.duration * (1 - (self.num_requests - 1) / full)

    def wait(self) -> float | None:
        return self.wait_seconds


class AnonSlidingRateThrottle(SlidingWindowCounterMixin, AnonRateThrottle):
    pass


class UserSlidingRateThrottle(SlidingWindowCounterMixin, UserRateThrottle):
    pass
