"""Ingest throughput: the bundled corpus into a fresh data directory, as `minfu ingest` does it, stage by stage.

1. load: the product's loaders over the corpus folder;
2. chunk + lexical: `Ingestor.ingest(dense=False)` — version links, chunking, catalog and lexical index;
3. dense: the vectors of every chunk with the chosen embedder (`Ingestor.fill_dense`). With a slow embedder (e5 on
   two cores) a `limit` embeds an evenly spread sample of that many chunks instead, and the full time is estimated
   from the sample's characters (embedding time follows text length), marked as an estimate;
4. the second, nothing-changed run of load + ingest, which must re-index nothing.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.bench.common import Progress, indexed_chunk, per_second, quiet, ratio, timed
from knowledge.base import KnowledgeBase
from knowledge.bundled import bundled_corpus_path
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor, ProgressCallback, embed_into
from knowledge.loaders import load_paths
from minfu.errors import InvalidInputError
from minfu.ports import IndexedChunk
from minfu.settings import Settings


@dataclass(frozen=True)
class IngestBenchOptions:
    embedder: str  # an embedder spec, e.g. "hashing:384" or "e5"
    limit: int | None = None  # chunks to embed; None: all of them
    corpus: Path | None = None  # None: the bundled corpus


def run_ingest_bench(options: IngestBenchOptions, *, progress: Progress = quiet) -> dict[str, Any]:
    corpus = options.corpus or bundled_corpus_path()
    if not corpus.exists():
        raise InvalidInputError(f"语料路径不存在：{corpus}", field="corpus")
    with tempfile.TemporaryDirectory(prefix="minfu-bench-ingest-") as workdir:
        settings = Settings(data_dir=Path(workdir), embedder=options.embedder, chroma_url=None)
        kb = KnowledgeBase.open(settings)
        try:
            return _measure(kb, Chunker(settings.chunk_size), corpus, options, progress)
        finally:
            kb.catalog.close()


def _measure(
    kb: KnowledgeBase, chunker: Chunker, corpus: Path, options: IngestBenchOptions, progress: Progress
) -> dict[str, Any]:
    def embedded(done: int, total: int) -> None:
        progress(f"导入：向量化（{kb.embedder.name}）{done:,}/{total:,} 字…")

    ingestor = Ingestor(kb, chunker, progress=embedded)
    progress("导入：读取文档…")
    with timed() as load:
        batch = load_paths([corpus])
    progress("导入：分块并建立词法索引…")
    with timed() as lexical:
        report = ingestor.ingest(batch, prune_under=[corpus], dense=False)
    characters = _characters(kb)
    dense = _dense(kb, ingestor, options.limit, characters, embedded)
    progress("导入：无变化的第二次导入…")
    with timed() as again:
        second = ingestor.ingest(load_paths([corpus]), prune_under=[corpus], dense=not dense["sampled"])
    first_s = load.seconds + lexical.seconds + dense["seconds_full"]
    return {
        "corpus": str(corpus),
        "embedder": kb.embedder.name,
        "documents": report.documents,
        "chunks": report.chunks,
        "characters": characters,
        "failed_files": len(report.failures),
        "load": _stage(load.seconds, report.documents, report.chunks, characters),
        "chunk_lexical": _stage(lexical.seconds, report.documents, report.chunks, characters),
        "dense": dense,
        "first_run_s": round(first_s, 2),
        "first_run_estimated": dense["sampled"],
        "second_run": {
            "seconds": round(again.seconds, 2),
            "new_chunks": second.new_chunks,
            "embedded_chunks": second.embedded_chunks,
            "dense_checked": not dense["sampled"],
            "vs_first": ratio(again.seconds, first_s),
        },
    }


def _stage(seconds: float, documents: int | None, chunks: int, characters: int) -> dict[str, float | None]:
    return {
        "seconds": round(seconds, 2),
        "documents_per_s": None if documents is None else per_second(documents, seconds),
        "chunks_per_s": per_second(chunks, seconds),
        "characters_per_s": per_second(characters, seconds),
    }


def _characters(kb: KnowledgeBase) -> int:
    """Characters of every chunk's indexed text (title, headings, text): what is tokenised and embedded."""
    return sum(len(item.text) for item in _indexed(kb, sorted(kb.catalog.chunk_ids())))


def _indexed(kb: KnowledgeBase, chunk_ids: list[str]) -> list[IndexedChunk]:
    return [indexed_chunk(chunk, document) for chunk, document in kb.catalog.resolve(chunk_ids)]


def _dense(
    kb: KnowledgeBase, ingestor: Ingestor, limit: int | None, characters: int, embedded: ProgressCallback
) -> dict[str, Any]:
    """Every chunk's vector through the product's fill_dense, or an evenly spread sample of `limit` chunks."""
    chunk_ids = sorted(kb.catalog.chunk_ids())
    if limit is None or limit >= len(chunk_ids):
        with timed() as watch:
            count = ingestor.fill_dense()
        stage = _stage(watch.seconds, None, count, characters)
        return stage | {"sampled": False, "chunks": count, "seconds_full": round(watch.seconds, 2)}
    step = len(chunk_ids) / limit
    sample = _indexed(kb, [chunk_ids[int(i * step)] for i in range(limit)])
    sample_characters = sum(len(item.text) for item in sample)
    with timed() as watch:
        embed_into(kb.vector_index, kb.embedder, sample, embedded)
    estimated = watch.seconds * characters / sample_characters if sample_characters else 0.0
    stage = _stage(watch.seconds, None, len(sample), sample_characters)
    return stage | {"sampled": True, "chunks": len(sample), "seconds_full": round(estimated, 2)}
