from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import chromadb
import pytest

from knowledge.catalog import Catalog
from knowledge.embedders import HashingEmbedder
from knowledge.fusion import RRF
from knowledge.lexical import ChineseLexicalIndex
from knowledge.rerank import CrossEncoderReranker
from knowledge.retrieval import (
    AGREE,
    DEGRADED_MESSAGE,
    DENSE_UNAVAILABLE,
    DenseRetriever,
    HybridRetriever,
    LexicalRetriever,
)
from knowledge.vectorstore import ChromaVectorIndex, HnswParams, chroma_settings
from minfu.domain import Chunk, LoadedDocument, SearchFilters, content_hash
from minfu.ports import IndexedChunk
from tests.knowledge.retriever_contract import DOCUMENTS, TODAY, RetrieverContract

EMBEDDER = HashingEmbedder(dimension=256)


@dataclass
class Stores:
    catalog: Catalog
    vectors: ChromaVectorIndex
    lexical: ChineseLexicalIndex


def chunks_of(loaded: LoadedDocument) -> list[Chunk]:
    doc = loaded.document
    return [
        Chunk(
            id=f"{doc.id}#{i}",
            document_id=doc.id,
            ordinal=i,
            text=section.text,
            section_path=section.path,
            article=section.article,
            content_hash=content_hash(section.text),
        )
        for i, section in enumerate(loaded.sections)
    ]


def build_stores(documents: list[LoadedDocument], *, dense: bool = True) -> Stores:
    """One chunk per Section, put into the catalog, the Chroma collection (unless dense=False) and the lexical index."""
    stores = Stores(
        Catalog(None),
        ChromaVectorIndex.ephemeral(collection=f"t_{uuid.uuid4().hex[:12]}", embedder=EMBEDDER, hnsw=HnswParams()),
        ChineseLexicalIndex(None),
    )
    for loaded in documents:
        doc, chunks = loaded.document, chunks_of(loaded)
        stores.catalog.put(doc, chunks)
        items = [
            IndexedChunk(c, c.embedding_text(doc.title), {"document_id": doc.id, "kind": doc.kind.value})
            for c in chunks
        ]
        if dense and items:
            stores.vectors.upsert(items, EMBEDDER.embed_documents([item.text for item in items]))
        stores.lexical.add(items)
    return stores


def hybrid(stores: Stores, **options) -> HybridRetriever:
    return HybridRetriever(
        stores.catalog, EMBEDDER, stores.vectors, stores.lexical, today=lambda: options.pop("today", TODAY), **options
    )


# the contract, for each retriever ------------------------------------------------------------------------
class TestHybridRetrieverContract(RetrieverContract):
    @pytest.fixture
    def make_retriever(self):
        def make(documents: list[LoadedDocument], today: date) -> HybridRetriever:
            stores = build_stores(documents)
            return HybridRetriever(stores.catalog, EMBEDDER, stores.vectors, stores.lexical, today=lambda: today)

        return make


class TestDenseRetrieverContract(RetrieverContract):
    @pytest.fixture
    def make_retriever(self):
        def make(documents: list[LoadedDocument], today: date) -> DenseRetriever:
            stores = build_stores(documents)
            return DenseRetriever(stores.catalog, EMBEDDER, stores.vectors, today=lambda: today)

        return make


class TestLexicalRetrieverContract(RetrieverContract):
    @pytest.fixture
    def make_retriever(self):
        def make(documents: list[LoadedDocument], today: date) -> LexicalRetriever:
            stores = build_stores(documents)
            return LexicalRetriever(stores.catalog, stores.lexical, today=lambda: today)

        return make


class TestHybridWithReranker(RetrieverContract):
    """A reranker that keeps the fused order must not break the contract (scores become the reranker's)."""

    @pytest.fixture
    def make_retriever(self, tmp_path: Path):
        def keep_order(pairs):
            return [float(len(pairs) - i) for i in range(len(pairs))]

        def make(documents: list[LoadedDocument], today: date) -> HybridRetriever:
            stores = build_stores(documents)
            reranker = CrossEncoderReranker(tmp_path, score_pairs=keep_order)
            return HybridRetriever(
                stores.catalog, EMBEDDER, stores.vectors, stores.lexical, reranker=reranker, today=lambda: today
            )

        return make


# hybrid specifics ------------------------------------------------------------------------------------------
@pytest.fixture
def stores() -> Stores:
    return build_stores(DOCUMENTS)


def test_hits_carry_both_retrievers_and_why(stores: Stores):
    retriever = hybrid(stores)
    top = retriever.retrieve("试用期最长不得超过几个月？劳动合同期限三年以上", k=3)[0]
    assert top.chunk.id == "labour#1"
    assert set(top.scores) == {"dense", "lexical"}
    assert top.scores["lexical"].rank == 1 and top.scores["lexical"].score > 0
    assert "试用期" in top.why
    assert AGREE in top.why
    assert DENSE_UNAVAILABLE not in top.why
    assert retriever.last_degraded is None
    assert retriever.name == "default"


def test_fixed_fusion_weights_are_honoured(stores: Stores):
    dense_only = hybrid(stores, fusion=RRF(weights={"lexical": 0.0}), candidates=10)
    dense = DenseRetriever(stores.catalog, EMBEDDER, stores.vectors, today=lambda: TODAY)
    question = "中小企业款项支付与劳动合同"
    assert [h.chunk.id for h in dense_only.retrieve(question, k=4)] == [
        h.chunk.id for h in dense.retrieve(question, k=4)
    ]


def test_empty_dense_index_degrades_to_lexical_and_says_so():
    stores = build_stores(DOCUMENTS, dense=False)  # the dense index is still filling
    retriever = hybrid(stores)
    hits = retriever.retrieve("用工之日起多久内要订立书面劳动合同", k=3)
    assert hits[0].chunk.id == "labour#0"
    assert all(DENSE_UNAVAILABLE in hit.why and set(hit.scores) == {"lexical"} for hit in hits)
    assert retriever.last_degraded == DEGRADED_MESSAGE


def test_failing_dense_index_degrades_and_recovers(stores: Stores):
    retriever = hybrid(stores)
    chromadb.EphemeralClient(settings=chroma_settings()).delete_collection(stores.vectors.collection_name)
    hits = retriever.retrieve("用工之日起多久内要订立书面劳动合同", k=3)
    assert hits[0].chunk.id == "labour#0"
    assert all(DENSE_UNAVAILABLE in hit.why for hit in hits)
    assert retriever.last_degraded == DEGRADED_MESSAGE
    healthy = hybrid(build_stores(DOCUMENTS))
    healthy.retrieve("劳动合同", k=3)
    assert healthy.last_degraded is None


def test_no_degradation_when_nothing_matches_anywhere():
    retriever = hybrid(build_stores([]))
    assert retriever.retrieve("劳动合同", k=3) == []
    assert retriever.last_degraded is None


def test_chunks_unknown_to_the_catalog_are_skipped(stores: Stores):
    stray = Chunk(id="stray#0", document_id="stray", ordinal=0, text="试用期 试用期 试用期 劳动合同 试用期")
    stores.lexical.add([IndexedChunk(stray, stray.text, {})])
    hits = hybrid(stores).retrieve("试用期劳动合同", k=5, filters=SearchFilters(include_history=True))
    assert hits and "stray#0" not in {hit.chunk.id for hit in hits}


def test_reranker_reorders_hybrid_hits(stores: Stores, tmp_path: Path):
    def prefer_minhang(pairs):
        return [1.0 if "智能体" in text else 0.0 for _query, text in pairs]

    reranker = CrossEncoderReranker(tmp_path, score_pairs=prefer_minhang)
    hits = hybrid(stores, reranker=reranker).retrieve("劳动者试用期的劳动合同期限 智能体", k=2)
    assert hits[0].chunk.id == "minhang-plan#0"
    assert hits[0].scores["rerank"].rank == 1 and hits[0].fused_score == 1.0
    assert hits[0].scores["fusion"].rank > 1  # it was not first before reranking


def test_lexical_retriever_why_lists_terms(stores: Stores):
    retriever = LexicalRetriever(stores.catalog, stores.lexical, today=lambda: TODAY)
    top = retriever.retrieve("免申即享的政策资金", k=1)[0]
    assert top.chunk.id == "minhang-plan#1"
    assert "免申即享" in top.why and set(top.scores) == {"lexical"}
    assert retriever.name == "lexical"


def test_dense_retriever_scores_are_cosines(stores: Stores):
    hits = DenseRetriever(stores.catalog, EMBEDDER, stores.vectors, today=lambda: TODAY).retrieve("劳动合同", k=3)
    assert all(-1.0 <= hit.fused_score <= 1.0 and hit.fused_score == hit.scores["dense"].score for hit in hits)
    assert all(hit.why == () for hit in hits)


def test_degraded_message_is_read_from_the_hits_themselves() -> None:
    from knowledge.retrieval import DEGRADED_MESSAGE, DENSE_UNAVAILABLE, degraded_message
    from minfu.domain import Chunk, Document, DocumentKind, Hit

    document = Document(id="d", kind=DocumentKind.LAW, title="t", source="s")
    chunk = Chunk(id="d#1", document_id="d", ordinal=0, text="x")
    assert degraded_message([Hit(chunk, document, 1.0, why=("付款",))]) is None
    assert degraded_message([Hit(chunk, document, 1.0, why=(DENSE_UNAVAILABLE,))]) == DEGRADED_MESSAGE
    assert degraded_message([]) is None
