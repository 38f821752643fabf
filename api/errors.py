"""Errors at the HTTP boundary: a clear 4xx in Chinese with English field names; never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from minfu.errors import InvalidInputError, MinfuError
from tools.store.errors import NotFoundError

log = logging.getLogger("minfu.api")

ERROR_DESCRIPTIONS = {
    400: "请求有误：请求体无法解析，或输入不合业务规则（例如只有空白的消息、无效的统一社会信用代码）",
    401: "缺少或无效的身份凭据（站点标识、身份令牌或 API 密钥）",
    403: "身份已识别，但无权进行该操作（例如网页来源未获准、需要管理员权限）",
    404: "未找到（他人的记录也按未找到答复）",
    409: "与当前状态冲突",
    413: "请求内容过大",
    422: "请求参数有误：fields 列出每个有误的字段",
    429: "请求过于频繁：请按 Retry-After 秒后再试",
    503: "服务暂不可用（例如大模型服务无响应）",
    504: "请求处理超时",
}


class FieldProblem(BaseModel):
    field: str = Field(description="有误的字段或请求头（英文名）")
    problem: str


class ErrorBody(BaseModel):
    """Every error answer of the API: a machine-readable code, a Chinese message and, for input, the fields."""

    error: str = Field(description="错误代码，例如 invalid_input、unknown_site、not_found")
    message: str = Field(description="中文说明，可直接展示给用户")
    fields: list[FieldProblem] | None = Field(default=None, description="有误的字段（参数错误和身份错误时）")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, all in the ErrorBody shape: `@router.get(..., responses=...)`."""
    return {status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]} for status in statuses}


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
    messages = {
        400: "请求体无法解析，请发送 UTF-8 编码的 JSON",
        404: "未找到",
        405: "不支持该请求方法",
        413: "请求体过大",
        429: "请求过于频繁",
    }
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
