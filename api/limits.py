"""Limits at the HTTP boundary: request body size (413), time to answer (504) and, via api.ratelimit, rate (429).

The body limit looks at Content-Length first and counts the streamed body too (a chunked upload has no length).
The timeout runs until the response starts: an ordinary route answers in one piece, so it is timed as a whole, while
a streaming route (server-sent events) starts its response at once and is then free to stream for as long as it
needs. A synchronous route that times out keeps running in its worker thread until it returns (Python cannot stop a
thread); its late answer is dropped.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.ratelimit import install_rate_limiting
from minfu.settings import Settings

log = logging.getLogger("minfu.api.limits")


class BodyTooLargeError(HTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(status_code=413, detail="body_too_large")
        self.max_bytes = max_bytes


def body_too_large_response(max_bytes: int) -> JSONResponse:
    return JSONResponse(
        status_code=413,
        content={"error": "body_too_large", "message": f"请求内容过大，不能超过 {_size_label(max_bytes)}"},
    )


def _size_label(size: int) -> str:
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MB"
    return f"{size // 1024} KB" if size % 1024 == 0 else f"{size} 字节"


def _declared_length(scope: Scope) -> int | None:
    raw = Headers(scope=scope).get("content-length")
    return int(raw) if raw and raw.strip().isdigit() else None


class BodySizeLimitMiddleware:
    """413 for a body over `max_bytes`: at once by its Content-Length, or as soon as the streamed body exceeds it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await body_too_large_response(self.max_bytes)(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLargeError:  # raised where no exception handler caught it (outside a route)
            if started:
                raise
            await body_too_large_response(self.max_bytes)(scope, receive, send)


def _body_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLargeError)
    return body_too_large_response(exc.max_bytes)


def timeout_response(timeout_s: float) -> JSONResponse:
    return JSONResponse(
        status_code=504,
        content={"error": "timeout", "message": f"请求处理超时（超过 {timeout_s:g} 秒），请稍后重试"},
    )


class TimeoutMiddleware:
    """504 when the response has not started within `timeout_s` seconds (see the module docstring)."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        timed_out = False

        async def send_unless_timed_out(message: Message) -> None:
            if timed_out:
                return  # the client already has its 504
            if message["type"] == "http.response.start" and not response_started.done():
                response_started.set_result(None)
            await send(message)

        handling = asyncio.ensure_future(self.app(scope, receive, send_unless_timed_out))
        try:
            first = asyncio.FIRST_COMPLETED
            await asyncio.wait({handling, response_started}, timeout=self.timeout_s, return_when=first)
            if handling.done() or response_started.done():
                await handling
                return
            timed_out = True
            log.warning("request timed out after %gs: %s %s", self.timeout_s, scope["method"], scope["path"])
            await timeout_response(self.timeout_s)(scope, receive, send)
        finally:
            if not handling.done():
                handling.cancel()
                handling.add_done_callback(_discard_outcome)


def _discard_outcome(task: asyncio.Future[None]) -> None:
    """Collect the abandoned handler's outcome so asyncio does not report it as never retrieved."""
    if not task.cancelled() and task.exception() is not None:
        log.info("a timed-out request ended with an error: %r", task.exception())


def install_limits(app: FastAPI, settings: Settings) -> None:
    """Body size and timeout middleware, the rate limiter for `rate_limited` dependencies, their Chinese errors.

    Call before `install_observability`, so that 413s and 504s are logged and counted too.
    """
    app.add_middleware(TimeoutMiddleware, timeout_s=settings.request_timeout_s)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_exception_handler(BodyTooLargeError, _body_too_large)
    install_rate_limiting(app, settings)
