"""How much of the exact top k does Chroma's approximate (HNSW) search return? Used to choose HNSW settings."""

from __future__ import annotations

import numpy as np

from knowledge.vectorstore import ChromaVectorIndex
from minfu.ports import Vectors

TIE_TOLERANCE = 1e-5  # a returned hit scoring within this of the exact k-th score counts (ties, float32 rounding)


def measure_recall(index: ChromaVectorIndex, queries: Vectors, k: int = 10) -> float:
    """Recall@k of Chroma's HNSW search against exact search (numpy over every stored vector), averaged over queries.

    A returned id counts when its exact similarity reaches the exact k-th best similarity, so ties at the k-th place
    do not count against the index.
    """
    ids, stored = index.vectors()
    matrix = np.asarray(queries, dtype=np.float32).reshape(len(queries), -1)
    if not ids or len(matrix) == 0 or k <= 0:
        return 1.0
    row_of = {chunk_id: row for row, chunk_id in enumerate(ids)}
    k = min(k, len(ids))
    found = 0
    for query in matrix:
        exact = stored @ query
        threshold = float(np.partition(exact, len(exact) - k)[len(exact) - k]) - TIE_TOLERANCE
        returned = [row_of[hit.chunk_id] for hit in index.query(query, k) if hit.chunk_id in row_of]
        found += sum(1 for row in returned if exact[row] >= threshold)
    return found / (len(matrix) * k)
