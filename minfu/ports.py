"""Ports: the narrow interfaces that swappable services implement.

Implementations live in the layers above (knowledge/, tools/, agents/); the kernel only names the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from minfu.domain import Chunk, Hit, SearchFilters

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors.

    `name` identifies the model and its settings: it is part of the embedding-cache key, so two embedders
    with the same name must return the same vectors.
    """

    name: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...

    def embed_query(self, text: str) -> Vectors: ...


@dataclass(frozen=True, slots=True)
class IndexedChunk:
    """A chunk as the indexes see it: the text to index plus flat metadata for filtering."""

    chunk: Chunk
    text: str  # Chunk.embedding_text(title)
    metadata: dict[str, str | int | float | bool]


@dataclass(frozen=True, slots=True)
class ScoredId:
    chunk_id: str
    score: float
    terms: tuple[str, ...] = ()  # the query terms that matched, for lexical indexes


class VectorIndex(Protocol):
    def upsert(self, items: Sequence[IndexedChunk], vectors: Vectors) -> None: ...

    def delete(self, chunk_ids: Iterable[str]) -> None: ...

    def query(self, vector: Vectors, k: int, *, allowed: frozenset[str] | None = None) -> list[ScoredId]:
        """Top k by cosine similarity; `allowed`, when given, restricts the result to those chunk ids."""
        ...

    def ids(self) -> set[str]: ...

    def count(self) -> int: ...


class LexicalIndex(Protocol):
    def add(self, items: Sequence[IndexedChunk]) -> None: ...

    def delete(self, chunk_ids: Iterable[str]) -> None: ...

    def query(self, text: str, k: int, *, allowed: frozenset[str] | None = None) -> list[ScoredId]: ...

    def ids(self) -> set[str]: ...

    def save(self) -> None: ...


class Retriever(Protocol):
    """Anything that answers a question with ranked hits; the contract suite in tests/ checks each one."""

    name: str

    def retrieve(self, query: str, *, k: int = 5, filters: SearchFilters | None = None) -> list[Hit]: ...


class SearchRetriever(Retriever, Protocol):
    """The knowledge base's retriever: it also says when its latest result was degraded (dense side unavailable)."""

    @property
    def last_degraded(self) -> str | None: ...


class Reranker(Protocol):
    def rerank(self, query: str, hits: Sequence[Hit], k: int) -> list[Hit]: ...
