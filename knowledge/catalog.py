"""The catalog: every document and chunk the indexes know about, in a SQLite file.

It is the source of truth for incremental ingest (content hashes) and for metadata filters. All rows are kept in
memory too, because retrieval resolves every hit through it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from minfu.domain import Chunk, Document, DocumentKind, SearchFilters

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, document_id TEXT NOT NULL, ordinal INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_document ON chunks(document_id);
"""


ADMITTED_CACHE_SIZE = 64


class Catalog:
    def __init__(self, path: Path | None = None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._lock = threading.RLock()
        with self._lock:
            self._db.executescript(_SCHEMA)
        self._documents: dict[str, Document] = {}
        self._chunks: dict[str, Chunk] = {}
        self._by_document: dict[str, list[str]] = {}
        # admitted chunk ids per (filters, day): every search asks the same few questions, and at 100k chunks
        # building the set costs more than the search; every write starts a new generation
        self._generation = 0
        self._admitted: dict[tuple[SearchFilters, date], tuple[int, frozenset[str] | None]] = {}
        self._load()

    # reading -----------------------------------------------------------------------------------------
    def document(self, document_id: str) -> Document | None:
        return self._documents.get(document_id)

    def documents(self) -> list[Document]:
        return list(self._documents.values())

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self._chunks.get(chunk_id)

    def chunks_of(self, document_id: str) -> list[Chunk]:
        return [self._chunks[c] for c in self._by_document.get(document_id, ())]

    def chunk_ids(self) -> set[str]:
        return set(self._chunks)

    def chunk_count(self) -> int:
        return len(self._chunks)

    def resolve(self, chunk_ids: Iterable[str]) -> list[tuple[Chunk, Document]]:
        resolved = []
        for chunk_id in chunk_ids:
            chunk = self._chunks.get(chunk_id)
            if chunk is not None:
                resolved.append((chunk, self._documents[chunk.document_id]))
        return resolved

    def admitted_chunk_ids(self, filters: SearchFilters, today: date) -> frozenset[str] | None:
        """The chunk ids the filters let through, or None when they let everything through."""
        key, generation = (filters, today), self._generation
        cached = self._admitted.get(key)
        if cached is not None and cached[0] == generation:
            return cached[1]
        if len(self._admitted) >= ADMITTED_CACHE_SIZE:
            self._admitted.clear()
        admitted = self._compute_admitted(filters, today)
        # stored under the generation it was computed from: a write meanwhile makes it stale, never wrong
        self._admitted[key] = (generation, admitted)
        return admitted

    def _compute_admitted(self, filters: SearchFilters, today: date) -> frozenset[str] | None:
        admitted = [doc_id for doc_id, doc in self._documents.items() if filters.admits(doc, today)]
        if len(admitted) == len(self._documents):
            return None
        return frozenset(chunk_id for doc_id in admitted for chunk_id in self._by_document.get(doc_id, ()))

    # writing -----------------------------------------------------------------------------------------
    def put(self, document: Document, chunks: Sequence[Chunk]) -> None:
        """Replace a document and all its chunks in one transaction."""
        with self._lock, self._db:
            self._delete_rows(document.id)
            self._db.execute("INSERT INTO documents VALUES (?, ?)", (document.id, _dump_document(document)))
            self._db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?)",
                [(c.id, c.document_id, c.ordinal, _dump_chunk(c)) for c in chunks],
            )
        self._forget(document.id)
        self._remember(document, chunks)

    def update_documents(self, documents: Sequence[Document]) -> None:
        """Rewrite document metadata (e.g. supersession links) without touching chunks."""
        with self._lock, self._db:
            self._db.executemany(
                "UPDATE documents SET body = ? WHERE id = ?", [(_dump_document(d), d.id) for d in documents]
            )
        for document in documents:
            if document.id in self._documents:
                self._documents[document.id] = document
        self._generation += 1  # after the change: a set computed meanwhile is stale, never kept as current

    def remove(self, document_id: str) -> None:
        with self._lock, self._db:
            self._delete_rows(document_id)
        self._forget(document_id)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # internals ---------------------------------------------------------------------------------------
    def _delete_rows(self, document_id: str) -> None:
        self._db.execute("DELETE FROM chunks WHERE document_id = ?", (document_id,))
        self._db.execute("DELETE FROM documents WHERE id = ?", (document_id,))

    def _forget(self, document_id: str) -> None:
        self._documents.pop(document_id, None)
        for chunk_id in self._by_document.pop(document_id, []):
            self._chunks.pop(chunk_id, None)
        self._generation += 1

    def _remember(self, document: Document, chunks: Sequence[Chunk]) -> None:
        self._documents[document.id] = document
        self._by_document[document.id] = [c.id for c in chunks]
        self._chunks.update((c.id, c) for c in chunks)
        self._generation += 1

    def _load(self) -> None:
        with self._lock:
            documents = [_load_document(body) for (body,) in self._db.execute("SELECT body FROM documents")]
            rows = self._db.execute("SELECT body FROM chunks ORDER BY document_id, ordinal").fetchall()
        chunks_by_document: dict[str, list[Chunk]] = {}
        for (body,) in rows:
            chunk = _load_chunk(body)
            chunks_by_document.setdefault(chunk.document_id, []).append(chunk)
        for document in documents:
            self._remember(document, chunks_by_document.get(document.id, []))


def _dump_document(document: Document) -> str:
    data = asdict(document)
    for key in ("published", "effective_from", "expires_on"):
        data[key] = data[key].isoformat() if data[key] else None
    data["extra"] = dict(document.extra)
    return json.dumps(data, ensure_ascii=False)


def _load_document(body: str) -> Document:
    data: dict[str, Any] = json.loads(body)
    for key in ("published", "effective_from", "expires_on"):
        data[key] = date.fromisoformat(data[key]) if data[key] else None
    data["kind"] = DocumentKind(data["kind"])
    data["supersedes"] = tuple(data["supersedes"])
    return Document(**data)


def _dump_chunk(chunk: Chunk) -> str:
    return json.dumps(asdict(chunk), ensure_ascii=False)


def _load_chunk(body: str) -> Chunk:
    data: dict[str, Any] = json.loads(body)
    data["section_path"] = tuple(data["section_path"])
    return Chunk(**data)
