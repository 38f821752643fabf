"""Small helpers every benchmark section shares: timing, latency summaries, ratios and the host's load."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.bench_http import latency_stats
from eval.datasets import read_question_file
from minfu.domain import Chunk, Document
from minfu.errors import InvalidInputError
from minfu.ports import Embedder, IndexedChunk, Vectors

Progress = Callable[[str], None]


def quiet(_stage: str) -> None:
    """A progress callback that says nothing."""


@dataclass
class Stopwatch:
    seconds: float = 0.0


@contextmanager
def timed() -> Iterator[Stopwatch]:
    """`with timed() as watch:` … `watch.seconds` holds the block's wall time once it has ended."""
    watch = Stopwatch()
    started = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - started


def latency_summary(values_ms: Sequence[float]) -> dict[str, Any]:
    """How many samples, and their p50/p95/p99/max in milliseconds (None without samples)."""
    return {"n": len(values_ms), **latency_stats(values_ms)}


def ratio(value: float | None, base: float | None) -> float | None:
    """value / base rounded to two decimals; None when either is missing or the base is zero."""
    if value is None or base is None or base <= 0:
        return None
    return round(value / base, 2)


def per_second(count: float, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 else None


def host_load() -> float | None:
    """The host's one-minute load average (other work on the machine skews every figure); None where unknown."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def read_questions(path: Path) -> tuple[str, ...]:
    """The questions of a question file (eval.datasets.read_question_file); a file without any is an error."""
    questions = [item.question for item in read_question_file(path)]
    if not questions:
        raise InvalidInputError(f"问题文件中没有问题：{path}", field="queries")
    return tuple(questions)


def indexed_chunk(chunk: Chunk, document: Document) -> IndexedChunk:
    """A chunk as knowledge.ingest hands it to the lexical and vector indexes (same text and metadata)."""
    metadata: dict[str, str | int | float | bool] = {
        "document_id": document.id,
        "kind": document.kind.value,
        "ordinal": chunk.ordinal,
    }
    return IndexedChunk(chunk, chunk.embedding_text(document.title), metadata)


class TimedEmbedder:
    """An embedder that adds up the time its inner embedder takes, to tell embedding from index writes."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.seconds = 0.0

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        started = time.perf_counter()
        try:
            return self._inner.embed_documents(texts)
        finally:
            self.seconds += time.perf_counter() - started

    def embed_query(self, text: str) -> Vectors:
        started = time.perf_counter()
        try:
            return self._inner.embed_query(text)
        finally:
            self.seconds += time.perf_counter() - started
