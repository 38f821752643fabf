"""Prometheus metrics: requests by route template and status, chat turns, tool calls, handoffs, unanswered turns and
rate-limit rejections; `GET /metrics` serves them in the text exposition format.

The metrics live in one registry per process (`REGISTRY`), so several apps in one process (tests) share counters.
Labels come from fixed sets only — the route template, never the raw path; a known tool name, never the model's
spelling — so a client cannot blow up the number of series.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tools.agent_tools import ALL_TOOLS

if TYPE_CHECKING:
    from agents.assistant import Reply

REGISTRY = CollectorRegistry()
process_collector.ProcessCollector(registry=REGISTRY)
platform_collector.PlatformCollector(registry=REGISTRY)
gc_collector.GCCollector(registry=REGISTRY)

KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
KNOWN_TOOLS = frozenset(tool.name for tool in ALL_TOOLS)
UNMATCHED_ROUTE = "unmatched"
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter(
    "minfu_http_requests_total", "HTTP requests answered", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "minfu_http_request_duration_seconds",
    "Time from request to the end of the response",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
CHAT_TURNS = Counter("minfu_chat_turns_total", "Chat turns answered", ["agent", "brain"], registry=REGISTRY)
TOOL_CALLS = Counter("minfu_tool_calls_total", "Tool calls by tool and outcome", ["tool", "outcome"], registry=REGISTRY)
HANDOFFS = Counter("minfu_handoffs_offered_total", "Turns that offered a handoff to staff", registry=REGISTRY)
UNANSWERED = Counter("minfu_unanswered_turns_total", "Turns the agent could not answer", ["agent"], registry=REGISTRY)
RATE_LIMITED = Counter("minfu_rate_limit_rejections_total", "Requests refused with 429", ["scope"], registry=REGISTRY)

router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Prometheus 指标", include_in_schema=False)
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def record_turn(reply: Reply) -> None:
    """Count one answered chat turn: its agent and brain, its tool calls, a handoff offer, an unanswered answer.

    It counts the turn's tool calls too; call `record_tool_call` only for tool calls made outside a chat turn.
    """
    CHAT_TURNS.labels(agent=reply.agent, brain=reply.brain).inc()
    for call in reply.tool_calls:
        record_tool_call(call.name, call.ok)
    if reply.handoff_offered:
        HANDOFFS.inc()
    if reply.metadata.get("answered") is False or reply.metadata.get("grounded") is False:
        UNANSWERED.labels(agent=reply.agent).inc()


def record_tool_call(name: str, ok: bool) -> None:
    tool = name if name in KNOWN_TOOLS else "other"
    TOOL_CALLS.labels(tool=tool, outcome="ok" if ok else "error").inc()


def record_rate_limited(scope: str) -> None:
    RATE_LIMITED.labels(scope=scope).inc()


def route_template(scope: Scope) -> str:
    """The matched route's full path template (`/v1/matters/{number}`), or `unmatched`.

    A route included with a prefix knows only its own part (`/matters/{number}`); the prefix is what the request
    path has before that part, with any path parameter in it put back as `{name}`.
    """
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return UNMATCHED_ROUTE
    params = {name: str(value) for name, value in (scope.get("path_params") or {}).items()}
    concrete = _PARAM.sub(lambda m: params.get(m.group(1), m.group()), template)
    path = str(scope.get("path", ""))
    if not path.endswith(concrete):
        return template
    own = set(_PARAM.findall(template))
    names_by_value = {value: name for name, value in params.items() if name not in own}
    prefix = [
        f"{{{names_by_value[part]}}}" if part in names_by_value else part
        for part in path[: -len(concrete) or None].split("/")
    ]
    return "/".join(prefix) + template


class MetricsMiddleware:
    """Counts every HTTP request by method, route template and status, and times it to the end of the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            route = route_template(scope)
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
            HTTP_LATENCY.labels(method=method, route=route).observe(time.perf_counter() - started)


def install_metrics(app: FastAPI) -> None:
    app.add_middleware(MetricsMiddleware)
    app.include_router(router)
