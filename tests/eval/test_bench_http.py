"""`minfu bench http` briefly against the real service (a subprocess over the bundled corpus, lexical, hashing).

Speed is not asserted here: these tests check that the benchmark drives real multi-turn conversations, counts what
goes wrong and reports complete figures. The figures themselves come from running the command on the target machine.
"""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from eval.bench_http import (
    CONVERSATIONS,
    HttpBenchOptions,
    ServiceProcess,
    SseEvent,
    SseParser,
    StreamCheck,
    Turn,
    TurnFailedError,
    demo_token,
    ready_knowledge,
    run_coroutine,
    run_phase,
    run_probe,
    run_turn,
    running_service,
)
from knowledge.bundled import bundled_corpus_path
from minfu.cli import app
from minfu.errors import IndexUnavailableError

MINFU = str(Path(sys.executable).parent / "minfu")
CORPUS_PARTS = (
    bundled_corpus_path() / "laws" / "national" / "劳动合同法(2012-12-28).md",
    bundled_corpus_path() / "laws" / "national" / "公司法(2023-12-29).md",
    bundled_corpus_path() / "policies",
)


def _environment(data_dir: Path) -> dict[str, str]:
    return {"MINFU_DATA_DIR": str(data_dir), "MINFU_EMBEDDER": "hashing", "MINFU_BRAIN": "offline"}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Its own data directory for the service subprocess, indexed by the CLI: the bundled documents the conversations
    ask about, lexical and dense (hashing). A lexical-only index would make every service start embedding the rest
    in the background, a minute of CPU competing with the turns being measured."""
    directory = tmp_path_factory.mktemp("bench-http-data")
    env = os.environ | _environment(directory)
    command = [MINFU, "ingest", *(str(path) for path in CORPUS_PARTS)]
    subprocess.run(command, env=env, capture_output=True, check=True, timeout=300)
    return directory


def _latencies_positive(phase: dict[str, Any]) -> None:
    for name in ("first_event", "first_text", "full_turn"):
        stats = phase["latency_ms"][name]
        assert all(stats[q] is not None and stats[q] > 0 for q in ("p50", "p95", "p99", "max")), (name, stats)
    first, text, full = (phase["latency_ms"][name]["p50"] for name in ("first_event", "first_text", "full_turn"))
    assert first <= text <= full


class TestAgainstOneService:
    """One service for these tests, stopped before the next test starts its own (both use the data directory)."""

    @pytest.fixture(scope="class")
    def service(self, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
        options = HttpBenchOptions(environment=_environment(data_dir))
        with running_service(options, tmp_path_factory.mktemp("bench-http-service")) as running:
            running.wait_ready(timeout_s=120)
            yield running

    def test_concurrent_sessions_hold_conversations_without_errors(self, service: ServiceProcess) -> None:
        token = demo_token(service.base_url)
        phase = run_coroutine(run_phase(service.base_url, 3, 3.0, token=token, timeout_s=60))
        summary = phase.summary()
        assert summary["errors"] == 0, summary["error_kinds"]
        assert summary["turns_completed"] == summary["turns"] >= 3 and summary["throughput_turns_per_s"] > 0
        assert summary["brains"] == ["offline"]
        _latencies_positive(summary)
        assert {"policy", "service_guide", "greeting"} <= summary["full_turn_ms_by_kind"].keys()

    def test_probe_reuses_the_conversation_across_its_turns(self, service: ServiceProcess) -> None:
        first_conversation = len(CONVERSATIONS[0].turns)
        probe = run_coroutine(run_probe(service.base_url, first_conversation + 1, timeout_s=60))
        ids = [turn.conversation_id for turn in probe.turns]
        assert all(turn.error is None for turn in probe.turns), [turn.error for turn in probe.turns]
        assert len(set(ids[:first_conversation])) == 1 and ids[first_conversation] not in ids[:first_conversation]
        assert [turn.kind for turn in probe.turns] == ["policy"] * first_conversation + [CONVERSATIONS[1].kind]

    def test_refused_turns_are_counted_by_status(self, service: ServiceProcess) -> None:
        async def refused() -> str | None:
            async with httpx.AsyncClient(base_url=service.base_url, trust_env=False) as client:
                turn = Turn("policy", "你好", None, {"X-Site-Key": "site_unknown"})
                return (await run_turn(client, turn, timeout_s=30)).error

        assert run_coroutine(refused()) == "http_401"

    def test_service_memory_is_read_from_proc(self, service: ServiceProcess) -> None:
        rss = service.rss_mb()
        assert rss is not None and rss > 50


def test_benchmark_report_through_the_cli(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _environment(data_dir).items():
        monkeypatch.setenv(name, value)  # the service subprocess inherits them
    options = ["--sessions", "3", "--seconds", "3", "--warmup", "1", "--probe-turns", "5"]
    result = CliRunner().invoke(app, ["bench", "http", "--json", *options])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["options"]["sessions"] == 3 and report["knowledge"]["chunks"] > 0
    load, probe = report["load"], report["first_event_probe"]
    assert load["errors"] == 0 and report["warmup"]["errors"] == 0 and probe["errors"] == 0, report
    assert load["turns_completed"] > 0 and probe["turns_completed"] == 5
    _latencies_positive(load)
    _latencies_positive(probe)
    assert isinstance(probe["first_event_target_met"], bool)
    assert all(report["server_rss_mb"][when] > 0 for when in ("ready", "start", "end", "peak"))


def test_a_service_without_knowledge_is_refused() -> None:
    with pytest.raises(IndexUnavailableError, match="知识库为空"):
        ready_knowledge({"status": "empty", "knowledge": {"chunks": 0}})
    assert ready_knowledge({"status": "ready", "knowledge": {"chunks": 3}}) == {"chunks": 3}


# --- the stream checks, on hand-made event sequences ---


def _events(*pairs: tuple[str, dict[str, Any] | str]) -> list[SseEvent]:
    return [SseEvent(name, data if isinstance(data, str) else json.dumps(data)) for name, data in pairs]


def _check(events: list[SseEvent], expected_conversation: str | None = None) -> StreamCheck:
    check = StreamCheck(0.0, expected_conversation)
    for n, event in enumerate(events):
        check.see(event, now=0.01 * (n + 1))
    return check


GOOD = _events(
    ("conversation", {"conversation_id": "c_1"}),
    ("text", {"delta": "您好！"}),
    ("text", {"delta": "请问？"}),
    ("final", {"conversation_id": "c_1", "answer": "您好！请问？", "brain": "offline"}),
)


def test_a_well_formed_stream_is_timed() -> None:
    check = _check(GOOD)
    check.end(SseParser())
    result = check.result("greeting")
    assert result.error is None and result.brain == "offline" and result.conversation_id == "c_1"
    assert result.first_event_ms == pytest.approx(10) and result.first_text_ms == pytest.approx(20)


@pytest.mark.parametrize(
    ("events", "kind"),
    [
        (GOOD[1:], "malformed:first_event_not_conversation"),
        ([*GOOD[:2], GOOD[3]], "malformed:text_differs_from_final_answer"),
        ([*GOOD, GOOD[1]], "malformed:event_after_final"),
        ([GOOD[0], *_events(("error", {"error": "internal_error"}))], "error_event:internal_error"),
        ([GOOD[0], *_events(("text", "{not json"))], "malformed:bad_json"),
        ([GOOD[0], *_events(("progress", {}))], "malformed:unknown_event:progress"),
    ],
)
def test_broken_streams_are_named(events: list[SseEvent], kind: str) -> None:
    with pytest.raises(TurnFailedError) as failure:
        _check(events)
    assert failure.value.kind == kind


def test_a_changed_conversation_id_is_an_error() -> None:
    with pytest.raises(TurnFailedError, match="conversation_id_changed"):
        _check(GOOD, expected_conversation="c_other")


def test_a_stream_ending_without_final_is_an_error() -> None:
    check = _check(GOOD[:2])
    with pytest.raises(TurnFailedError, match="no_final_event"):
        check.end(SseParser())


def test_sse_parser_frames_events_and_notices_truncation() -> None:
    parser = SseParser()
    lines = [": comment", "event: text", 'data: {"delta":', "data: 1}", "", "", "event: final"]
    events = [event for line in lines if (event := parser.feed(line)) is not None]
    assert events == [SseEvent("text", '{"delta":\n1}')]
    assert parser.pending
