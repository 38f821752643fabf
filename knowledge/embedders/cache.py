"""Embedding cache: nothing is embedded twice for the same (embedder name, text).

Vectors live in SQLite keyed by (embedder name, sha256 of the text) as little-endian float32 blobs.
`export_cache`/`import_cache` move one embedder's vectors through a compressed .npz, so a cache prebuilt for
the bundled corpus can be shipped and loaded instead of spending tens of minutes on embedding.
"""

from __future__ import annotations

import sqlite3
import threading
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from minfu.domain import content_hash
from minfu.errors import ConfigurationError
from minfu.ports import Embedder, Vectors

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, text_hash)
) WITHOUT ROWID
"""
_QUERY_SUFFIX = "#query"  # queries and passages embed differently (e5 prefixes): separate key spaces
_SQL_CHUNK = 500  # under SQLite's bound-parameter limit


def _to_blob(vector: Vectors) -> bytes:
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def _from_blob(blob: bytes) -> Vectors:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


class EmbeddingCache:
    """SQLite-backed vector cache; `path=None` keeps it in memory. One connection guarded by a lock."""

    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(":memory:" if path is None else str(path), check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._conn:
            if path is not None:
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(_SCHEMA)

    def get_many(self, name: str, texts: Sequence[str]) -> dict[int, Vectors]:
        """Cached vectors by position in `texts`; positions missing from the result are misses."""
        positions: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            positions.setdefault(content_hash(text), []).append(i)
        found: dict[int, Vectors] = {}
        for text_hash, vector in self._lookup(name, list(positions)):
            for i in positions[text_hash]:
                found[i] = vector
        return found

    def put_many(self, name: str, texts: Sequence[str], vectors: Vectors) -> None:
        self.put_hashed(name, [content_hash(t) for t in texts], vectors)

    def put_hashed(self, name: str, hashes: Sequence[str], vectors: Vectors) -> None:
        if len(hashes) != len(vectors):
            raise ValueError(f"{len(hashes)} hashes but {len(vectors)} vectors")
        rows = [(name, h, _to_blob(v)) for h, v in zip(hashes, vectors, strict=True)]
        with self._lock, self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)", rows)

    def items(self, name: str) -> Iterator[tuple[str, Vectors]]:
        """Every (text hash, vector) stored for `name`."""
        with self._lock:
            rows = self._conn.execute("SELECT text_hash, vector FROM embeddings WHERE model = ?", (name,)).fetchall()
        for text_hash, blob in rows:
            yield text_hash, _from_blob(blob)

    def count(self, name: str | None = None) -> int:
        with self._lock:
            if name is None:
                return int(self._conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
            return int(self._conn.execute("SELECT COUNT(*) FROM embeddings WHERE model = ?", (name,)).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _lookup(self, name: str, hashes: list[str]) -> Iterator[tuple[str, Vectors]]:
        for start in range(0, len(hashes), _SQL_CHUNK):
            part = hashes[start : start + _SQL_CHUNK]
            marks = ",".join("?" * len(part))
            sql = f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})"
            with self._lock:
                rows = self._conn.execute(sql, (name, *part)).fetchall()
            for text_hash, blob in rows:
                yield text_hash, _from_blob(blob)


class CachedEmbedder:
    """Wraps an embedder: only texts missing from the cache reach it; its name and dimension are the inner ones."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.dimension = inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        found = self._valid(self.cache.get_many(self.name, texts))
        for i, vector in found.items():
            out[i] = vector
        misses = list(dict.fromkeys(t for i, t in enumerate(texts) if i not in found))
        if misses:
            fresh = self.inner.embed_documents(misses)
            self.cache.put_many(self.name, misses, fresh)
            by_text = dict(zip(misses, fresh, strict=True))
            for i, text in enumerate(texts):
                if i not in found:
                    out[i] = by_text[text]
        return out

    def embed_query(self, text: str) -> Vectors:
        key = self.name + _QUERY_SUFFIX
        cached = self._valid(self.cache.get_many(key, [text]))
        if 0 in cached:
            return cached[0]
        vector = np.asarray(self.inner.embed_query(text), dtype=np.float32)
        self.cache.put_many(key, [text], vector[np.newaxis, :])
        return vector

    def _valid(self, found: dict[int, Vectors]) -> dict[int, Vectors]:
        """Drops entries of the wrong length (a model changed under an unchanged name): they are re-embedded."""
        return {i: v for i, v in found.items() if v.shape == (self.dimension,)}


def export_cache(cache: EmbeddingCache, name: str, path: Path, *, texts: Iterable[str] | None = None) -> int:
    """Writes `name`'s vectors (only those of `texts`, when given) to a compressed .npz; returns how many.

    The file is byte-for-byte reproducible: entries sorted by text hash, fixed timestamps in the archive.
    """
    wanted = None if texts is None else {content_hash(t) for t in texts}
    pairs = sorted((h, v) for h, v in cache.items(name) if wanted is None or h in wanted)
    dimension = pairs[0][1].shape[0] if pairs else 0
    arrays = {
        "name": np.array(name),
        "hashes": np.array([h for h, _ in pairs], dtype="S64"),
        "vectors": np.stack([v for _, v in pairs]) if pairs else np.zeros((0, dimension), dtype=np.float32),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_npz(path, arrays)
    return len(pairs)


def import_cache(cache: EmbeddingCache, path: Path, *, expected_name: str | None = None) -> int:
    """Loads an exported .npz into `cache`; refuses a file made by another embedder than `expected_name`."""
    with np.load(path, allow_pickle=False) as data:
        name = str(data["name"])
        if expected_name is not None and name != expected_name:
            raise ConfigurationError(f"向量缓存文件 {path} 属于向量模型 {name}，不是当前的 {expected_name}")
        hashes = [h.decode("ascii") for h in data["hashes"].tolist()]
        vectors = np.asarray(data["vectors"], dtype=np.float32)
    if hashes:
        cache.put_hashed(name, hashes, vectors)
    return len(hashes)


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """np.savez_compressed, minus the current time that it stamps into the archive."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, array in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as fh:
                np.lib.format.write_array(fh, array, allow_pickle=False)
