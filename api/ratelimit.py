"""Rate limits per client: a sliding window in-process, or in Redis when `redis_url` is set (shared by all workers).

A client is its API key (`X-API-Key`, hashed) when it sends one; a website visitor is the site key (`X-Site-Key`)
together with the IP address, because one public site key serves every visitor of that site; anyone else is the
IP address. When Redis cannot be reached the in-process limiter stands in (and a warning is logged) until Redis
answers again: a limiter outage must never turn requests into 500s.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.backoff import NoBackoff
from redis.retry import Retry
from starlette.exceptions import HTTPException

from api.metrics import record_rate_limited
from minfu.errors import ConfigurationError
from minfu.settings import Settings

log = logging.getLogger("minfu.api.ratelimit")

RateScope = Literal["default", "chat"]
WINDOW_S = 60.0
REDIS_TIMEOUT_S = 0.25
REDIS_RETRY_AFTER_FAILURE_S = 30.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after_s: int  # whole seconds until a request would be allowed; 0 when allowed


class RateLimiter(Protocol):
    @property
    def backend(self) -> str:
        """Where the counts live: "memory" or "redis"."""
        ...

    def hit(self, key: str, limit: int, window_s: float) -> Decision:
        """Count one request of `key` and say whether it is within `limit` requests per `window_s` seconds."""
        ...


class RateLimiterUnavailableError(Exception):
    """The shared limiter's store cannot be reached; callers fall back to the in-process limiter."""


def _denied(wait_s: float) -> Decision:
    return Decision(allowed=False, remaining=0, retry_after_s=max(1, math.ceil(wait_s)))


@dataclass
class _Log:
    window_s: float
    hits: deque[float] = field(default_factory=deque)


class InMemoryRateLimiter:
    """A sliding window log per key, in this process (thread-safe); idle keys are swept so memory stays bounded."""

    backend = "memory"
    SWEEP_EVERY = 1024

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._logs: dict[str, _Log] = {}
        self._lock = threading.Lock()
        self._hits_since_sweep = 0

    def hit(self, key: str, limit: int, window_s: float) -> Decision:
        now = self._clock()
        with self._lock:
            self._sweep_now_and_then(now)
            entry = self._logs.setdefault(key, _Log(window_s))
            entry.window_s = window_s
            while entry.hits and entry.hits[0] <= now - window_s:
                entry.hits.popleft()
            if len(entry.hits) >= limit:
                return _denied(entry.hits[0] + window_s - now)
            entry.hits.append(now)
            return Decision(allowed=True, remaining=limit - len(entry.hits), retry_after_s=0)

    def tracked_keys(self) -> int:
        with self._lock:
            return len(self._logs)

    def _sweep_now_and_then(self, now: float) -> None:
        self._hits_since_sweep += 1
        if self._hits_since_sweep < self.SWEEP_EVERY:
            return
        self._hits_since_sweep = 0
        idle = [key for key, entry in self._logs.items() if not entry.hits or entry.hits[-1] <= now - entry.window_s]
        for key in idle:
            del self._logs[key]


# A sliding window log in a sorted set, atomic in one script; Redis's clock is shared by every worker.
_SLIDING_WINDOW_LUA = """
local key, limit, window_ms, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now_ms - window_ms)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now_ms, member)
  redis.call('PEXPIRE', key, window_ms)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, 0, tonumber(oldest[2]) + window_ms - now_ms}
"""


class RedisRateLimiter:
    """The same sliding window in Redis; raises RateLimiterUnavailableError when Redis does not answer."""

    backend = "redis"

    def __init__(self, client: redis.Redis, prefix: str = "minfu:ratelimit:") -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_SLIDING_WINDOW_LUA)

    @classmethod
    def from_url(cls, url: str, prefix: str = "minfu:ratelimit:") -> RedisRateLimiter:
        """A client that gives up fast (no retries, short timeouts): a slow limiter must not slow every request."""
        try:
            client = redis.Redis.from_url(
                url,
                socket_timeout=REDIS_TIMEOUT_S,
                socket_connect_timeout=REDIS_TIMEOUT_S,
                retry=Retry(NoBackoff(), 0),
            )
        except ValueError as exc:
            raise ConfigurationError(f"Redis 地址 MINFU_REDIS_URL 无效：{exc}") from exc
        return cls(client, prefix)

    def hit(self, key: str, limit: int, window_s: float) -> Decision:
        args: list[str | int] = [limit, int(window_s * 1000), uuid.uuid4().hex]
        try:
            allowed, remaining, wait_ms = self._script(keys=[self._prefix + key], args=args)
        except (redis.RedisError, OSError) as exc:
            raise RateLimiterUnavailableError(str(exc)) from exc
        if allowed:
            return Decision(allowed=True, remaining=int(remaining), retry_after_s=0)
        return _denied(int(wait_ms) / 1000)


class FallbackRateLimiter:
    """`primary` (Redis) while it answers; `fallback` (in-process) for a while after it fails, then Redis again."""

    def __init__(
        self,
        primary: RateLimiter,
        fallback: RateLimiter,
        *,
        retry_after_failure_s: float = REDIS_RETRY_AFTER_FAILURE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._primary = primary
        self._fallback = fallback
        self._retry_after_failure_s = retry_after_failure_s
        self._clock = clock
        self._primary_down_until: float | None = None

    @property
    def backend(self) -> str:
        return self._fallback.backend if self._primary_down_until is not None else self._primary.backend

    def hit(self, key: str, limit: int, window_s: float) -> Decision:
        down_until = self._primary_down_until
        if down_until is not None and self._clock() < down_until:
            return self._fallback.hit(key, limit, window_s)
        try:
            decision = self._primary.hit(key, limit, window_s)
        except RateLimiterUnavailableError as exc:
            if down_until is None:
                log.warning("rate limiter %s unreachable, limiting in-process: %s", self._primary.backend, exc)
            self._primary_down_until = self._clock() + self._retry_after_failure_s
            return self._fallback.hit(key, limit, window_s)
        if down_until is not None:
            log.warning("rate limiter %s reachable again", self._primary.backend)
            self._primary_down_until = None
        return decision


def build_rate_limiter(settings: Settings) -> RateLimiter:
    if not settings.redis_url:
        return InMemoryRateLimiter()
    return FallbackRateLimiter(RedisRateLimiter.from_url(settings.redis_url), InMemoryRateLimiter())


@dataclass(frozen=True)
class RateLimits:
    """Requests per client and minute for each scope; 0 turns a scope's limit off."""

    default: int
    chat: int

    @classmethod
    def of(cls, settings: Settings) -> RateLimits:
        return cls(default=settings.rate_limit_per_minute, chat=settings.chat_rate_limit_per_minute)

    def per_minute(self, scope: RateScope) -> int:
        return self.chat if scope == "chat" else self.default


class RateLimitedError(HTTPException):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(status_code=429, detail="rate_limited", headers={"Retry-After": str(retry_after_s)})
        self.retry_after_s = retry_after_s


def client_key(request: Request) -> str:
    """Who the request counts against (see the module docstring); keys are hashed, never kept in clear."""
    ip = request.client.host if request.client else "unknown"
    api_key = request.headers.get("x-api-key", "").strip()
    if api_key:
        return f"key:{_digest(api_key)}"
    site_key = request.headers.get("x-site-key", "").strip()
    if site_key:
        return f"site:{_digest(site_key)}:ip:{ip}"
    return f"ip:{ip}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:24]


def rate_limited(scope: RateScope = "default") -> Callable[[Request], None]:
    """A FastAPI dependency: `dependencies=[Depends(rate_limited("chat"))]` answers 429 with Retry-After."""

    def check_rate_limit(request: Request) -> None:
        state = request.app.state
        if not hasattr(state, "rate_limiter"):
            raise ConfigurationError("限流未配置：请在创建应用时调用 install_limits")
        limit = state.rate_limits.per_minute(scope)
        if limit <= 0:
            return
        decision = state.rate_limiter.hit(f"{scope}:{client_key(request)}", limit, WINDOW_S)
        if not decision.allowed:
            record_rate_limited(scope)
            raise RateLimitedError(decision.retry_after_s)

    return check_rate_limit


def _rate_limited_response(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimitedError)
    return JSONResponse(
        status_code=429,
        content={"error": "rate_limited", "message": f"请求过于频繁，请 {exc.retry_after_s} 秒后再试"},
        headers={"Retry-After": str(exc.retry_after_s)},
    )


def install_rate_limiting(app: FastAPI, settings: Settings) -> None:
    """The limiter and the limits on `app.state`, and the Chinese 429 for `rate_limited` dependencies."""
    app.state.rate_limiter = build_rate_limiter(settings)
    app.state.rate_limits = RateLimits.of(settings)
    app.add_exception_handler(RateLimitedError, _rate_limited_response)
