"""HNSW recall against exact search on a real index: which Chroma settings keep recall@10 at or above 0.99."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.ann_recall import measure_recall
from knowledge.vectorstore import ChromaVectorIndex, HnswParams
from minfu.domain import Chunk
from minfu.ports import Embedder, IndexedChunk, Vectors

CANDIDATES = (
    HnswParams(space="l2", m=16, ef_construction=100, ef_search=100),  # Chroma's defaults
    HnswParams(m=16, ef_construction=100, ef_search=100),
    HnswParams(m=32, ef_construction=200, ef_search=100),
    HnswParams(m=32, ef_construction=200, ef_search=200),
)


@dataclass(frozen=True)
class RecallRow:
    params: HnswParams
    recall: float
    query_ms: float


def ann_recall_table(
    ids: Sequence[str],
    vectors: Vectors,
    queries: Vectors,
    embedder: Embedder,
    *,
    k: int = 10,
    candidates: Sequence[HnswParams] = CANDIDATES,
) -> list[RecallRow]:
    """Copy the stored vectors into an ephemeral collection per candidate setting and measure each one."""
    items = [IndexedChunk(Chunk(chunk_id, "ann", n, ""), "", {"document_id": "ann"}) for n, chunk_id in enumerate(ids)]
    rows = []
    for params in candidates:
        index = ChromaVectorIndex.ephemeral(collection=f"ann_{uuid.uuid4().hex[:10]}", embedder=embedder, hnsw=params)
        index.upsert(items, vectors)
        rows.append(RecallRow(params, measure_recall(index, queries, k), _query_ms(index, queries, k)))
    return rows


def _query_ms(index: ChromaVectorIndex, queries: Vectors, k: int) -> float:
    started = time.perf_counter()
    for query in queries:
        index.query(query, k)
    return (time.perf_counter() - started) * 1000 / max(len(queries), 1)
