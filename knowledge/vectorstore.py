"""The dense index: a Chroma collection holding our own embeddings, locally (persistent or in memory) or on a server.

We always pass vectors explicitly. The collection is nevertheless created with our embedding function registered
(`MinfuEmbeddingFunction`): a collection created without one silently gets Chroma's default ONNX function, which
downloads a model the first time anything asks it to embed. The embedder's name and dimension are recorded in the
collection metadata, and a collection built by another embedder is refused.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.collection_configuration import CreateCollectionConfiguration, CreateHNSWConfiguration
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import (
    BatchSizeExceededError,
    ChromaError,
    DuplicateIDError,
    InvalidArgumentError,
    InvalidDimensionException,
    NotFoundError,
)
from chromadb.utils.embedding_functions import register_embedding_function

from minfu.errors import ConfigurationError, IndexUnavailableError
from minfu.ports import Embedder, IndexedChunk, ScoredId, Vectors

EF_NAME = "minfu"
_PAGE = 5000  # ids/vectors are read back in pages of this size
_OVERFETCH_SHARE = 0.75  # `allowed` covering at least this share of the index: over-fetch and post-filter
_KNOWN_IDS_TTL = 30.0  # seconds before the id list used for `allowed` is read again (other writers on a server)
T = TypeVar("T")
# Chroma errors that mean a bug or bad configuration on our side, not an unavailable index
_OUR_FAULT = (InvalidArgumentError, InvalidDimensionException, DuplicateIDError, BatchSizeExceededError)


@dataclass(frozen=True, slots=True)
class HnswParams:
    """HNSW settings of a collection; `m`, `ef_construction` and `space` are fixed at creation, `ef_search` is not."""

    space: Literal["cosine", "l2", "ip"] = "cosine"
    m: int = 32
    ef_construction: int = 200
    ef_search: int = 200

    def configuration(self) -> CreateCollectionConfiguration:
        hnsw = CreateHNSWConfiguration(
            space=self.space, max_neighbors=self.m, ef_construction=self.ef_construction, ef_search=self.ef_search
        )
        return CreateCollectionConfiguration(hnsw=hnsw)

    def similarity(self, distance: float) -> float:
        """Cosine similarity of unit vectors from Chroma's distance in this space."""
        return 1.0 - distance / 2.0 if self.space == "l2" else 1.0 - distance


def chroma_settings() -> ChromaSettings:
    """The one Settings object every client here uses (Chroma refuses two clients of one path with different ones)."""
    return ChromaSettings(anonymized_telemetry=False)


class MinfuEmbeddingFunction(EmbeddingFunction[Documents]):
    """Adapter that lets Chroma embed through our Embedder; registered so a stored collection can rebuild it.

    Rebuilt from its stored config it resolves the embedder from its name when first called (hashing and e5 only);
    it never falls back to a model that would have to be downloaded.
    """

    def __init__(self, embedder: Embedder | None = None, *, embedder_name: str = "", dimension: int = 0) -> None:
        self._embedder = embedder
        self.embedder_name = embedder.name if embedder else embedder_name
        self.dimension = embedder.dimension if embedder else dimension

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._resolve().embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        embedder = self._resolve()
        return [embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return EF_NAME

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self.embedder_name, "dimension": self.dimension}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MinfuEmbeddingFunction:
        return MinfuEmbeddingFunction(embedder_name=str(config["embedder"]), dimension=int(config["dimension"]))

    def default_space(self) -> Literal["cosine"]:
        return "cosine"

    def _resolve(self) -> Embedder:
        if self._embedder is None:
            self._embedder = embedder_by_name(self.embedder_name)
        return self._embedder


register_embedding_function(MinfuEmbeddingFunction)  # type: ignore[no-untyped-call]


def embedder_by_name(name: str) -> Embedder:
    """The embedder a stored collection names, for the built-in ones; others must be passed explicitly."""
    from knowledge.embedders import E5Embedder, HashingEmbedder
    from knowledge.embedders.e5 import E5_NAME

    if name == E5_NAME:
        return E5Embedder()
    if name.startswith("hashing-") and name.removeprefix("hashing-").isdigit():
        return HashingEmbedder(int(name.removeprefix("hashing-")))
    raise ConfigurationError(f"向量集合使用的向量模型 {name!r} 无法自动加载，请在配置中显式指定该模型")


@contextmanager
def _unavailable(what: str) -> Iterator[None]:
    """Chroma or transport failures become IndexUnavailableError, so callers can fall back to lexical search."""
    try:
        yield
    except _OUR_FAULT:
        raise
    except (ChromaError, OSError) as error:
        raise IndexUnavailableError(f"向量索引暂不可用（{what}）：{type(error).__name__}") from error
    except Exception as error:  # httpx transport errors, without importing httpx here
        if type(error).__module__.startswith("httpx"):
            raise IndexUnavailableError(f"向量索引服务无法连接（{what}）：{type(error).__name__}") from error
        raise


class ChromaVectorIndex:
    """minfu.ports.VectorIndex over one Chroma collection; similarity = 1 - cosine distance."""

    def __init__(
        self,
        client: ClientAPI,
        *,
        collection: str,
        embedder: Embedder,
        hnsw: HnswParams,
        batch_size: int | None = None,
    ) -> None:
        """Opens (or creates) `collection`; writes go in batches of at most Chroma's limit (or `batch_size`)."""
        self._client = client
        self._embedder = embedder
        self.hnsw = hnsw
        self._collection = self._open(collection)
        with _unavailable("读取批量上限"):
            limit = int(client.get_max_batch_size())
        self._batch = max(1, min(limit, batch_size or limit))
        self._known: set[str] | None = None  # ids in the collection, loaded on first filtered query
        self._known_at = 0.0
        self._lock = threading.Lock()

    @classmethod
    def persistent(
        cls, path: str | Path, *, collection: str, embedder: Embedder, hnsw: HnswParams | None = None
    ) -> ChromaVectorIndex:
        Path(path).mkdir(parents=True, exist_ok=True)
        with _unavailable(f"打开 {path}"):
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings())
        return cls(client, collection=collection, embedder=embedder, hnsw=hnsw or HnswParams())

    @classmethod
    def http(
        cls, url: str, *, collection: str, embedder: Embedder, hnsw: HnswParams | None = None
    ) -> ChromaVectorIndex:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"Chroma 服务地址无效：{url!r}，应形如 http://127.0.0.1:8001")
        port = parts.port or (443 if parts.scheme == "https" else 8000)
        try:
            with _unavailable(f"连接 {url}"):
                client = chromadb.HttpClient(
                    host=parts.hostname, port=port, ssl=parts.scheme == "https", settings=chroma_settings()
                )
        except ValueError as error:  # Chroma reports a refused connection as ValueError
            raise IndexUnavailableError(f"无法连接 Chroma 服务 {url}，请确认服务已启动") from error
        return cls(client, collection=collection, embedder=embedder, hnsw=hnsw or HnswParams())

    @classmethod
    def ephemeral(cls, *, collection: str, embedder: Embedder, hnsw: HnswParams | None = None) -> ChromaVectorIndex:
        """An in-memory index. Chroma shares one in-memory store per process, so this drops any earlier
        collection of the same name: an ephemeral index always starts empty."""
        client = chromadb.EphemeralClient(settings=chroma_settings())
        with suppress(NotFoundError, ValueError):
            client.delete_collection(collection)
        return cls(client, collection=collection, embedder=embedder, hnsw=hnsw or HnswParams())

    @property
    def collection_name(self) -> str:
        return self._collection.name

    @property
    def embedding_function(self) -> MinfuEmbeddingFunction | None:
        """The embedding function the collection itself would use (ours, never Chroma's default)."""
        ef = self._collection._embedding_function
        return ef if isinstance(ef, MinfuEmbeddingFunction) else None

    def stored_configuration(self) -> dict[str, Any]:
        return dict(self._collection.configuration_json)

    # --- VectorIndex -------------------------------------------------------------------------------------------

    def upsert(self, items: Sequence[IndexedChunk], vectors: Vectors) -> None:
        matrix = self._check_matrix(vectors, len(items))
        for start in range(0, len(items), self._batch):
            part = items[start : start + self._batch]
            with _unavailable("写入"):
                self._collection.upsert(
                    ids=[item.chunk.id for item in part],
                    embeddings=matrix[start : start + len(part)],
                    documents=[item.text for item in part],
                    metadatas=[dict(item.metadata) or None for item in part],  # type: ignore[misc]
                )
            self._remember(item.chunk.id for item in part)

    def delete(self, chunk_ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(chunk_ids))
        for start in range(0, len(ids), self._batch):
            with _unavailable("删除"):
                self._collection.delete(ids=ids[start : start + self._batch])
        with self._lock:
            if self._known is not None:
                self._known.difference_update(ids)

    def query(self, vector: Vectors, k: int, *, allowed: frozenset[str] | None = None) -> list[ScoredId]:
        """Top k by cosine similarity; `allowed` restricts the result to those chunk ids."""
        query = self._check_matrix(np.asarray(vector, dtype=np.float32).reshape(1, -1), 1)[0]
        if k <= 0 or (allowed is not None and not allowed):
            return []
        if allowed is None:
            return self._search(query, k)
        return self._retry_stale(lambda: self._search_allowed(query, k, allowed))

    def ids(self) -> set[str]:
        found: set[str] = set()
        for page in self._pages(include=[]):
            found.update(page["ids"])
        with self._lock:
            self._known, self._known_at = set(found), time.monotonic()
        return found

    def count(self) -> int:
        with _unavailable("计数"):
            return int(self._collection.count())

    def vectors(self, ids: Sequence[str] | None = None) -> tuple[list[str], Vectors]:
        """Stored ids and their embeddings (all of them when `ids` is None), for recall measurement."""
        out_ids: list[str] = []
        rows: list[Vectors] = []
        for page in self._pages(include=["embeddings"], ids=ids):
            out_ids.extend(page["ids"])
            if len(page["ids"]):
                rows.append(np.asarray(page["embeddings"], dtype=np.float32))
        matrix = np.concatenate(rows) if rows else np.zeros((0, self._embedder.dimension), dtype=np.float32)
        return out_ids, matrix

    # --- internals ---------------------------------------------------------------------------------------------

    def _open(self, name: str) -> Collection:
        ef = MinfuEmbeddingFunction(self._embedder)
        metadata = {"embedder": self._embedder.name, "dimension": self._embedder.dimension, "created_by": "minfu"}
        try:
            with _unavailable(f"打开集合 {name}"):
                collection = self._client.get_or_create_collection(
                    name,
                    configuration=self.hnsw.configuration(),
                    metadata=metadata,
                    embedding_function=ef,  # type: ignore[arg-type]
                )
        except InvalidArgumentError as error:
            raise ConfigurationError(f"向量集合名 {name!r} 无效：{error}") from error
        except ValueError as error:  # Chroma's own conflict check: stored with another embedding function
            raise ConfigurationError(
                f"向量集合 {name} 由其他向量函数创建，无法使用：请换用其他集合名，或删除该集合后重新运行 minfu ingest"
            ) from error
        self._check_compatible(name, collection)
        self._apply_ef_search(collection)
        return collection

    def _check_compatible(self, name: str, collection: Collection) -> None:
        stored = collection.metadata or {}
        expected = (self._embedder.name, self._embedder.dimension)
        found = (stored.get("embedder"), stored.get("dimension"))
        if found != expected:
            raise ConfigurationError(
                f"向量集合 {name} 由向量模型 {found[0]}（{found[1]} 维）建立，与当前的 {expected[0]}"
                f"（{expected[1]} 维）不一致：请换用其他集合名，或删除该集合后重新运行 minfu ingest"
            )
        space = (collection.configuration_json.get("hnsw") or {}).get("space", self.hnsw.space)
        if space != self.hnsw.space:
            raise ConfigurationError(f"向量集合 {name} 的距离度量是 {space}，与配置的 {self.hnsw.space} 不一致")

    def _apply_ef_search(self, collection: Collection) -> None:
        """ef_search is the one HNSW setting Chroma lets an existing collection change."""
        stored = (collection.configuration_json.get("hnsw") or {}).get("ef_search")
        if stored is not None and stored != self.hnsw.ef_search:
            with _unavailable("更新 ef_search"):
                collection.modify(configuration={"hnsw": {"ef_search": self.hnsw.ef_search}})

    def _check_matrix(self, vectors: Vectors, rows: int) -> Vectors:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.shape != (rows, self._embedder.dimension):
            raise ValueError(f"expected vectors of shape {(rows, self._embedder.dimension)}, got {matrix.shape}")
        return matrix

    def _search(self, query: Vectors, n: int, ids: list[str] | None = None) -> list[ScoredId]:
        with _unavailable("查询"):
            result = self._collection.query(
                query_embeddings=query.reshape(1, -1), n_results=n, ids=ids, include=["distances"]
            )
        distances = (result["distances"] or [[]])[0]
        return [
            ScoredId(chunk_id, self.hnsw.similarity(float(d)))
            for chunk_id, d in zip(result["ids"][0], distances, strict=True)
        ]

    def _search_allowed(self, query: Vectors, k: int, allowed: frozenset[str]) -> list[ScoredId]:
        with self._lock:
            known = self._known if time.monotonic() - self._known_at < _KNOWN_IDS_TTL else None
        if known is None:
            known = self.ids()
        present = [chunk_id for chunk_id in allowed if chunk_id in known]  # Chroma fails on an unknown id
        if not present:
            return []
        if len(present) >= _OVERFETCH_SHARE * len(known):
            fetched = self._search(query, min(len(known), math.ceil(2 * k * len(known) / len(present))))
            kept = [hit for hit in fetched if hit.chunk_id in allowed][:k]
            if len(kept) >= min(k, len(present)):
                return kept
        return self._search(query, min(k, len(present)), ids=present)

    def _retry_stale(self, search: Callable[[], T]) -> T:
        """Another writer may have deleted ids we still list as present: reload the ids once and retry."""
        try:
            return search()
        except IndexUnavailableError:
            self.ids()
            return search()

    def _remember(self, ids: Iterable[str]) -> None:
        with self._lock:
            if self._known is not None:
                self._known.update(ids)

    def _pages(self, *, include: list[str], ids: Sequence[str] | None = None) -> Iterator[Any]:
        if ids is not None:
            for start in range(0, len(ids), _PAGE):
                with _unavailable("读取"):
                    yield self._collection.get(ids=list(ids[start : start + _PAGE]), include=include)  # type: ignore[arg-type]
            return
        offset = 0
        while True:
            with _unavailable("读取"):
                page = self._collection.get(limit=_PAGE, offset=offset, include=include)  # type: ignore[arg-type]
            yield page
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE
