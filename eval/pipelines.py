"""Named retrieval pipelines, built over one corpus in one process so they can be compared side by side.

- `default`: ours, the product's HybridRetriever (e5 dense + Chinese lexical, adaptive fusion) over our Chinese-aware
  chunks (heading path kept, target 400 characters).
- `dense-e5`: the obvious setup with the same e5 model: plain 500-character splits (LangChain's
  RecursiveCharacterTextSplitter, overlap 50) of each document's text, no headings, dense search only.
- `naive`: the LangChain RAG tutorial setup: RecursiveCharacterTextSplitter(1000, 200), all-MiniLM-L6-v2, a Chroma
  collection with Chroma's default HNSW settings (l2 space, M 16, ef 100), dense search only.
- `lexical`: ours, the lexical index alone (a diagnostic).

Every pipeline caches passage vectors in one shared embedding cache, so re-runs embed nothing; query vectors are
never served from the cache, so the latency measured includes embedding each question.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from eval.metrics import join_for_reachability
from knowledge.base import KnowledgeBase
from knowledge.catalog import Catalog
from knowledge.chunking import Chunker
from knowledge.embedders import make_embedder
from knowledge.embedders.cache import CachedEmbedder, EmbeddingCache
from knowledge.ingest import Ingestor, embed_into
from knowledge.loaders import LoadBatch
from knowledge.query import QueryExpander
from knowledge.rerank import CrossEncoderReranker
from knowledge.retrieval import DenseRetriever, HybridRetriever, LexicalRetriever
from knowledge.vectorstore import ChromaVectorIndex, HnswParams
from minfu.domain import Chunk, LoadedDocument, SearchFilters, content_hash
from minfu.errors import InvalidInputError, MinfuError
from minfu.ports import Embedder, IndexedChunk, Retriever, Vectors
from minfu.settings import Settings

# (stage label, done, total): characters while embedding, questions while asking
EvalProgress = Callable[[str, int, int], None]

DESCRIPTIONS = {
    "default": "本项目：混合检索（e5 向量 + 中文词法，自适应融合），按条款/标题切块约 400 字",
    "dense-e5": "常见做法：同一 e5 模型，纯向量检索，按 500 字机械切分（重叠 50）",
    "naive": "LangChain 教程做法：Chroma 默认参数 + all-MiniLM-L6-v2，纯向量检索，1000 字切分（重叠 200）",
    "lexical": "本项目的中文词法索引单独使用（诊断用）",
}
PIPELINE_NAMES = tuple(DESCRIPTIONS)
CHROMA_DEFAULT_HNSW = HnswParams(space="l2", m=16, ef_construction=100, ef_search=100)


@dataclass
class Pipeline:
    name: str
    retriever: Retriever
    embedder: str | None  # the embedding model's name; None for lexical only
    chunks: int
    document_ids: frozenset[str]  # documents searchable by default (current versions)
    joined_texts: str  # their chunk texts, squeezed and joined, for reachability (see eval.metrics)
    catalog: Catalog  # documents and chunks behind the retriever (citations and relevance resolve through it)
    build_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class Corpus:
    """What the pipelines are built over: a list of documents, or (settings given) the persistent knowledge base
    for `default` and `lexical` plus the documents (its source texts) for the others."""

    label: str
    load: Callable[[], list[LoadedDocument]]
    persistent: Settings | None = None


class _PassageCachedEmbedder:
    """Passages through the cache; queries straight to the model, so query latency is what a new question costs."""

    def __init__(self, inner: Embedder, cache: EmbeddingCache) -> None:
        self._cached = CachedEmbedder(inner, cache)
        self._inner = inner
        self.name = inner.name
        self.dimension = inner.dimension

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._cached.embed_documents(texts)

    def embed_query(self, text: str) -> Vectors:
        return self._inner.embed_query(text)


class PipelineBuilder:
    def __init__(
        self,
        corpus: Corpus,
        *,
        cache_path: Path | None,
        embedder_override: str | None = None,
        progress: EvalProgress | None = None,
        chunk_size: int = 400,
    ) -> None:
        self._corpus = corpus
        self._cache = EmbeddingCache(cache_path)
        self._override = embedder_override
        self._progress = progress
        self._chunk_size = chunk_size
        self._embedders: dict[str, Embedder] = {}
        self._our_kb: KnowledgeBase | None = None
        self._dense_filled = False

    def build(self, name: str) -> Pipeline:
        builders = {
            "default": self._default,
            "dense-e5": self._dense_e5,
            "naive": self._naive,
            "lexical": self._lexical,
        }
        if name not in builders:
            raise InvalidInputError(f"未知的检索流水线：{name}（可选：{'、'.join(PIPELINE_NAMES)}）", field="pipeline")
        started = time.perf_counter()
        pipeline = builders[name]()
        pipeline.build_seconds = time.perf_counter() - started
        return pipeline

    @cached_property
    def documents(self) -> list[LoadedDocument]:
        return self._corpus.load()

    # the pipelines ---------------------------------------------------------------------------------------
    def _default(self) -> Pipeline:
        kb, notes = self._knowledge_base(dense=True)
        return _view("default", kb.retriever, kb.embedder.name, kb.catalog, notes)

    def _lexical(self) -> Pipeline:
        kb, notes = self._knowledge_base(dense=False)
        retriever = LexicalRetriever(kb.catalog, kb.lexical_index, expander=QueryExpander.bundled(), name="lexical")
        return _view("lexical", retriever, None, kb.catalog, notes)

    def _dense_e5(self) -> Pipeline:
        pieces = plain_splits(self.documents, chunk_size=500, overlap=50, tag="plain500")
        return self._dense_pipeline("dense-e5", self._embedder("e5"), pieces, HnswParams())

    def _naive(self) -> Pipeline:
        pieces = plain_splits(self.documents, chunk_size=1000, overlap=200, tag="plain1000")
        return self._dense_pipeline("naive", self._embedder("minilm"), pieces, CHROMA_DEFAULT_HNSW)

    # building blocks -------------------------------------------------------------------------------------
    def _embedder(self, spec: str) -> Embedder:
        spec = self._override or spec
        if spec not in self._embedders:
            self._embedders[spec] = _PassageCachedEmbedder(make_embedder(spec), self._cache)
        return self._embedders[spec]

    def _knowledge_base(self, *, dense: bool) -> tuple[KnowledgeBase, list[str]]:
        if self._corpus.persistent is not None and self._override is None:
            return self._persistent(self._corpus.persistent)
        if self._our_kb is None:
            self._our_kb = KnowledgeBase.in_memory(self._embedder("e5"))
            self._ingestor(self._our_kb).ingest(LoadBatch(documents=self.documents), dense=False)
        if dense and not self._dense_filled:
            self._ingestor(self._our_kb).fill_dense()
            self._dense_filled = True
        return self._our_kb, []

    def _persistent(self, settings: Settings) -> tuple[KnowledgeBase, list[str]]:
        if self._our_kb is None:
            kb = KnowledgeBase.open(settings)
            if kb.catalog.chunk_count() == 0:
                raise MinfuError(f"默认知识库（{settings.index_dir}）是空的：请先运行 minfu ingest", code="index_empty")
            self._our_kb = _with_uncached_queries(kb, settings)
        status = self._our_kb.status()
        notes = [f"使用已建立的默认知识库 {settings.index_dir}（{status['chunks']} 个切块）"]
        if not status["dense_complete"]:
            filled = f"{status['dense_chunks']}/{status['chunks']}"
            notes.append(f"向量索引尚未完成（{filled}），结果偏低：请等待 minfu ingest 完成")
        return self._our_kb, notes

    def _ingestor(self, kb: KnowledgeBase) -> Ingestor:
        report = self._reporter("default：向量化")
        return Ingestor(kb, Chunker(target_size=self._chunk_size), progress=report)

    def _dense_pipeline(self, name: str, embedder: Embedder, pieces: list[PlainPiece], hnsw: HnswParams) -> Pipeline:
        catalog = Catalog(None)
        vectors = ChromaVectorIndex.ephemeral(collection=f"eval_{uuid.uuid4().hex[:12]}", embedder=embedder, hnsw=hnsw)
        by_document: dict[str, list[Chunk]] = {}
        for piece in pieces:
            by_document.setdefault(piece.chunk.document_id, []).append(piece.chunk)
        for item in self.documents:
            catalog.put(item.document, by_document.get(item.document.id, []))
        embed_into(vectors, embedder, [p.indexed for p in pieces], self._reporter(f"{name}：向量化"))
        retriever = DenseRetriever(catalog, embedder, vectors, name=name)
        return _view(name, retriever, embedder.name, catalog, [])

    def _reporter(self, label: str) -> Callable[[int, int], None] | None:
        progress = self._progress
        if progress is None:
            return None
        return lambda done, total: progress(label, done, total)


def _with_uncached_queries(kb: KnowledgeBase, settings: Settings) -> KnowledgeBase:
    """The same indexes behind a retriever that embeds every query with the model (no query cache)."""
    embedder = kb.embedder
    if isinstance(embedder, CachedEmbedder):
        embedder = _PassageCachedEmbedder(embedder.inner, embedder.cache)
    reranker = CrossEncoderReranker(settings.reranker_path) if settings.reranker_path else None
    expander = QueryExpander.bundled(*([settings.synonyms_path] if settings.synonyms_path else []))
    retriever = HybridRetriever(
        kb.catalog, embedder, kb.vector_index, kb.lexical_index, reranker=reranker, expander=expander
    )
    return KnowledgeBase(kb.catalog, embedder, kb.vector_index, kb.lexical_index, retriever)


def _view(name: str, retriever: Retriever, embedder: str | None, catalog: Catalog, notes: list[str]) -> Pipeline:
    """A pipeline over what the catalog admits by default (current versions), with its reachability text."""
    admitted = catalog.admitted_chunk_ids(SearchFilters(), date.today())
    ids = catalog.chunk_ids() if admitted is None else set(admitted)
    resolved = catalog.resolve(sorted(ids))
    return Pipeline(
        name=name,
        retriever=retriever,
        embedder=embedder,
        chunks=len(resolved),
        document_ids=frozenset(document.id for _, document in resolved),
        joined_texts=join_for_reachability(chunk.text for chunk, _ in resolved),
        catalog=catalog,
        notes=notes,
    )


# plain splitting (the baselines) ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PlainPiece:
    chunk: Chunk
    indexed: IndexedChunk


def plain_text(item: LoadedDocument) -> str:
    """A document's text as a reader sees the file: title, each heading when it changes, article and paragraph."""
    title = item.document.title
    first = item.sections[0].text if item.sections else ""
    parts = [] if first.startswith(title.removesuffix("…")) else [title]
    previous: tuple[str, ...] = ()
    for section in item.sections:
        common = next(
            (i for i, (a, b) in enumerate(zip(previous, section.path, strict=False)) if a != b),
            min(len(previous), len(section.path)),
        )
        parts.extend(section.path[common:])
        previous = section.path
        text = section.text
        if section.article and not text.startswith(section.article):
            text = f"{section.article} {text}"
        parts.append(text)
    return "\n\n".join(parts)


def plain_splits(documents: Sequence[LoadedDocument], *, chunk_size: int, overlap: int, tag: str) -> list[PlainPiece]:
    """Each document's plain text cut by LangChain's RecursiveCharacterTextSplitter; the split text is what is
    embedded (no title, no heading path)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=overlap, add_start_index=True)
    pieces: list[PlainPiece] = []
    for item in documents:
        document = item.document
        for ordinal, text in enumerate(splitter.split_text(plain_text(item))):
            chunk = Chunk(f"{document.id}#{tag}-{ordinal}", document.id, ordinal, text, content_hash=content_hash(text))
            metadata: dict[str, str | int | float | bool] = {"document_id": document.id, "kind": document.kind.value}
            pieces.append(PlainPiece(chunk, IndexedChunk(chunk, text, metadata)))
    return pieces
