"""Search latency as the knowledge base grows: the product's HybridRetriever over 1k, 10k and 100k chunks.

Each size gets a fresh persistent knowledge base in a temporary data directory (catalog, lexical index, Chroma,
embedding cache, as `KnowledgeBase.open` builds them) filled with a ScaledSet: catalog rows per document, the
lexical index, then the vectors through knowledge.ingest.embed_into — the same writes `Ingestor` makes. The build
is timed per stage. Then every question is asked once to warm up, and `rounds` more times measured.

Passage vectors come from the chosen embedder; embedding 100k passages with e5 takes hours on two cores, so the
default is the hashing embedder at e5-small's dimension (384): HNSW and Chroma then do the same work, but the
vectors mean nothing. Query vectors come from the same embedder, and after the warm-up from the embedding cache
(as in the product for a repeated question), so the figures leave out query embedding; the e5 model's query
embedding time is measured separately, per question, for the reader to add.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from eval.bench.common import Progress, TimedEmbedder, indexed_chunk, latency_summary, quiet, ratio, timed
from eval.bench.scaled_corpus import ScaledCorpus, ScaledSet, Sources, load_sources, source_paths
from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.embedders import E5Embedder
from knowledge.ingest import embed_into
from minfu.domain import SearchFilters
from minfu.errors import ConfigurationError, InvalidInputError
from minfu.settings import Settings

K = 5


@dataclass(frozen=True)
class SearchBenchOptions:
    sizes: tuple[int, ...]
    embedder: str  # an embedder spec, e.g. "hashing:384" or "e5"
    questions: tuple[str, ...]
    matters: Path | None  # the Guangdong dictionary (JSONL); None or missing: laws only
    rounds: int = 3
    measure_e5_queries: bool = True


def run_search_bench(options: SearchBenchOptions, *, progress: Progress = quiet) -> dict[str, Any]:
    if not options.questions:
        raise InvalidInputError("没有可用于检索基准的问题", field="queries")
    if not options.sizes:
        raise InvalidInputError("至少需要一个分块规模", field="sizes")
    progress("检索：读取并切分原始文本…")
    with timed() as prep:
        sources = load_sources(source_paths(options.matters))
        corpus = ScaledCorpus(sources.documents, Chunker(Settings().chunk_size))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="minfu-bench-search-") as workdir:
        for size in options.sizes:
            rows.append(_measure_size(corpus.take(size), Path(workdir) / f"size-{size}", options, progress))
    _add_ratios(rows)
    return {
        "embedder": options.embedder,
        "questions": len(options.questions),
        "rounds": options.rounds,
        "k": K,
        "sources": _sources_summary(sources, corpus, prep.seconds),
        "sizes": rows,
        "e5_query_embedding": _e5_query_times(options.questions, progress) if options.measure_e5_queries else None,
    }


def _sources_summary(sources: Sources, corpus: ScaledCorpus, seconds: float) -> dict[str, Any]:
    return {
        "paths": [str(path) for path in sources.paths],
        "missing": [str(path) for path in sources.missing],
        "failed_files": sources.failures,
        "documents": corpus.original_documents,
        "chunks": corpus.original_chunks,
        "load_and_chunk_s": round(seconds, 2),
    }


def _measure_size(scaled: ScaledSet, data_dir: Path, options: SearchBenchOptions, progress: Progress) -> dict[str, Any]:
    size = scaled.size
    kb = KnowledgeBase.open(Settings(data_dir=data_dir, embedder=options.embedder, chroma_url=None))
    try:
        build = build_index(kb, scaled, lambda stage: progress(f"检索 {size:,} 块：{stage}"))
        progress(f"检索 {size:,} 块：预热并测量 {len(options.questions)} 个问题 × {options.rounds} 轮…")
        times, degraded = measure_queries(kb, options.questions, options.rounds)
        admitted = kb.catalog.admitted_chunk_ids(SearchFilters(), date.today())
    finally:
        kb.catalog.close()
    return {
        "chunks": size,
        "documents": len(scaled.documents),
        "original_chunks": scaled.original_chunks,
        "copied_chunks": scaled.copied_chunks,
        "copy_rounds": scaled.copy_rounds,
        "build_s": build,
        "latency_ms": latency_summary(times),
        "lexical_only_answers": degraded,
        # chunks of texts in force: fewer than all when superseded versions are indexed, and then every search
        # builds that set of ids to filter by (knowledge.catalog.admitted_chunk_ids)
        "current_chunks": size if admitted is None else len(admitted),
    }


def build_index(kb: KnowledgeBase, scaled: ScaledSet, progress: Progress = quiet) -> dict[str, float]:
    """Write the set into the knowledge base's catalog, lexical index and vector index; seconds per stage, the
    dense stage also split into embedding (with the embedding cache) and Chroma writes."""
    items = [indexed_chunk(chunk, item.document) for item in scaled.documents for chunk in item.chunks]
    progress("写入目录…")
    with timed() as catalog:
        for item in scaled.documents:
            kb.catalog.put(item.document, item.chunks)
    progress("建立词法索引…")
    with timed() as lexical:
        kb.lexical_index.add(items)
        kb.lexical_index.save()

    def embedded(done: int, total: int) -> None:
        progress(f"向量化并写入 Chroma：{done:,}/{total:,} 字")

    embedder = TimedEmbedder(kb.embedder)
    with timed() as dense:
        embed_into(kb.vector_index, embedder, items, embedded)
    seconds = {"catalog": catalog.seconds, "lexical": lexical.seconds, "dense": dense.seconds}
    split = {"dense_embedding": embedder.seconds, "dense_writes": dense.seconds - embedder.seconds}
    rounded = {name: round(value, 2) for name, value in (seconds | split).items()}
    return rounded | {"total": round(sum(seconds.values()), 2)}


def measure_queries(kb: KnowledgeBase, questions: Sequence[str], rounds: int) -> tuple[list[float], int]:
    """Milliseconds per retrieval over `rounds` passes after one warm-up pass, and how many answered lexically only."""
    retriever = kb.retriever
    for question in questions:
        retriever.retrieve(question, k=K)
    times: list[float] = []
    degraded = 0
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            retriever.retrieve(question, k=K)
            times.append((time.perf_counter() - started) * 1000)
            degraded += retriever.last_degraded is not None
    return times, degraded


def _add_ratios(rows: list[dict[str, Any]]) -> None:
    """Each size against the first (smallest asked) size of the run."""
    base = rows[0]
    for row in rows:
        row["vs_first"] = {
            "chunks": ratio(row["chunks"], base["chunks"]),
            "p50": ratio(row["latency_ms"]["p50"], base["latency_ms"]["p50"]),
            "p95": ratio(row["latency_ms"]["p95"], base["latency_ms"]["p95"]),
            "build": ratio(row["build_s"]["total"], base["build_s"]["total"]),
        }


def _e5_query_times(questions: Sequence[str], progress: Progress) -> dict[str, Any]:
    """The e5 model's query embedding per question (uncached), or why it could not be measured."""
    progress("检索：测量 e5 问题向量化耗时…")
    embedder = E5Embedder()
    try:
        with timed() as load:
            embedder.embed_query(questions[0])
    except ConfigurationError as error:
        return {"available": False, "reason": error.message}
    except OSError as error:  # the package is there but its model file is not readable
        return {"available": False, "reason": f"e5 模型无法加载（{type(error).__name__}）"}
    times = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed_query(question)
        times.append((time.perf_counter() - started) * 1000)
    return {"available": True, "model": embedder.name, "first_call_s": round(load.seconds, 2)} | {
        "latency_ms": latency_summary(times)
    }
