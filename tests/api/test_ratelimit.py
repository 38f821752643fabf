"""Rate limits: the in-process and Redis sliding windows, the fallback when Redis is down, and the 429 route."""

import logging
import os
import threading
import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from api.errors import install_error_handlers
from api.limits import install_limits
from api.metrics import REGISTRY
from api.ratelimit import (
    FallbackRateLimiter,
    InMemoryRateLimiter,
    RateLimiterUnavailableError,
    RedisRateLimiter,
    build_rate_limiter,
    rate_limited,
)
from minfu.errors import ConfigurationError
from minfu.settings import Settings

REDIS_URL = os.environ.get("MINFU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_limiter() -> Iterator[RedisRateLimiter]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"minfu-test:{uuid.uuid4().hex}:"
    yield RedisRateLimiter(client, prefix=prefix)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def test_memory_window_allows_the_limit_then_refuses_until_the_oldest_hit_leaves() -> None:
    clock = FakeClock()
    limiter = InMemoryRateLimiter(clock)
    assert [limiter.hit("ip:1", 3, 60).remaining for _ in range(3)] == [2, 1, 0]
    clock.now += 20
    refused = limiter.hit("ip:1", 3, 60)
    assert not refused.allowed and refused.retry_after_s == 40
    assert limiter.hit("ip:2", 3, 60).allowed  # another client has its own window
    clock.now += 40
    assert limiter.hit("ip:1", 3, 60).allowed


def test_memory_window_slides_rather_than_resetting_at_a_boundary() -> None:
    clock = FakeClock()
    limiter = InMemoryRateLimiter(clock)
    for step in range(4):
        clock.now += 15
        assert limiter.hit("k", 4, 60).allowed, step
    clock.now += 15  # the first hit is now exactly 60 s old and leaves the window
    assert limiter.hit("k", 4, 60).allowed
    assert not limiter.hit("k", 4, 60).allowed


def test_refused_hits_are_not_counted() -> None:
    clock = FakeClock()
    limiter = InMemoryRateLimiter(clock)
    limiter.hit("k", 1, 10)
    for _ in range(5):
        clock.now += 1
        assert not limiter.hit("k", 1, 10).allowed
    clock.now += 5
    assert limiter.hit("k", 1, 10).allowed


def test_memory_limiter_is_exact_under_threads() -> None:
    limiter = InMemoryRateLimiter()
    allowed: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            decision = limiter.hit("shared", 120, 60)
            with lock:
                allowed.append(decision.allowed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(allowed) == 120 and len(allowed) == 400


def test_idle_keys_are_swept() -> None:
    clock = FakeClock()
    limiter = InMemoryRateLimiter(clock)
    for n in range(limiter.SWEEP_EVERY - 1):
        limiter.hit(f"ip:{n}", 5, 60)
    clock.now += 61
    limiter.hit("ip:last", 5, 60)
    assert limiter.tracked_keys() == 1


def test_redis_window_allows_the_limit_then_refuses_with_a_wait(redis_limiter: RedisRateLimiter) -> None:
    decisions = [redis_limiter.hit("ip:1", 3, 60) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert 55 <= decisions[3].retry_after_s <= 60
    assert redis_limiter.hit("ip:2", 3, 60).allowed


def test_redis_window_is_shared_by_two_limiters_like_two_workers(redis_limiter: RedisRateLimiter) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    other_worker = RedisRateLimiter(client, prefix=redis_limiter._prefix)
    assert redis_limiter.hit("key:abc", 2, 60).allowed
    assert other_worker.hit("key:abc", 2, 60).allowed
    assert not redis_limiter.hit("key:abc", 2, 60).allowed
    client.close()


def test_redis_hits_leave_the_window_after_it(redis_limiter: RedisRateLimiter) -> None:
    assert redis_limiter.hit("k", 1, 0.2).allowed
    refused = redis_limiter.hit("k", 1, 0.2)
    assert not refused.allowed and refused.retry_after_s == 1
    threading.Event().wait(0.25)
    assert redis_limiter.hit("k", 1, 0.2).allowed


def test_unreachable_redis_raises_unavailable() -> None:
    with pytest.raises(RateLimiterUnavailableError):
        RedisRateLimiter.from_url(DEAD_REDIS_URL).hit("k", 1, 60)


def test_fallback_limits_in_process_while_redis_is_down_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    limiter = FallbackRateLimiter(
        RedisRateLimiter.from_url(DEAD_REDIS_URL), InMemoryRateLimiter(clock), retry_after_failure_s=30, clock=clock
    )
    with caplog.at_level(logging.WARNING, logger="minfu.api.ratelimit"):
        decisions = [limiter.hit("k", 2, 60) for _ in range(3)]
        clock.now += 31  # Redis is tried again, still down: no second warning
        limiter.hit("other", 2, 60)
    assert [d.allowed for d in decisions] == [True, True, False]
    assert limiter.backend == "memory"
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1


def test_fallback_goes_back_to_redis_when_it_answers(redis_limiter: RedisRateLimiter) -> None:
    clock = FakeClock()

    class FlakyRedis:
        backend = "redis"
        down = True

        def hit(self, key: str, limit: int, window_s: float):  # type: ignore[no-untyped-def]
            if self.down:
                raise RateLimiterUnavailableError("connection refused")
            return redis_limiter.hit(key, limit, window_s)

    flaky = FlakyRedis()
    limiter = FallbackRateLimiter(flaky, InMemoryRateLimiter(clock), retry_after_failure_s=30, clock=clock)
    assert limiter.hit("k", 1, 60).allowed and limiter.backend == "memory"
    flaky.down = False
    assert not limiter.hit("k", 1, 60).allowed  # still in the in-process window until the retry time
    clock.now += 31
    assert limiter.hit("k", 1, 60).allowed and limiter.backend == "redis"


def test_build_rate_limiter_follows_the_settings() -> None:
    assert isinstance(build_rate_limiter(Settings()), InMemoryRateLimiter)
    assert build_rate_limiter(Settings(redis_url=REDIS_URL)).backend == "redis"
    with pytest.raises(ConfigurationError):
        build_rate_limiter(Settings(redis_url="not-a-url"))


def limited_app(**overrides: object) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_limits(app, Settings(**({"rate_limit_per_minute": 3, "chat_rate_limit_per_minute": 2} | overrides)))  # type: ignore[arg-type]

    @app.get("/things", dependencies=[Depends(rate_limited())])
    def things() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/chat", dependencies=[Depends(rate_limited("chat"))])
    def chat() -> dict[str, bool]:
        return {"ok": True}

    return app


def _rejections(scope: str) -> float:
    return REGISTRY.get_sample_value("minfu_rate_limit_rejections_total", {"scope": scope}) or 0.0


@pytest.mark.parametrize("redis_url", [None, REDIS_URL, DEAD_REDIS_URL], ids=["memory", "redis", "redis-down"])
def test_the_fourth_request_in_a_minute_is_a_chinese_429_with_retry_after(redis_url: str | None) -> None:
    if redis_url == REDIS_URL:
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        except redis.ConnectionError as exc:
            pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    before = _rejections("default")
    n = uuid.uuid4().int
    client_ip = f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250}"  # fresh per run: Redis keeps the window 60 s
    with TestClient(limited_app(redis_url=redis_url), client=(client_ip, 5000)) as client:
        statuses = [client.get("/things").status_code for _ in range(3)]
        refused = client.get("/things")
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json() == {
        "error": "rate_limited",
        "message": f"请求过于频繁，请 {refused.headers['retry-after']} 秒后再试",
    }
    assert _rejections("default") == before + 1


def test_clients_are_told_apart_by_api_key_site_key_and_ip() -> None:
    with TestClient(limited_app()) as client:
        for _ in range(3):
            client.get("/things")
        assert client.get("/things").status_code == 429  # this IP is used up
        assert client.get("/things", headers={"X-API-Key": "staff-key-1"}).status_code == 200
        assert client.get("/things", headers={"X-Site-Key": "site-a"}).status_code == 200


def test_chat_has_its_own_smaller_limit() -> None:
    with TestClient(limited_app()) as client:
        assert [client.post("/chat").status_code for _ in range(3)] == [200, 200, 429]
        assert client.get("/things").status_code == 200


def test_a_zero_limit_turns_limiting_off() -> None:
    with TestClient(limited_app(rate_limit_per_minute=0)) as client:
        assert {client.get("/things").status_code for _ in range(10)} == {200}
