"""An optional reranker: a sentence-transformers CrossEncoder loaded from a local path, never downloaded.

The model scores (question, chunk text) pairs for the first `top_n` hits (at least k); the hits come back in the
order of those scores, with `fused_score` set to the cross-encoder score, the pre-rerank score and rank kept as
scores["fusion"] and the new rank and score as scores["rerank"].
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from minfu.domain import Hit, RetrieverScore
from minfu.errors import ConfigurationError

ScorePairs = Callable[[Sequence[tuple[str, str]]], Sequence[float]]


class CrossEncoderReranker:
    """Implements minfu.ports.Reranker. `score_pairs` replaces the model (tests, other scoring backends)."""

    def __init__(
        self,
        path: str | Path,
        *,
        top_n: int = 20,
        batch_size: int = 16,
        score_pairs: ScorePairs | None = None,
    ) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise ConfigurationError(
                f"重排序模型路径不存在：{self.path}（请将 MINFU_RERANKER_PATH 设为本地 CrossEncoder 模型目录）"
            )
        self.top_n = top_n
        self.batch_size = batch_size
        self._score_pairs = score_pairs
        self._lock = threading.Lock()

    def rerank(self, query: str, hits: Sequence[Hit], k: int) -> list[Hit]:
        pool = list(hits[: max(self.top_n, k)])
        if k <= 0 or not pool:
            return []
        scores = [float(s) for s in self._scorer()([(query, _passage(hit)) for hit in pool])]
        order = sorted(range(len(pool)), key=lambda i: (-scores[i], i))
        return [_rescored(pool[i], i + 1, scores[i], rank) for rank, i in enumerate(order[:k], start=1)]

    def _scorer(self) -> ScorePairs:
        with self._lock:
            if self._score_pairs is None:
                self._score_pairs = self._load()
            return self._score_pairs

    def _load(self) -> ScorePairs:
        try:
            from sentence_transformers import CrossEncoder
        except ImportError as error:
            raise ConfigurationError("重排序需要 sentence-transformers：pip install sentence-transformers") from error
        try:
            model = CrossEncoder(str(self.path), local_files_only=True, device="cpu")
        except (OSError, ValueError) as error:
            raise ConfigurationError(f"无法加载重排序模型 {self.path}：{error}") from error

        def score(pairs: Sequence[tuple[str, str]]) -> Sequence[float]:
            return [float(s) for s in model.predict(list(pairs), batch_size=self.batch_size, show_progress_bar=False)]

        return score


def _passage(hit: Hit) -> str:
    return hit.chunk.embedding_text(hit.document.title)


def _rescored(hit: Hit, old_rank: int, score: float, rank: int) -> Hit:
    scores = {**hit.scores, "fusion": RetrieverScore(old_rank, hit.fused_score), "rerank": RetrieverScore(rank, score)}
    return replace(hit, fused_score=score, scores=scores)
