"""Contract suite for minfu.ports.VectorIndex: subclass it and provide `make_index` (and `reopen` if persistent).

Vectors are unit vectors from the hashing embedder, so expected neighbours can be computed exactly with numpy.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from knowledge.embedders import HashingEmbedder
from minfu.domain import Chunk
from minfu.ports import IndexedChunk

EMBEDDER = HashingEmbedder(64)
TEXTS = [
    "保障中小企业款项支付条例 机关、事业单位从中小企业采购货物应当及时支付款项",
    "个人信息保护法 处理个人信息应当具有明确、合理的目的",
    "广告法 广告不得含有虚假或者引人误解的内容",
    "劳动合同法 用人单位解除劳动合同应当向劳动者支付经济补偿",
    "安全生产法 生产经营单位的主要负责人对本单位安全生产工作全面负责",
    "食品安全法 食品生产经营者对其生产经营食品的安全负责",
    "优化营商环境条例 市场主体应当遵守法律法规，恪守社会公德和商业道德",
    "数据安全法 开展数据处理活动应当依照法律、法规的规定",
    "闵行区营商环境行动方案 政策解答智能体 一网通办 免申即享",
    "中小企业促进法 国家实行有利于小型微型企业发展的税收政策",
    "企业信息公示暂行条例 企业应当于每年1月1日至6月30日报送年度报告",
    "上海市促进中小企业发展条例 融资担保 贷款 续贷",
]


def make_items(texts: list[str], prefix: str = "c") -> list[IndexedChunk]:
    return [
        IndexedChunk(
            chunk=Chunk(id=f"{prefix}{i}", document_id=f"d{i % 3}", ordinal=i, text=text),
            text=text,
            metadata={"kind": "law", "ordinal": i, "weight": 0.5, "current": i % 2 == 0},
        )
        for i, text in enumerate(texts)
    ]


def exact_ranking(vectors: np.ndarray, query: np.ndarray, ids: list[str]) -> list[str]:
    scores = vectors @ query
    return [ids[i] for i in np.argsort(-scores, kind="stable")]


class VectorIndexContract:
    """Every VectorIndex implementation must pass these."""

    @pytest.fixture
    def make_index(self):  # pragma: no cover - overridden
        raise NotImplementedError

    @pytest.fixture
    def index(self, make_index):
        return make_index(f"contract-{uuid.uuid4().hex[:10]}")

    @pytest.fixture
    def filled(self, index):
        items = make_items(TEXTS)
        index.upsert(items, EMBEDDER.embed_documents(TEXTS))
        return index

    def test_new_index_is_empty(self, index):
        assert index.count() == 0
        assert index.ids() == set()
        assert index.query(EMBEDDER.embed_query("任何问题"), 5) == []

    def test_upsert_then_count_and_ids(self, filled):
        assert filled.count() == len(TEXTS)
        assert filled.ids() == {f"c{i}" for i in range(len(TEXTS))}

    def test_query_ranks_by_cosine_similarity(self, filled):
        query = EMBEDDER.embed_query("用人单位解除劳动合同 经济补偿")
        hits = filled.query(query, 5)
        vectors = EMBEDDER.embed_documents(TEXTS)
        expected = exact_ranking(vectors, query, [f"c{i}" for i in range(len(TEXTS))])
        assert [h.chunk_id for h in hits] == expected[:5]
        assert hits[0].chunk_id == "c3"
        for hit in hits:
            assert hit.score == pytest.approx(float(vectors[int(hit.chunk_id[1:])] @ query), abs=1e-4)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    def test_identical_vector_scores_one(self, filled):
        hits = filled.query(EMBEDDER.embed_documents([TEXTS[5]])[0], 1)
        assert hits[0].chunk_id == "c5"
        assert hits[0].score == pytest.approx(1.0, abs=1e-4)

    def test_k_larger_than_index_returns_everything(self, filled):
        assert len(filled.query(EMBEDDER.embed_query("企业"), 100)) == len(TEXTS)
        assert filled.query(EMBEDDER.embed_query("企业"), 0) == []

    def test_upsert_replaces_an_existing_id(self, filled):
        new_text = "全新的内容：跨境电商 出口退税"
        item = make_items([new_text])[0]  # id c0
        filled.upsert([item], EMBEDDER.embed_documents([new_text]))
        assert filled.count() == len(TEXTS)
        hit = filled.query(EMBEDDER.embed_query(new_text), 1)[0]
        assert (hit.chunk_id, round(hit.score, 3)) == ("c0", 1.0)

    def test_delete_removes_and_ignores_unknown_ids(self, filled):
        filled.delete(["c3", "c4", "no-such-chunk"])
        assert filled.count() == len(TEXTS) - 2
        assert {"c3", "c4"}.isdisjoint(filled.ids())
        hits = filled.query(EMBEDDER.embed_query("用人单位解除劳动合同 经济补偿"), len(TEXTS))
        assert {"c3", "c4"}.isdisjoint(h.chunk_id for h in hits)

    def test_allowed_restricts_results(self, filled):
        query = EMBEDDER.embed_query("用人单位解除劳动合同 经济补偿")
        allowed = frozenset({"c0", "c7", "c9"})
        hits = filled.query(query, 5, allowed=allowed)
        vectors = EMBEDDER.embed_documents(TEXTS)
        expected = [i for i in exact_ranking(vectors, query, [f"c{i}" for i in range(len(TEXTS))]) if i in allowed]
        assert [h.chunk_id for h in hits] == expected

    def test_allowed_may_name_unknown_and_deleted_ids(self, filled):
        query = EMBEDDER.embed_query("广告 虚假")
        assert filled.query(query, 3, allowed=frozenset({"c2", "ghost"}))[0].chunk_id == "c2"
        filled.delete(["c2"])
        assert [h.chunk_id for h in filled.query(query, 3, allowed=frozenset({"c2", "c5"}))] == ["c5"]
        assert filled.query(query, 3, allowed=frozenset({"ghost"})) == []
        assert filled.query(query, 3, allowed=frozenset()) == []

    def test_allowed_covering_most_of_the_index(self, filled):
        query = EMBEDDER.embed_query("中小企业 款项 支付 贷款")
        all_ids = [f"c{i}" for i in range(len(TEXTS))]
        allowed = frozenset(all_ids) - {"c0"}
        hits = filled.query(query, 4, allowed=allowed)
        ranking = exact_ranking(EMBEDDER.embed_documents(TEXTS), query, all_ids)
        assert [h.chunk_id for h in hits] == [i for i in ranking if i in allowed][:4]

    def test_upsert_checks_vector_shape(self, index):
        items = make_items(TEXTS[:2])
        with pytest.raises(ValueError):
            index.upsert(items, EMBEDDER.embed_documents(TEXTS[:3]))
        with pytest.raises(ValueError):
            index.upsert(items, np.zeros((2, 32), dtype=np.float32))
        assert index.count() == 0
