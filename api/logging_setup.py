"""Structured logs: one JSON object per line (or plain text), personal numbers masked, each line with its request id.

`RequestContextMiddleware` gives every request an id (the caller's `X-Request-ID` when it is sane, else a new one),
returns it in the `X-Request-ID` response header and logs one line per request: method, path (without the query
string, which may hold personal data), route template, status and duration. Bodies are never logged. An error the
app did not handle is logged with the id and answered with a Chinese 500 that carries the same id, so a user can
quote it. Uvicorn's own access log is switched off: it would log query strings unmasked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import route_template
from minfu.settings import Settings
from tools.masking import mask_pii, mask_value

REQUEST_ID_HEADER = "X-Request-ID"
HANDLER_NAME = "minfu"
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # probes and scrapes: logged at DEBUG only
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
# Not extras: the record's own attributes, and uvicorn's copy of its message with terminal colour codes.
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}

_request_id: ContextVar[str | None] = ContextVar("minfu_request_id", default=None)
access_log = logging.getLogger("minfu.api.access")
log = logging.getLogger("minfu.api")


def current_request_id() -> str | None:
    """The id of the request being handled (None outside a request); also set in the threads that serve it."""
    return _request_id.get()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, message, request_id and the record's extra fields, masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_pii(record.getMessage()),
            "request_id": current_request_id(),
        }
        entry.update(_extras(record))
        if record.exc_info:
            entry["exc"] = mask_pii(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = mask_pii(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class MaskingTextFormatter(logging.Formatter):
    """Plain lines for a developer's terminal, masked like the JSON ones."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = current_request_id() or "-"
        extras = " ".join(f"{key}={value}" for key, value in _extras(record).items() if key != "request_id")
        return mask_pii(super().format(record) + (f" {extras}" if extras else ""))


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {key: mask_value(value) for key, value in record.__dict__.items() if key not in _RECORD_FIELDS}


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(settings: Settings) -> None:
    """Route every log record (uvicorn's too) to stderr in the configured format; calling it again replaces it."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else MaskingTextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


def sane_request_id(raw: str | None) -> str | None:
    """The caller's request id when it is short, plain and carries no personal number; None otherwise."""
    value = (raw or "").strip()
    if not _SANE_REQUEST_ID.fullmatch(value) or mask_pii(value) != value:
        return None
    return value


class RequestContextMiddleware:
    """Request ids, the per-request log line and a Chinese 500 with the id for errors nothing else handled."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER)
        request_id = sane_request_id(incoming) or uuid.uuid4().hex
        token = _request_id.set(request_id)
        started = time.perf_counter()
        response: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response.update(status=int(message["status"]), started=True)
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if response["started"]:
                raise
            await _internal_error(request_id)(scope, receive, send_with_id)
        finally:
            _log_request(scope, int(response["status"]), time.perf_counter() - started)
            _request_id.reset(token)


def _internal_error(request_id: str) -> JSONResponse:
    return JSONResponse(
        status_code=500,
        content={"error": "internal_error", "message": "服务内部错误，请稍后重试", "request_id": request_id},
    )


def _log_request(scope: Scope, status: int, elapsed_s: float) -> None:
    path = str(scope["path"])
    level = logging.DEBUG if path in QUIET_PATHS and status < 400 else logging.INFO
    fields = {
        "method": scope["method"],
        "path": path,
        "route": route_template(scope),
        "status": status,
        "duration_ms": round(elapsed_s * 1000, 1),
    }
    access_log.log(level, "%s %s %d", scope["method"], path, status, extra=fields)
