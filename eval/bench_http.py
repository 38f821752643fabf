"""`minfu bench http`: the real service under load on loopback, measured from outside over server-sent events.

The service runs as `minfu serve` in a subprocess on a free loopback port, with the settings of the environment
(data directory, embedder, brain) except: rate limits off, the development environment (so the development site and
its demo login exist) and a database of its own — a temporary SQLite file unless one is given, so benchmark
conversations never land in a live store. After /readyz the benchmark

1. warms up: every session talks for `warmup_s` seconds (counted, not measured);
2. probes first-event latency: one client, `probe_turns` turns one after another (no queueing: the ≤150 ms target);
3. loads: `sessions` simulated visitors talk for `seconds` seconds at once.

A visitor holds short multi-turn conversations from a fixed list (the conversation id of the first turn's
`conversation` event is reused for the next turns), sends each message as soon as the previous turn's `final` event
has arrived (closed loop, no think time) and starts no turn after the deadline; every second visitor is signed in
with a demo enterprise token. Every turn is checked: HTTP status, event order and JSON, the conversation id, the
`text` pieces adding up to the final answer; a turn that fails any check, times out or gets an `error` event counts
as an error of its kind.

Two things to keep in mind when reading the figures: the client runs on the same machine as the service and
competes with it for the CPUs; and the questions repeat, so after the warm-up the knowledge base's query-embedding
cache (in the data directory) answers the query embeddings that real, varied questions would have to compute.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from eval.metrics import percentile
from minfu.errors import ConfigurationError, IndexUnavailableError

T = TypeVar("T")
STREAM_PATH = "/v1/chat/stream"
DEV_SITE_KEY = "site_dev"
KNOWN_EVENTS = frozenset({"conversation", "tool_call", "tool_result", "text", "final", "error"})
FIRST_EVENT_TARGET_MS = 150.0
LOG_TAIL_LINES = 20
SERVE_COMMAND = ("-c", "from minfu.cli import app; app()", "serve")  # exactly what `minfu serve` runs


@dataclass(frozen=True)
class Conversation:
    kind: str
    turns: tuple[str, ...]


CONVERSATIONS = (
    Conversation(
        "policy",
        ("劳动合同的试用期最长不得超过多久？", "员工要辞职的话需要提前多少天书面通知公司？", "谢谢"),
    ),
    Conversation("service_guide", ("开奶茶店要办什么证", "食品经营许可需要准备哪些材料？")),
    Conversation("greeting", ("你好", "你能帮我做什么？")),
    Conversation("out_of_scope", ("今天天气怎么样", "最近买哪只股票能赚钱")),
    Conversation("investment", ("我们做工业软件的，需要1000平左右的办公室，想在莘庄", "有什么落户政策吗")),
    Conversation(
        "policy",
        ("公司要辞退员工，经济补偿金按什么标准给？", "新公司法规定有限责任公司股东认缴的注册资本要在几年内缴足？"),
    ),
)


@dataclass(frozen=True)
class HttpBenchOptions:
    sessions: int = 50
    seconds: float = 60.0
    warmup_s: float = 5.0
    probe_turns: int = 50
    turn_timeout_s: float = 60.0
    ready_timeout_s: float = 300.0
    database_url: str | None = None  # None: a temporary SQLite file
    environment: Mapping[str, str] = field(default_factory=dict)  # on top of os.environ, for the service only


# --- one turn over server-sent events ---


@dataclass(frozen=True)
class SseEvent:
    name: str
    data: str


class SseParser:
    """Server-sent events from lines (without their line breaks), as the WHATWG spec frames them."""

    def __init__(self) -> None:
        self._name: str | None = None
        self._data: list[str] = []

    @property
    def pending(self) -> bool:
        """An event has begun but its closing blank line has not arrived (a truncated stream)."""
        return self._name is not None or bool(self._data)

    def feed(self, line: str) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._name = value
        elif name == "data":
            self._data.append(value)
        return None

    def _dispatch(self) -> SseEvent | None:
        if not self.pending:
            return None
        event = SseEvent(self._name or "message", "\n".join(self._data))
        self._name, self._data = None, []
        return event


class TurnFailedError(Exception):
    """A turn went wrong; `kind` is what the report counts (http_503, error_event:…, malformed:…)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(frozen=True)
class TurnResult:
    kind: str  # the conversation's kind
    full_ms: float
    first_event_ms: float | None = None
    first_text_ms: float | None = None
    conversation_id: str | None = None
    brain: str | None = None
    error: str | None = None


class StreamCheck:
    """Follows one turn's events: when the first event, the first text and `final` arrived, and what was wrong."""

    def __init__(self, started: float, conversation_id: str | None) -> None:
        self.started = started
        self.expected_conversation = conversation_id
        self.conversation_id: str | None = None
        self.first_event_ms: float | None = None
        self.first_text_ms: float | None = None
        self.text: list[str] = []
        self.final: dict[str, Any] | None = None

    def see(self, event: SseEvent, now: float) -> None:
        elapsed_ms = (now - self.started) * 1000
        if self.first_event_ms is None:
            self.first_event_ms = elapsed_ms
            if event.name != "conversation":
                raise TurnFailedError("malformed:first_event_not_conversation")
        if self.final is not None:
            raise TurnFailedError("malformed:event_after_final")
        if event.name not in KNOWN_EVENTS:
            raise TurnFailedError(f"malformed:unknown_event:{event.name[:30]}")
        self._see_data(event.name, _json_object(event.data), elapsed_ms)

    def _see_data(self, name: str, data: dict[str, Any], elapsed_ms: float) -> None:
        if name == "conversation":
            self._see_conversation(data)
        elif name == "text":
            if not isinstance(data.get("delta"), str):
                raise TurnFailedError("malformed:text_without_delta")
            self.first_text_ms = self.first_text_ms if self.first_text_ms is not None else elapsed_ms
            self.text.append(data["delta"])
        elif name == "final":
            self._see_final(data)
        elif name == "error":
            raise TurnFailedError(f"error_event:{data.get('error')}")

    def _see_conversation(self, data: dict[str, Any]) -> None:
        given = data.get("conversation_id")
        if self.conversation_id is not None or not isinstance(given, str):
            raise TurnFailedError("malformed:conversation_event")
        if self.expected_conversation is not None and given != self.expected_conversation:
            raise TurnFailedError("malformed:conversation_id_changed")
        self.conversation_id = given

    def _see_final(self, data: dict[str, Any]) -> None:
        if data.get("conversation_id") != self.conversation_id or not isinstance(data.get("answer"), str):
            raise TurnFailedError("malformed:final")
        if "".join(self.text) != data["answer"]:
            raise TurnFailedError("malformed:text_differs_from_final_answer")
        self.final = data

    def end(self, parser: SseParser) -> None:
        if parser.pending:
            raise TurnFailedError("malformed:truncated_event")
        if self.final is None:
            raise TurnFailedError("malformed:no_final_event")

    def result(self, kind: str, error: str | None = None) -> TurnResult:
        full_ms = (time.perf_counter() - self.started) * 1000
        brain = self.final.get("brain") if self.final else None
        return TurnResult(
            kind=kind,
            full_ms=full_ms,
            first_event_ms=self.first_event_ms,
            first_text_ms=self.first_text_ms,
            conversation_id=self.conversation_id,
            brain=brain if isinstance(brain, str) else None,
            error=error,
        )


def _json_object(data: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except json.JSONDecodeError:
        raise TurnFailedError("malformed:bad_json") from None
    if not isinstance(value, dict):
        raise TurnFailedError("malformed:data_not_object")
    return value


@dataclass(frozen=True)
class Turn:
    kind: str
    message: str
    conversation_id: str | None
    headers: Mapping[str, str]


async def run_turn(client: httpx.AsyncClient, turn: Turn, timeout_s: float) -> TurnResult:
    """One message over the streaming endpoint, timed and checked; never raises for a failed turn."""
    check = StreamCheck(time.perf_counter(), turn.conversation_id)
    try:
        async with asyncio.timeout(timeout_s):
            await _stream(client, turn, check)
    except TurnFailedError as failure:
        return check.result(turn.kind, failure.kind)
    except TimeoutError:
        return check.result(turn.kind, "timeout")
    except httpx.HTTPError as exc:
        return check.result(turn.kind, f"transport:{type(exc).__name__}")
    return check.result(turn.kind)


async def _stream(client: httpx.AsyncClient, turn: Turn, check: StreamCheck) -> None:
    body: dict[str, str] = {"message": turn.message}
    if turn.conversation_id:
        body["conversation_id"] = turn.conversation_id
    async with client.stream("POST", STREAM_PATH, json=body, headers=dict(turn.headers)) as response:
        if response.status_code != 200:
            await response.aread()
            raise TurnFailedError(f"http_{response.status_code}")
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            raise TurnFailedError("malformed:not_event_stream")
        parser = SseParser()
        async for line in response.aiter_lines():
            event = parser.feed(line)
            if event is not None:
                check.see(event, time.perf_counter())
        check.end(parser)


# --- sessions and phases ---


@dataclass(frozen=True)
class PhaseResult:
    sessions: int
    elapsed_s: float
    turns: tuple[TurnResult, ...]

    def summary(self) -> dict[str, Any]:
        completed = [turn for turn in self.turns if turn.error is None]
        errors = Counter(turn.error for turn in self.turns if turn.error is not None)
        return {
            "sessions": self.sessions,
            "elapsed_s": round(self.elapsed_s, 2),
            "turns": len(self.turns),
            "turns_completed": len(completed),
            "throughput_turns_per_s": round(len(completed) / self.elapsed_s, 2) if self.elapsed_s > 0 else 0.0,
            "errors": sum(errors.values()),
            "error_kinds": dict(errors.most_common()),
            "brains": sorted({turn.brain for turn in completed if turn.brain}),
            "latency_ms": {
                "first_event": latency_stats([t.first_event_ms for t in completed if t.first_event_ms is not None]),
                "first_text": latency_stats([t.first_text_ms for t in completed if t.first_text_ms is not None]),
                "full_turn": latency_stats([t.full_ms for t in completed]),
            },
            "full_turn_ms_by_kind": _by_kind(completed),
        }


def latency_stats(values: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99/max in milliseconds (None without values), rounded to 0.1 ms."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    figures = {f"p{q}": percentile(values, q) for q in (50, 95, 99)} | {"max": max(values)}
    return {name: round(value, 1) for name, value in figures.items()}


def _by_kind(turns: Sequence[TurnResult]) -> dict[str, dict[str, float | int | None]]:
    kinds = sorted({turn.kind for turn in turns})
    table: dict[str, dict[str, float | int | None]] = {}
    for kind in kinds:
        times = [turn.full_ms for turn in turns if turn.kind == kind]
        stats = latency_stats(times)
        table[kind] = {"turns": len(times), "p50": stats["p50"], "p95": stats["p95"]}
    return table


def conversation_cycle(session: int) -> Iterator[Conversation]:
    """Session n starts at the n-th conversation of the list, so concurrent sessions ask different things."""
    return itertools.islice(itertools.cycle(CONVERSATIONS), session % len(CONVERSATIONS), None)


@dataclass(frozen=True)
class SessionPlan:
    number: int  # which conversation the session starts with
    headers: Mapping[str, str]
    deadline: float  # time.perf_counter() after which no turn starts
    max_turns: int | None = None


async def run_session(client: httpx.AsyncClient, plan: SessionPlan, timeout_s: float) -> list[TurnResult]:
    """Conversations until the deadline (or max_turns); a failed turn ends its conversation (its state is unknown)."""
    results: list[TurnResult] = []
    for conversation in conversation_cycle(plan.number):
        conversation_id: str | None = None
        for message in conversation.turns:
            if time.perf_counter() >= plan.deadline or len(results) == plan.max_turns:
                return results
            turn = Turn(conversation.kind, message, conversation_id, plan.headers)
            result = await run_turn(client, turn, timeout_s)
            results.append(result)
            if result.error is not None:
                break
            conversation_id = result.conversation_id
    return results  # pragma: no cover - the cycle is endless


async def run_phase(
    base_url: str, sessions: int, seconds: float, *, token: str | None, timeout_s: float
) -> PhaseResult:
    """`sessions` visitors at once for `seconds`; odd-numbered visitors are signed in when a token is given."""
    limits = httpx.Limits(max_connections=sessions, max_keepalive_connections=sessions)
    timeout = httpx.Timeout(timeout_s)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout, trust_env=False) as client:
        started = time.perf_counter()
        deadline = started + seconds
        plans = [SessionPlan(n, _headers(token if n % 2 else None), deadline) for n in range(sessions)]
        runs = [run_session(client, plan, timeout_s) for plan in plans]
        per_session = await asyncio.gather(*runs)
        elapsed = time.perf_counter() - started
    return PhaseResult(sessions, elapsed, tuple(itertools.chain.from_iterable(per_session)))


async def run_probe(base_url: str, turns: int, *, timeout_s: float) -> PhaseResult:
    """One anonymous client, `turns` turns one after another through the conversation list (warm, no queueing)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(timeout_s), trust_env=False) as client:
        started = time.perf_counter()
        plan = SessionPlan(0, _headers(None), deadline=float("inf"), max_turns=turns)
        results = await run_session(client, plan, timeout_s)
        elapsed = time.perf_counter() - started
    return PhaseResult(1, elapsed, tuple(results))


def _headers(token: str | None) -> dict[str, str]:
    headers = {"X-Site-Key": DEV_SITE_KEY}
    return headers | {"Authorization": f"Bearer {token}"} if token else headers


# --- the service in a subprocess ---


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def service_environment(base: Mapping[str, str], *, port: int, database_url: str) -> dict[str, str]:
    """The operator's environment with what the benchmark needs on top (see the module docstring)."""
    return dict(base) | {
        "MINFU_ENVIRONMENT": "development",
        "MINFU_RATE_LIMIT_PER_MINUTE": "0",
        "MINFU_CHAT_RATE_LIMIT_PER_MINUTE": "0",
        "MINFU_HOST": "127.0.0.1",
        "MINFU_PORT": str(port),
        "MINFU_DATABASE_URL": database_url,
    }


class ServiceProcess:
    """`minfu serve` on a loopback port, its output in `log_path`."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.process = process
        self.port = port
        self.log_path = log_path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self, key: str = "VmRSS") -> float | None:
        """Resident memory of the service process from /proc (VmRSS now, VmHWM the peak); None without /proc."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="utf-8")
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith(f"{key}:"):
                return round(int(line.split()[1]) / 1024, 1)
        return None

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            message = f"服务在基准测试中退出（退出码 {self.process.returncode}）：\n{self.log_tail()}"
            raise ConfigurationError(message)

    def wait_ready(self, timeout_s: float) -> dict[str, Any]:
        """/readyz's knowledge status once the service answers "ready"; ConfigurationError if it dies or stalls."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ConfigurationError(f"服务未能启动（退出码 {self.process.returncode}）：\n{self.log_tail()}")
            ready = self._readyz()
            if ready is not None:
                return ready_knowledge(ready)
            time.sleep(0.2)
        raise ConfigurationError(f"服务在 {timeout_s:g} 秒内未就绪：\n{self.log_tail()}")

    def _readyz(self) -> dict[str, Any] | None:
        try:
            response = httpx.get(f"{self.base_url}/readyz", timeout=2.0, trust_env=False)
        except httpx.HTTPError:
            return None
        body: dict[str, Any] = response.json() if response.status_code == 200 else {}
        return body or None

    def log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return "（无服务日志）"
        return "\n".join(lines[-LOG_TAIL_LINES:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def ready_knowledge(ready: dict[str, Any]) -> dict[str, Any]:
    knowledge: dict[str, Any] = ready.get("knowledge") or {}
    if ready.get("status") != "ready":
        message = "知识库为空：请先运行 minfu ingest（服务使用环境变量 MINFU_DATA_DIR 指定的数据目录）"
        raise IndexUnavailableError(message)
    return knowledge


@contextmanager
def running_service(options: HttpBenchOptions, workdir: Path) -> Iterator[ServiceProcess]:
    port = free_loopback_port()
    database_url = options.database_url or f"sqlite:///{workdir / 'bench.sqlite'}"
    env = service_environment({**os.environ, **options.environment}, port=port, database_url=database_url)
    log_path = workdir / "service.log"
    command = [sys.executable, *SERVE_COMMAND, "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    service = ServiceProcess(process, port, log_path)
    try:
        yield service
    finally:
        service.stop()


def demo_token(base_url: str) -> str:
    """A demo enterprise's token from the development login (POST /v1/dev/token)."""
    response = httpx.post(f"{base_url}/v1/dev/token", timeout=10.0, trust_env=False)
    if response.status_code != 200:
        raise ConfigurationError(f"开发环境模拟登录失败（HTTP {response.status_code}）：{response.text[:200]}")
    token: str = response.json()["token"]
    return token


# --- the whole benchmark ---


@dataclass(frozen=True)
class HttpBenchReport:
    options: HttpBenchOptions
    knowledge: dict[str, Any]
    rss_mb: dict[str, float | None]  # ready (after start-up), start (before the load), end (after it), peak
    warmup: PhaseResult | None
    probe: PhaseResult | None
    load: PhaseResult

    def summary(self) -> dict[str, Any]:
        probe = self.probe.summary() if self.probe else None
        if probe is not None:
            p95 = probe["latency_ms"]["first_event"]["p95"]
            probe["first_event_target_ms"] = FIRST_EVENT_TARGET_MS
            probe["first_event_target_met"] = p95 is not None and p95 <= FIRST_EVENT_TARGET_MS
        return {
            "options": {
                "sessions": self.options.sessions,
                "seconds": self.options.seconds,
                "warmup_s": self.options.warmup_s,
                "probe_turns": self.options.probe_turns,
                "turn_timeout_s": self.options.turn_timeout_s,
            },
            "knowledge": self.knowledge,
            "server_rss_mb": self.rss_mb,
            "warmup": self.warmup.summary() if self.warmup else None,
            "first_event_probe": probe,
            "load": self.load.summary(),
        }


Progress = Callable[[str], None]


def run_http_benchmark(options: HttpBenchOptions, *, progress: Progress | None = None) -> HttpBenchReport:
    """Start the service, warm it up, probe first-event latency, load it; see the module docstring."""
    say = progress or (lambda _stage: None)
    with (
        tempfile.TemporaryDirectory(prefix="minfu-bench-http-") as workdir,
        running_service(options, Path(workdir)) as service,
    ):
        say("正在启动服务并等待就绪…")
        knowledge = service.wait_ready(options.ready_timeout_s)
        return run_coroutine(_measure(service, options, knowledge, say))


def run_coroutine(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` on a fresh event loop in its own thread: the caller's thread may already run one (a notebook,
    Playwright's sync API in the same test session), where `asyncio.run` refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="minfu-bench") as pool:
        return pool.submit(asyncio.run, work).result()


async def _measure(
    service: ServiceProcess, options: HttpBenchOptions, knowledge: dict[str, Any], say: Progress
) -> HttpBenchReport:
    rss: dict[str, float | None] = {"ready": service.rss_mb()}
    token = demo_token(service.base_url)
    url, timeout_s = service.base_url, options.turn_timeout_s
    warmup = None
    if options.warmup_s > 0:
        say(f"预热：{options.sessions} 个会话 {options.warmup_s:g} 秒…")
        warmup = await run_phase(url, options.sessions, options.warmup_s, token=token, timeout_s=timeout_s)
    probe = None
    if options.probe_turns > 0:
        say(f"首事件延迟：单客户端连续 {options.probe_turns} 轮…")
        probe = await run_probe(url, options.probe_turns, timeout_s=timeout_s)
    service.check_alive()
    rss["start"] = service.rss_mb()
    say(f"负载：{options.sessions} 个并发会话 {options.seconds:g} 秒…")
    load = await run_phase(url, options.sessions, options.seconds, token=token, timeout_s=timeout_s)
    service.check_alive()
    rss["end"], rss["peak"] = service.rss_mb(), service.rss_mb("VmHWM")
    return HttpBenchReport(options, knowledge, rss, warmup, probe, load)
