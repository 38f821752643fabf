"""Errors at the HTTP boundary: a clear 4xx in Chinese with English field names; never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from minfu.errors import InvalidInputError, MinfuError
from tools.store.errors import NotFoundError

log = logging.getLogger("minfu.api")


class AccessError(Exception):
    """A refused caller: 401 (no or bad credentials) or 403 (known, but not allowed); `message` is Chinese.

    `field` names the header at fault (X-Site-Key, Origin, Authorization, X-API-Key).
    """

    def __init__(self, status: int, code: str, message: str, *, field: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def _access(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AccessError)
    content = {"error": exc.code, "message": exc.message, "fields": [{"field": exc.field, "problem": exc.message}]}
    return JSONResponse(status_code=exc.status, content=content)


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [
        {"field": ".".join(str(p) for p in e["loc"] if p not in ("query", "body")), "problem": e["msg"]}
        for e in exc.errors()
    ]
    return JSONResponse(
        status_code=422, content={"error": "invalid_input", "message": "请求参数有误", "fields": fields}
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    messages = {404: "未找到", 405: "不支持该请求方法", 413: "请求体过大", 429: "请求过于频繁"}
    return JSONResponse(
        status_code=exc.status_code,
        content={"error": "http_error", "message": messages.get(exc.status_code, str(exc.detail))},
    )


def _minfu(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, MinfuError)
    # someone else's record is answered like a missing one (404), never 403: its existence is not disclosed
    status = 400 if isinstance(exc, InvalidInputError) else 404 if isinstance(exc, NotFoundError) else 503
    return JSONResponse(status_code=status, content={"error": exc.code, "message": exc.message})


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s", request.url.path)
    return JSONResponse(status_code=500, content={"error": "internal_error", "message": "服务内部错误，请稍后重试"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(MinfuError, _minfu)
    app.add_exception_handler(AccessError, _access)
    app.add_exception_handler(Exception, _unexpected)
