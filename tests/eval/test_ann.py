import numpy as np

from eval.ann import ann_recall_table
from knowledge.embedders.hashing import HashingEmbedder
from knowledge.vectorstore import HnswParams


def test_recall_table_measures_each_setting_on_copied_vectors() -> None:
    embedder = HashingEmbedder(dimension=64)
    texts = [f"第{i}条 企业应当依法纳税，编号{i * 7919 % 1000}" for i in range(300)]
    vectors = embedder.embed_documents(texts)
    queries = embedder.embed_documents(texts[:20])
    settings = [HnswParams(m=16, ef_construction=100, ef_search=100), HnswParams(m=4, ef_construction=10, ef_search=10)]
    rows = ann_recall_table([f"c{i}" for i in range(300)], vectors, queries, embedder, k=10, candidates=settings)
    assert [row.params for row in rows] == settings
    assert rows[0].recall >= 0.95
    assert all(0.0 <= row.recall <= 1.0 and row.query_ms > 0 for row in rows)
    assert np.isfinite([row.query_ms for row in rows]).all()
