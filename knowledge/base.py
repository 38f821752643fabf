"""The knowledge base: catalog, embedder, vector and lexical indexes and the retriever, built from settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from knowledge.catalog import Catalog
from knowledge.embedders import make_embedder
from knowledge.embedders.cache import CachedEmbedder, EmbeddingCache
from knowledge.lexical import ChineseLexicalIndex
from knowledge.query import QueryExpander
from knowledge.rerank import CrossEncoderReranker
from knowledge.retrieval import HybridRetriever
from knowledge.vectorstore import ChromaVectorIndex, HnswParams
from minfu.ports import Embedder, Reranker, SearchRetriever, VectorIndex
from minfu.settings import Settings


@dataclass
class KnowledgeBase:
    catalog: Catalog
    embedder: Embedder
    vector_index: VectorIndex
    lexical_index: ChineseLexicalIndex
    retriever: SearchRetriever

    @classmethod
    def open(cls, settings: Settings) -> KnowledgeBase:
        """The persistent knowledge base under settings.data_dir (or a Chroma server when chroma_url is set)."""
        index_dir = settings.index_dir
        index_dir.mkdir(parents=True, exist_ok=True)
        cache = EmbeddingCache(settings.cache_dir / "embeddings.sqlite")
        embedder = CachedEmbedder(make_embedder(settings.embedder), cache)
        hnsw = HnswParams(
            m=settings.hnsw_m, ef_construction=settings.hnsw_ef_construction, ef_search=settings.hnsw_ef_search
        )
        collection = f"{settings.collection}_{_slug(embedder.name)}"
        if settings.chroma_url:
            vectors = ChromaVectorIndex.http(settings.chroma_url, collection=collection, embedder=embedder, hnsw=hnsw)
        else:
            vectors = ChromaVectorIndex.persistent(
                index_dir / "chroma", collection=collection, embedder=embedder, hnsw=hnsw
            )
        catalog = Catalog(index_dir / "catalog.sqlite")
        lexical = ChineseLexicalIndex(index_dir / "lexical")
        reranker = CrossEncoderReranker(settings.reranker_path) if settings.reranker_path else None
        expander = QueryExpander.bundled(*([settings.synonyms_path] if settings.synonyms_path else []))
        return cls._assemble(catalog, embedder, vectors, lexical, reranker, expander)

    @classmethod
    def in_memory(cls, embedder: Embedder, *, cache_path: Path | None = None) -> KnowledgeBase:
        """A throwaway knowledge base (tests, evaluation runs over a dataset's own corpus)."""
        if cache_path is not None:
            embedder = CachedEmbedder(embedder, EmbeddingCache(cache_path))
        collection = f"minfu_{uuid.uuid4().hex[:12]}"
        vectors = ChromaVectorIndex.ephemeral(collection=collection, embedder=embedder, hnsw=HnswParams())
        return cls._assemble(Catalog(None), embedder, vectors, ChineseLexicalIndex(None), None, QueryExpander.bundled())

    @classmethod
    def _assemble(
        cls,
        catalog: Catalog,
        embedder: Embedder,
        vectors: VectorIndex,
        lexical: ChineseLexicalIndex,
        reranker: Reranker | None,
        expander: QueryExpander,
    ) -> KnowledgeBase:
        retriever = HybridRetriever(catalog, embedder, vectors, lexical, reranker=reranker, expander=expander)
        return cls(catalog, embedder, vectors, lexical, retriever)

    def status(self) -> dict[str, int | str | bool]:
        chunks = self.catalog.chunk_count()
        dense = self.vector_index.count()
        return {
            "documents": len(self.catalog.documents()),
            "chunks": chunks,
            "dense_chunks": dense,
            "dense_complete": dense >= chunks,
            "embedder": self.embedder.name,
        }


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")[:40]
