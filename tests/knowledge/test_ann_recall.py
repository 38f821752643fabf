"""measure_recall: HNSW top k against exact numpy search, on hashing vectors of synthetic Chinese texts."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.ann_recall import measure_recall
from knowledge.embedders import HashingEmbedder
from knowledge.vectorstore import ChromaVectorIndex, HnswParams
from tests.knowledge.vector_index_contract import make_items

EMBEDDER = HashingEmbedder(64)
ALPHABET = "企业政策补贴申请办理税收登记许可证明材料资金人才用工融资贷款创新科技知识产权数据安全环境保护审批服务"


def _texts(count: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list(ALPHABET), size=40)) for _ in range(count)]


@pytest.fixture(scope="module")
def corpus():
    texts = _texts(3000, seed=1)
    return make_items(texts), EMBEDDER.embed_documents(texts), EMBEDDER.embed_documents(_texts(60, seed=2))


def _index(corpus, hnsw: HnswParams) -> ChromaVectorIndex:
    items, vectors, _ = corpus
    index = ChromaVectorIndex.ephemeral(collection=f"recall-{hnsw.m}-{hnsw.ef_search}", embedder=EMBEDDER, hnsw=hnsw)
    index.upsert(items, vectors)
    return index


def test_recall_is_high_with_generous_hnsw_settings(corpus):
    assert measure_recall(_index(corpus, HnswParams(m=32, ef_construction=200, ef_search=200)), corpus[2]) >= 0.99


def test_recall_exposes_a_starved_search(corpus):
    index = _index(corpus, HnswParams(m=4, ef_construction=10, ef_search=1))
    recall = measure_recall(index, corpus[2])
    assert 0.0 < recall < 0.9


def test_recall_matches_a_hand_count(corpus):
    index = _index(corpus, HnswParams(m=4, ef_construction=10, ef_search=1))
    _, vectors, queries = corpus
    found = 0
    for query in queries[:10]:
        exact = {f"c{i}" for i in np.argsort(-(vectors @ query))[:10]}
        found += len(exact & {h.chunk_id for h in index.query(query, 10)})
    assert measure_recall(index, queries[:10]) == pytest.approx(found / 100, abs=0.03)  # ties may differ slightly


def test_empty_index_or_no_queries_count_as_perfect():
    index = ChromaVectorIndex.ephemeral(collection="recall-empty", embedder=EMBEDDER)
    assert measure_recall(index, EMBEDDER.embed_documents(["企业"])) == 1.0
