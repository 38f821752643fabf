"""The whole benchmark suite: the chosen sections in a fixed order, one report (a JSON-ready dict) of figures.

A section that cannot run (a missing file, a service that does not start) records its Chinese error message and
the others still run. Each section records its wall time and the host's one-minute load average before and after,
so figures taken while other work ran on the machine can be recognised as such.
"""

from __future__ import annotations

import os
import platform
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from eval.bench.chat import ChatBenchOptions, multi_turn_scenarios, run_chat_bench
from eval.bench.common import Progress, host_load, quiet, ratio, read_questions, timed
from eval.bench.ingest import IngestBenchOptions, run_ingest_bench
from eval.bench.memory import MemoryBenchOptions, run_memory_bench
from eval.bench.scaled_corpus import DEFAULT_MATTERS
from eval.bench.search_scaling import SearchBenchOptions, run_search_bench
from eval.bench.service_knowledge import HASHING_SPEC, IndexChoice, ServiceKnowledge, open_service_knowledge
from eval.bench_http import HttpBenchOptions, run_http_benchmark
from eval.dialogues import load_scenarios
from minfu.errors import InvalidInputError, MinfuError

SECTIONS = ("ingest", "search", "chat", "http", "memory")
SERVICE_SECTIONS = frozenset({"chat", "http", "memory"})
EMBEDDERS = {"hashing": HASHING_SPEC, "e5": "e5"}
DEFAULT_SIZES = (1000, 10000, 100000)
DEFAULT_QUERIES = Path("eval/datasets/dev_policy_qa.jsonl")
DEFAULT_DIALOGUES = Path("eval/datasets/dialogues.jsonl")
E5_INGEST_LIMIT = 300  # chunks e5 embeds in the ingest section unless told otherwise: a few minutes on two cores


@dataclass(frozen=True)
class SuiteOptions:
    sections: tuple[str, ...] = SECTIONS
    sizes: tuple[int, ...] = DEFAULT_SIZES
    embedder: Literal["hashing", "e5"] = "hashing"
    seconds: float = 30.0  # HTTP and memory load
    concurrency: int = 20  # concurrent chat sessions of the HTTP and memory load
    ingest_limit: int | None = None  # chunks to embed in the ingest section; None: all (e5: E5_INGEST_LIMIT)
    rounds: int = 3  # measured passes over the questions per search size
    queries: Path = DEFAULT_QUERIES
    dialogues: Path = DEFAULT_DIALOGUES
    matters: Path | None = DEFAULT_MATTERS
    service_index: IndexChoice = "auto"
    service_corpus: Path | None = None  # what a temporary service index holds; None: the bundled corpus
    chat_questions: int | None = None  # None: every question
    chat_dialogues: int | None = None  # None: every multi-turn scenario without setup records
    http_warmup_s: float = 5.0
    probe_turns: int = 20
    ingest_corpus: Path | None = None  # None: the bundled corpus
    measure_e5_queries: bool = True

    @property
    def embedder_spec(self) -> str:
        return EMBEDDERS[self.embedder]

    @property
    def effective_ingest_limit(self) -> int | None:
        return self.ingest_limit if self.ingest_limit is not None or self.embedder != "e5" else E5_INGEST_LIMIT


def parse_sections(text: str | None) -> tuple[str, ...]:
    """ "ingest,search" -> the sections in suite order; None or empty: all of them."""
    names = [name.strip().lower() for name in (text or "").split(",") if name.strip()]
    unknown = sorted(set(names) - set(SECTIONS))
    if unknown:
        raise InvalidInputError(f"未知的基准项目：{'、'.join(unknown)}（可选 {', '.join(SECTIONS)}）", field="only")
    return tuple(name for name in SECTIONS if name in names) if names else SECTIONS


def parse_sizes(text: str | None) -> tuple[int, ...]:
    """ "1000,10000" -> (1000, 10000), ascending without repeats; None or empty: the default sizes."""
    parts = [part.strip().replace("_", "") for part in (text or "").split(",") if part.strip()]
    if not parts:
        return DEFAULT_SIZES
    if not all(part.isdigit() and int(part) > 0 for part in parts):
        raise InvalidInputError(f"分块规模应为逗号分隔的正整数，如 1000,10000,100000：{text}", field="sizes")
    return tuple(sorted({int(part) for part in parts}))


def check_embedder(name: str) -> Literal["hashing", "e5"]:
    if name == "hashing":
        return "hashing"
    if name == "e5":
        return "e5"
    raise InvalidInputError(f"未知的向量模型：{name}（可选 hashing 或 e5）", field="embedder")


def check_index_choice(name: str) -> IndexChoice:
    if name == "auto":
        return "auto"
    if name == "temporary":
        return "temporary"
    raise InvalidInputError(f"未知的索引选择：{name}（可选 auto 或 temporary）", field="service_index")


def check_files(options: SuiteOptions) -> None:
    """The question and dialogue files the chosen sections read must exist (a mistyped path fails at once)."""
    needed = [options.queries] if {"search", "chat"} & set(options.sections) else []
    needed += [options.dialogues] if "chat" in options.sections else []
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise InvalidInputError(f"找不到文件：{'、'.join(missing)}", field="queries")


def run_suite(options: SuiteOptions, *, progress: Progress = quiet) -> dict[str, Any]:
    check_files(options)
    report: dict[str, Any] = {
        "options": _options_json(options),
        "host": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_1m_at_start": host_load()},
        "sections": {},
    }
    with tempfile.TemporaryDirectory(prefix="minfu-bench-") as workdir, ExitStack() as stack:
        knowledge: list[ServiceKnowledge] = []

        def service_knowledge() -> ServiceKnowledge:
            if not knowledge:
                knowledge.append(
                    open_service_knowledge(
                        options.service_index, Path(workdir), corpus=options.service_corpus, progress=progress
                    )
                )
                stack.callback(knowledge[0].close)
                report["service_knowledge"] = knowledge[0].summary()
            return knowledge[0]

        runners = _runners(options, service_knowledge, progress)
        for name in options.sections:
            report["sections"][name] = _run_section(runners[name])
    report["host"]["load_1m_at_end"] = host_load()
    return report


def _run_section(runner: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    load_before = host_load()
    with timed() as watch:
        try:
            result = runner()
        except MinfuError as error:
            result = {"error": error.message}
    return result | {"section_s": round(watch.seconds, 1), "host_load_1m": [load_before, host_load()]}


def _runners(
    options: SuiteOptions, knowledge: Callable[[], ServiceKnowledge], progress: Progress
) -> dict[str, Callable[[], dict[str, Any]]]:
    def ingest() -> dict[str, Any]:
        bench = IngestBenchOptions(options.embedder_spec, options.effective_ingest_limit, options.ingest_corpus)
        return run_ingest_bench(bench, progress=progress)

    def search() -> dict[str, Any]:
        bench = SearchBenchOptions(
            options.sizes, options.embedder_spec, read_questions(options.queries), options.matters, options.rounds,
            options.measure_e5_queries,
        )  # fmt: skip
        return run_search_bench(bench, progress=progress)

    def chat() -> dict[str, Any]:
        service = knowledge()
        questions = read_questions(options.queries)[: options.chat_questions]
        scenarios = multi_turn_scenarios(load_scenarios(options.dialogues).scenarios, options.chat_dialogues)
        result = run_chat_bench(service.settings, service.kb, ChatBenchOptions(questions, scenarios), progress=progress)
        return {"knowledge_source": service.kind} | result

    def http() -> dict[str, Any]:
        return _http(options, knowledge(), progress)

    def memory() -> dict[str, Any]:
        bench = MemoryBenchOptions(options.concurrency, options.seconds, environment=knowledge().environment)
        return {"knowledge_source": knowledge().kind} | run_memory_bench(bench, progress=progress)

    return {"ingest": ingest, "search": search, "chat": chat, "http": http, "memory": memory}


def _http(options: SuiteOptions, knowledge: ServiceKnowledge, progress: Progress) -> dict[str, Any]:
    bench = HttpBenchOptions(
        sessions=options.concurrency,
        seconds=options.seconds,
        warmup_s=options.http_warmup_s,
        probe_turns=options.probe_turns,
        environment=knowledge.environment,
    )
    summary = run_http_benchmark(bench, progress=progress).summary()
    probe, load = summary["first_event_probe"], summary["load"]
    if probe is not None:  # how much queueing under load adds to what one client alone sees
        summary["load_vs_probe"] = {
            name: ratio(load["latency_ms"][name]["p95"], probe["latency_ms"][name]["p95"])
            for name in ("first_event", "full_turn")
        }
    return {"knowledge_source": knowledge.kind} | summary


def _options_json(options: SuiteOptions) -> dict[str, Any]:
    data = asdict(options)
    data |= {"embedder_spec": options.embedder_spec, "ingest_limit": options.effective_ingest_limit}
    return {key: str(value) if isinstance(value, Path) else value for key, value in data.items()}
