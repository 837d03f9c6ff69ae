"""The API's throttles (two counters per client, a sliding window) and the Redis cache backend
that holds their counters in a deployment (one client per server, an atomic incr)."""

from __future__ import annotations

import threading
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache

from recommendations.api.throttling import AnonSlidingRateThrottle, UserSlidingRateThrottle
from tests.reminders_support import redis_url_or_skip
from tracker.cache import RedisCache

WINDOW_START = 60.0 * 100_000  # a time at which a one-minute window begins


class ThreePerMinute(UserSlidingRateThrottle):
    rate = "3/minute"


def signed_in(pk: int) -> Any:
    return SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=pk), META={})


def ask(at: float, *, user: int = 7, throttle_class: type = ThreePerMinute, **attrs: Any) -> tuple[bool, Any]:
    throttle = throttle_class()
    throttle.timer = lambda: at
    for name, value in attrs.items():
        setattr(throttle, name, value)
    allowed = throttle.allow_request(signed_in(user), view=None)
    return allowed, (None if allowed else throttle.wait())


def test_a_full_window_refuses_and_says_how_long_to_wait():
    assert [ask(WINDOW_START + s)[0] for s in (0, 1, 2)] == [True, True, True]
    allowed, wait = ask(WINDOW_START + 10)
    # The window ends 50 s later; then its 3 requests weigh 3 × (1 − t/60), which is at most
    # 2 (room for one more) 20 s into the next window: 70 s in all.
    assert (allowed, wait) == (False, pytest.approx(70))
    assert ask(WINDOW_START + 79.9)[0] is False
    assert ask(WINDOW_START + 80.1)[0] is True


def test_refused_requests_are_not_counted():
    for s in (0, 1, 2):
        ask(WINDOW_START + s)
    for s in range(3, 40):
        assert ask(WINDOW_START + s)[0] is False
    window = int(WINDOW_START // 60)
    assert cache.get(f"throttle_user_7:{window}") == 3
    # So the client is let through when the first refusal said it would be.
    assert ask(WINDOW_START + 80.1)[0] is True


def test_a_burst_across_a_window_edge_is_still_held_to_the_rate():
    # A fixed one-minute window would let 3 more through right after the edge.
    assert [ask(WINDOW_START + 59.7 + s / 10)[0] for s in (0, 1, 2)] == [True, True, True]
    assert ask(WINDOW_START + 60.1)[0] is False
    # Half a minute on, the previous window's 3 weigh 1.5: one more fits, not two.
    assert ask(WINDOW_START + 90)[0] is True
    assert ask(WINDOW_START + 90.1)[0] is False


def test_a_rate_of_zero_refuses_everything_with_a_wait():
    class Closed(UserSlidingRateThrottle):
        rate = "0/minute"

    allowed, wait = ask(WINDOW_START + 15, throttle_class=Closed)
    assert allowed is False
    assert wait > 0


def test_each_user_has_their_own_counters():
    for s in (0, 1, 2):
        ask(WINDOW_START + s, user=7)
    assert ask(WINDOW_START + 3, user=7)[0] is False
    assert ask(WINDOW_START + 3, user=8)[0] is True


def test_anonymous_clients_are_counted_by_address_and_signed_in_users_are_not_counted_as_anonymous():
    class TwoPerMinute(AnonSlidingRateThrottle):
        rate = "2/minute"

    def anonymous(address: str) -> Any:
        return SimpleNamespace(
            user=SimpleNamespace(is_authenticated=False), META={"REMOTE_ADDR": address}, headers={}
        )

    def allowed(request: Any) -> bool:
        throttle = TwoPerMinute()
        throttle.timer = lambda: WINDOW_START
        return throttle.allow_request(request, view=None)

    assert [allowed(anonymous("10.0.0.1")) for _ in range(3)] == [True, True, False]
    assert allowed(anonymous("10.0.0.2")) is True
    assert all(allowed(signed_in(7)) for _ in range(5))


@pytest.fixture
def redis_cache():
    backend = RedisCache(redis_url_or_skip(), {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    yield backend
    # Not clear(): it would flush the whole Redis database, which other tests share.
    client = backend._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{backend.key_prefix}*"):
        client.delete(key)


def test_the_redis_backend_reuses_one_client(redis_cache):
    client = redis_cache._cache.get_client()
    assert redis_cache._cache.get_client(write=True) is client
    redis_cache.set("k", "v")
    assert redis_cache.get("k") == "v"
    assert redis_cache._cache.get_client() is client


def test_the_redis_backend_increments_only_existing_keys_and_keeps_their_expiry(redis_cache):
    with pytest.raises(ValueError, match="not found"):
        redis_cache.incr("missing")
    assert redis_cache.get("missing") is None  # not created by the failed incr
    redis_cache.set("counter", 5, timeout=100)
    assert redis_cache.incr("counter") == 6
    assert redis_cache.decr("counter", 2) == 4
    assert redis_cache.get("counter") == 4
    client = redis_cache._cache.get_client()
    assert 0 < client.ttl(redis_cache.make_key("counter")) <= 100


def test_concurrent_requests_through_redis_let_exactly_the_rate_through(redis_cache):
    class HundredPerMinute(UserSlidingRateThrottle):
        rate = "100/minute"

    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def client() -> None:
        start.wait()
        for _ in range(30):
            allowed, _wait = ask(WINDOW_START + 5, throttle_class=HundredPerMinute, cache=redis_cache)
            with lock:
                results.append(allowed)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (results.count(True), results.count(False)) == (100, 140)
    assert redis_cache.get(f"throttle_user_7:{int(WINDOW_START // 60)}") == 100


def test_the_redis_backend_counts_a_window_and_reads_the_previous_one_at_once(redis_cache):
    assert redis_cache.count_in_window("now", "before", timeout=121) == (1, 0)
    redis_cache.set("before", 40)
    assert redis_cache.count_in_window("now", "before", timeout=121) == (2, 40)
    client = redis_cache._cache.get_client()
    # The expiry is set when the counter is created, and kept (not pushed back) as it counts.
    assert 0 < client.ttl(redis_cache.make_key("now")) <= 121
    client.expire(redis_cache.make_key("now"), 30)
    redis_cache.count_in_window("now", "before", timeout=121)
    assert 0 < client.ttl(redis_cache.make_key("now")) <= 30
    assert redis_cache.get("now") == 3


def test_a_request_checked_against_redis_takes_one_round_trip(redis_cache, monkeypatch):
    client = redis_cache._cache.get_client(write=True)
    ask(WINDOW_START, cache=redis_cache)  # loads the script into Redis
    commands: list[Any] = []
    real = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *a, **k: commands.append(a[0]) or real(*a, **k))
    assert ask(WINDOW_START + 1, cache=redis_cache)[0] is True
    assert commands == ["EVALSHA"]
    assert redis_cache.get(f"throttle_user_7:{int(WINDOW_START // 60)}") == 2
