"""A tiny OpenAI-compatible chat-completions server on a loopback port (the standard library's http.server).

`StubLLM` serves POST /v1/chat/completions from a queue of scripted replies, one per request (a retry of the client
takes the next one): text, tool calls, a delay longer than the client's timeout, or an HTTP error. A reply may also
be a function of the request body, so a scripted answer can cite the refs the model actually received. Every request
body and its headers are recorded. A test that leaves replies unused, or asks for more than it scripted, fails.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class Reply:
    """One scripted response of the stub."""

    content: str = ""
    tool_calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    delay_s: float = 0.0
    status: int = 200

    @classmethod
    def text(cls, content: str) -> Reply:
        return cls(content=content)

    @classmethod
    def call(cls, name: str, args: dict[str, Any]) -> Reply:
        return cls(tool_calls=((name, args),))

    @classmethod
    def error(cls, status: int = 500) -> Reply:
        return cls(status=status)

    @classmethod
    def slow(cls, delay_s: float) -> Reply:
        return cls(content="太慢了", delay_s=delay_s)


Scripted = Reply | Callable[[dict[str, Any]], Reply]


@dataclass
class StubLLM:
    base_url: str
    replies: deque[Scripted] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    overdrawn: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(self, *replies: Scripted) -> None:
        with self.lock:
            self.replies.extend(replies)

    def take(self, body: dict[str, Any], headers: dict[str, str]) -> Reply | None:
        with self.lock:
            self.requests.append(body)
            self.headers.append(headers)
            if not self.replies:
                self.overdrawn += 1
                return None
            scripted = self.replies.popleft()
        return scripted(body) if callable(scripted) else scripted


def completion(reply: Reply, model: str) -> dict[str, Any]:
    """A chat.completion body as OpenAI-compatible servers return it."""
    message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(reply.tool_calls, start=1)
        ]
    finish = "tool_calls" if reply.tool_calls else "stop"
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def stream_events(reply: Reply, model: str) -> list[dict[str, Any]]:
    """The same reply as chat.completion.chunk events (text in pieces, then the tool calls, then the finish)."""
    base = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": reply.content[i : i + 6]} for i in range(0, len(reply.content), 6)]
    for i, (name, args) in enumerate(reply.tool_calls):
        call = {"index": i, "id": f"call_{i + 1}", "type": "function"}
        deltas.append({"tool_calls": [call | {"function": {"name": name, "arguments": json.dumps(args)}}]})
    events = [base | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]} for delta in deltas]
    finish = "tool_calls" if reply.tool_calls else "stop"
    return [*events, base | {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}]


class _Handler(BaseHTTPRequestHandler):
    """Serves one request from `stub`'s script; `serving` makes a subclass bound to its stub."""

    stub: StubLLM

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self.path != CHAT_PATH:
            self._send(404, {"error": {"message": "not found"}})
            return
        reply = self.stub.take(body, {k.lower(): v for k, v in self.headers.items()})
        if reply is None:
            self._send(500, {"error": {"message": "stub script exhausted"}})
            return
        time.sleep(reply.delay_s)
        if reply.status != 200:
            self._send(reply.status, {"error": {"message": "scripted failure", "type": "server_error"}})
        elif body.get("stream"):
            self._stream(stream_events(reply, str(body.get("model"))))
        else:
            self._send(200, completion(reply, str(body.get("model"))))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): nothing to answer

    def _stream(self, events: list[dict[str, Any]]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for event in events:
            self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def serving() -> Iterator[StubLLM]:
    """Serve a fresh stub on a free loopback port for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    stub = StubLLM(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    server.RequestHandlerClass = type("BoundHandler", (_Handler,), {"stub": stub})
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
