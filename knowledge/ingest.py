"""Incremental ingest: load -> link versions -> chunk -> index what changed -> prune what disappeared.

Unchanged chunks (same content hash) are neither embedded nor written again; the embedding cache also spares
re-embedding text that moved between documents. The dense stage can be deferred (`dense=False`) and run later
by `fill_dense`, so a fresh install answers lexically within minutes while the vectors are computed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.base import KnowledgeBase
from knowledge.chunking import Chunker
from knowledge.loaders import LoadBatch
from knowledge.validity import link_versions
from minfu.domain import Chunk, Document, LoadedDocument
from minfu.errors import DocumentLoadError
from minfu.ports import Embedder, IndexedChunk, VectorIndex

# Called with (characters embedded so far, characters to embed in all): embedding time is proportional to text
# length, so characters give an honest time estimate where a chunk count would not.
ProgressCallback = Callable[[int, int], None]

EMBED_BATCH = 32


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    new_chunks: int = 0
    unchanged_chunks: int = 0
    removed_chunks: int = 0
    removed_documents: int = 0
    embedded_chunks: int = 0
    failures: list[DocumentLoadError] = field(default_factory=list)
    seconds: float = 0.0


@dataclass(frozen=True)
class _Plan:
    document: Document
    chunks: list[Chunk]
    added: list[Chunk]
    removed: list[str]


class Ingestor:
    def __init__(self, kb: KnowledgeBase, chunker: Chunker, *, progress: ProgressCallback | None = None) -> None:
        self._kb = kb
        self._chunker = chunker
        self._progress = progress

    def ingest(self, batch: LoadBatch, *, prune_under: Iterable[Path] = (), dense: bool = True) -> IngestReport:
        """Index a loaded batch; documents whose source lies under `prune_under` but were not loaded are removed."""
        started = time.perf_counter()
        report = IngestReport(failures=list(batch.failures))
        loaded = _relink(self._kb, batch.documents)
        plans = [self._plan(item) for item in loaded]
        self._apply(plans)
        self.fill_lexical()  # chunks an older lexical index format left out
        self._update_links(loaded)
        report.removed_documents, report.removed_chunks = self._prune(batch, prune_under)
        report.documents = len(plans)
        report.chunks = sum(len(p.chunks) for p in plans)
        report.new_chunks = sum(len(p.added) for p in plans)
        report.unchanged_chunks = report.chunks - report.new_chunks
        report.removed_chunks += sum(len(p.removed) for p in plans)
        if dense:  # everything the vector index lacks: this batch's new chunks and any left by a deferred run
            report.embedded_chunks = self.fill_dense()
        report.seconds = time.perf_counter() - started
        return report

    def fill_dense(self) -> int:
        """Embed and index every catalog chunk the vector index lacks; returns how many were added."""
        missing = sorted(self._kb.catalog.chunk_ids() - self._kb.vector_index.ids())
        items = [self._indexed(chunk) for chunk, _ in self._kb.catalog.resolve(missing)]
        embed_into(self._kb.vector_index, self._kb.embedder, items, self._progress)
        return len(items)

    def fill_lexical(self) -> int:
        """Index every catalog chunk the lexical index lacks (it loads empty after a format change); how many."""
        missing = sorted(self._kb.catalog.chunk_ids() - self._kb.lexical_index.ids())
        if missing:
            self._kb.lexical_index.add([self._indexed(chunk) for chunk, _ in self._kb.catalog.resolve(missing)])
            self._kb.lexical_index.save()
        return len(missing)

    def remove(self, document_ids: Sequence[str]) -> int:
        removed = 0
        for document_id in document_ids:
            chunk_ids = [c.id for c in self._kb.catalog.chunks_of(document_id)]
            self._kb.vector_index.delete(chunk_ids)
            self._kb.lexical_index.delete(chunk_ids)
            self._kb.catalog.remove(document_id)
            removed += len(chunk_ids)
        self._kb.lexical_index.save()
        return removed

    # planning ----------------------------------------------------------------------------------------
    def _plan(self, item: LoadedDocument) -> _Plan:
        chunks = self._chunker.chunk(item)
        known = {c.id for c in self._kb.catalog.chunks_of(item.document.id)}
        added = [c for c in chunks if c.id not in known]
        removed = sorted(known - {c.id for c in chunks})
        return _Plan(item.document, chunks, added, removed)

    def _apply(self, plans: Sequence[_Plan]) -> None:
        removed = [chunk_id for p in plans for chunk_id in p.removed]
        self._kb.vector_index.delete(removed)
        self._kb.lexical_index.delete(removed)
        titles = {p.document.id: p.document.title for p in plans}
        added = [
            IndexedChunk(c, c.embedding_text(titles[c.document_id]), _metadata(c, p.document))
            for p in plans
            for c in p.added
        ]
        self._kb.lexical_index.add(added)
        for plan in plans:
            self._kb.catalog.put(plan.document, plan.chunks)
        self._kb.lexical_index.save()

    def _update_links(self, loaded: Sequence[LoadedDocument]) -> None:
        ingested = {item.document.id for item in loaded}
        relinked = link_versions(self._kb.catalog.documents())
        changed = [d for d in relinked if d.id not in ingested and d != self._kb.catalog.document(d.id)]
        self._kb.catalog.update_documents(changed)

    def _prune(self, batch: LoadBatch, roots: Iterable[Path]) -> tuple[int, int]:
        root_list = [r.resolve() for r in roots]
        if not root_list:
            return 0, 0
        keep = {item.document.source for item in batch.documents} | {f.path for f in batch.failures}
        gone = [d.id for d in self._kb.catalog.documents() if d.source not in keep and _under(d.source, root_list)]
        return len(gone), self.remove(gone)

    def _indexed(self, chunk: Chunk) -> IndexedChunk:
        document = self._kb.catalog.document(chunk.document_id)
        assert document is not None  # resolve() only returns chunks of known documents
        return IndexedChunk(chunk, chunk.embedding_text(document.title), _metadata(chunk, document))


def embed_into(
    index: VectorIndex, embedder: Embedder, items: Sequence[IndexedChunk], progress: ProgressCallback | None = None
) -> None:
    """Embed items in batches into a vector index, reporting characters done (see ProgressCallback)."""
    total = sum(len(i.text) for i in items)
    done = 0
    for start in range(0, len(items), EMBED_BATCH):
        batch = items[start : start + EMBED_BATCH]
        index.upsert(batch, embedder.embed_documents([i.text for i in batch]))
        done += sum(len(i.text) for i in batch)
        if progress:
            progress(done, total)


def _relink(kb: KnowledgeBase, loaded: Sequence[LoadedDocument]) -> list[LoadedDocument]:
    """Link versions across the catalog and the new batch, so a new version supersedes an indexed older one."""
    new_ids = {item.document.id for item in loaded}
    others = [d for d in kb.catalog.documents() if d.id not in new_ids]
    linked = {d.id: d for d in link_versions([*others, *(item.document for item in loaded)])}
    return [LoadedDocument(linked[item.document.id], item.sections) for item in loaded]


def _metadata(chunk: Chunk, document: Document) -> dict[str, str | int | float | bool]:
    return {"document_id": document.id, "kind": document.kind.value, "ordinal": chunk.ordinal}


def _under(source: str, roots: Sequence[Path]) -> bool:
    try:
        path = Path(source).resolve()
    except (OSError, ValueError):
        return False
    return any(path == root or root in path.parents for root in roots)
