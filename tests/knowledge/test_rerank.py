"""The reranker's own logic. The CrossEncoder model itself is not tested: no cross-encoder is installed offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.rerank import CrossEncoderReranker
from minfu.domain import Chunk, Document, DocumentKind, Hit, RetrieverScore
from minfu.errors import ConfigurationError

DOC = Document(id="d", kind=DocumentKind.LAW, title="劳动合同法", source="x.md")


def hits(*texts: str) -> list[Hit]:
    return [
        Hit(
            Chunk(id=f"d#{i}", document_id="d", ordinal=i, text=text, section_path=("第二章",)),
            DOC,
            fused_score=1.0 / (i + 1),
            scores={"lexical": RetrieverScore(i + 1, 0.5)},
            why=("试用期",),
        )
        for i, text in enumerate(texts)
    ]


class Recorder:
    """Scores a pair by how often the question's first character appears in the passage, and records calls."""

    def __init__(self) -> None:
        self.calls: list[list[tuple[str, str]]] = []

    def __call__(self, pairs):
        self.calls.append(list(pairs))
        return [float(passage.count(query[0])) for query, passage in pairs]


def test_missing_path_is_a_configuration_error_in_chinese(tmp_path: Path):
    with pytest.raises(ConfigurationError, match="重排序模型路径不存在"):
        CrossEncoderReranker(tmp_path / "no-such-model")


def test_reorders_by_score_and_keeps_the_fusion_rank(tmp_path: Path):
    scorer = Recorder()
    reranker = CrossEncoderReranker(tmp_path, score_pairs=scorer)
    out = reranker.rerank("试", hits("无关", "试用期试用期", "试用期"), k=3)
    assert [h.chunk.id for h in out] == ["d#1", "d#2", "d#0"]
    assert [h.fused_score for h in out] == [2.0, 1.0, 0.0]
    assert out[0].scores["rerank"] == RetrieverScore(1, 2.0)
    assert out[0].scores["fusion"] == RetrieverScore(2, 0.5)
    assert out[0].scores["lexical"] == RetrieverScore(2, 0.5)  # the retrievers' own scores are kept
    assert out[0].why == ("试用期",)
    assert scorer.calls[0][1] == ("试", "劳动合同法 第二章\n试用期试用期")  # title and heading give context


def test_ties_keep_the_fused_order(tmp_path: Path):
    reranker = CrossEncoderReranker(tmp_path, score_pairs=lambda pairs: [0.0] * len(pairs))
    assert [h.chunk.id for h in reranker.rerank("q", hits("a", "b", "c"), k=3)] == ["d#0", "d#1", "d#2"]


def test_scores_only_top_n_but_at_least_k(tmp_path: Path):
    scorer = Recorder()
    reranker = CrossEncoderReranker(tmp_path, top_n=2, score_pairs=scorer)
    assert len(reranker.rerank("试", hits("a", "b", "c", "d"), k=1)) == 1
    assert len(scorer.calls[-1]) == 2
    assert len(reranker.rerank("试", hits("a", "b", "c", "d"), k=3)) == 3
    assert len(scorer.calls[-1]) == 3


def test_nothing_to_rerank(tmp_path: Path):
    scorer = Recorder()
    reranker = CrossEncoderReranker(tmp_path, score_pairs=scorer)
    assert reranker.rerank("q", [], k=5) == []
    assert reranker.rerank("q", hits("a"), k=0) == []
    assert scorer.calls == []


def test_a_directory_without_a_model_fails_clearly_on_first_use(tmp_path: Path):
    reranker = CrossEncoderReranker(tmp_path)  # exists, so construction is fine; the model loads lazily
    with pytest.raises(ConfigurationError, match="无法加载重排序模型"):
        reranker.rerank("q", hits("a"), k=1)
