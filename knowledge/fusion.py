"""Fusion of several retrievers' ranked lists into one ranking.

Every function takes per-retriever ranked lists (best first) and returns a FusionResult: the fused items, best
first, each with every retriever's 1-based rank and raw score, and the weight each retriever got.

Formulas (rank_r(d) is d's 1-based rank in retriever r's list; a retriever that did not return d adds nothing):

- weighted reciprocal-rank fusion:  score(d) = Σ_r w_r / (k + rank_r(d))
- convex score fusion:              score(d) = Σ_r w_r · (s_r(d) − min_r) / (max_r − min_r)   (min-max per list)
- adaptive fusion: the weights of either of the above are set per query from each retriever's confidence in its
  own ranking, c_r = (s_1 − mean(s_2..s_m)) / (s_1 − s_n) (see `ranking_confidence`), as
  w_r = base_r · exp(strength · (c_r − mean_r' c_r')).
  A retriever whose top hit stands out (an entity-heavy question for the lexical side, a paraphrase that only
  the dense side understands) is leaned on; strength 0 gives back the fixed weights.

Ties are broken by the best rank any retriever gave, then by chunk id, so results are deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from minfu.domain import RetrieverScore
from minfu.ports import ScoredId


@dataclass(frozen=True, slots=True)
class RankedList:
    """One retriever's answer: its name (e.g. "dense", "lexical") and its items, best first."""

    retriever: str
    items: tuple[ScoredId, ...]


@dataclass(frozen=True, slots=True)
class FusedItem:
    chunk_id: str
    score: float
    ranks: Mapping[str, RetrieverScore]  # retriever -> its 1-based rank and raw score for this chunk
    terms: tuple[str, ...] = ()  # matched query terms reported by the retrievers (lexical), strongest first


@dataclass(frozen=True, slots=True)
class FusionResult:
    items: tuple[FusedItem, ...]  # best first
    weights: Mapping[str, float] = field(default_factory=dict)  # the weight each retriever got for this query


class Fusion(Protocol):
    def __call__(self, lists: Sequence[RankedList]) -> FusionResult: ...


Combine = Literal["rrf", "convex"]


# the functions -------------------------------------------------------------------------------------------
def weighted_rrf(
    lists: Sequence[RankedList], *, k: float = 60.0, weights: Mapping[str, float] | None = None
) -> FusionResult:
    """Weighted reciprocal-rank fusion: score(d) = Σ_r w_r / (k + rank_r(d)); a missing weight is 1."""
    used = _weights(lists, weights)
    return _fuse(lists, used, lambda rl, rank, _score: used[rl.retriever] / (k + rank))


def convex_fusion(lists: Sequence[RankedList], *, weights: Mapping[str, float] | None = None) -> FusionResult:
    """Convex combination of min-max normalised scores: score(d) = Σ_r w_r · (s_r(d) − min_r) / (max_r − min_r).

    A list whose scores are all equal normalises to 1 for each of its items.
    """
    used = _weights(lists, weights)
    bounds = {rl.retriever: _bounds(rl) for rl in lists}

    def contribution(rl: RankedList, _rank: int, score: float) -> float:
        low, high = bounds[rl.retriever]
        return used[rl.retriever] * ((score - low) / (high - low) if high > low else 1.0)

    return _fuse(lists, used, contribution)


def ranking_confidence(scores: Sequence[float], *, depth: int = 5) -> float:
    """How clearly a retriever's top item stands out from its runners-up, in [0, 1].

    With the scores best first, m = min(depth, n) and n the whole list:
        c = (s_1 − mean(s_2..s_m)) / (s_1 − min(s_1..s_n))
    i.e. the top item's lead over its m − 1 runners-up, measured against its lead over the whole candidate list.
    One item far above near-equal runners-up gives ~1; a flat head (the top m about equal, however far above the
    tail) gives ~0. Invariant to shifting and scaling the scores, so cosine, BM25 and others compare.
    A single item counts as a standout (1.0); no items or all-equal scores give 0.0.
    """
    values = [float(s) for s in scores]
    if len(values) == 1:
        return 1.0
    spread = values[0] - min(values) if values else 0.0
    if spread <= 1e-12:
        return 0.0
    runners_up = values[1 : max(depth, 2)]
    return min(1.0, max(0.0, (values[0] - sum(runners_up) / len(runners_up)) / spread))


def adaptive_weights(
    lists: Sequence[RankedList],
    *,
    base_weights: Mapping[str, float] | None = None,
    strength: float = 1.5,
    depth: int = 5,
) -> dict[str, float]:
    """w_r = base_r · exp(strength · (c_r − mean c)), with c_r = ranking_confidence of list r.

    Empty lists keep their base weight (they contribute nothing anyway) and do not count in the mean.
    """
    base = _weights(lists, base_weights)
    confidence = {
        rl.retriever: ranking_confidence([i.score for i in rl.items], depth=depth) for rl in lists if rl.items
    }
    if not confidence:
        return base
    mean = sum(confidence.values()) / len(confidence)
    return {
        name: w * math.exp(strength * (confidence[name] - mean)) if name in confidence else w
        for name, w in base.items()
    }


def adaptive_fusion(
    lists: Sequence[RankedList],
    *,
    combine: Combine = "rrf",
    k: float = 60.0,
    base_weights: Mapping[str, float] | None = None,
    strength: float = 1.5,
    depth: int = 5,
) -> FusionResult:
    """`weighted_rrf` or `convex_fusion` with per-query weights from `adaptive_weights`."""
    weights = adaptive_weights(lists, base_weights=base_weights, strength=strength, depth=depth)
    if combine == "convex":
        return convex_fusion(lists, weights=weights)
    return weighted_rrf(lists, k=k, weights=weights)


def single(ranked: RankedList) -> FusionResult:
    """One list as a FusionResult, keeping the retriever's own scores (for single-retriever pipelines)."""
    return _fuse([ranked], {ranked.retriever: 1.0}, lambda _rl, _rank, score: score)


# callable settings, for injection and reports ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RRF:
    """Fixed weighted reciprocal-rank fusion."""

    k: float = 60.0
    weights: Mapping[str, float] = field(default_factory=dict)

    def __call__(self, lists: Sequence[RankedList]) -> FusionResult:
        return weighted_rrf(lists, k=self.k, weights=self.weights)


@dataclass(frozen=True, slots=True)
class Adaptive:
    """Adaptive fusion with its knobs; the default fusion of HybridRetriever."""

    combine: Combine = "rrf"
    k: float = 60.0
    base_weights: Mapping[str, float] = field(default_factory=dict)
    strength: float = 1.5
    depth: int = 5

    def __call__(self, lists: Sequence[RankedList]) -> FusionResult:
        return adaptive_fusion(
            lists,
            combine=self.combine,
            k=self.k,
            base_weights=self.base_weights,
            strength=self.strength,
            depth=self.depth,
        )


# internals -----------------------------------------------------------------------------------------------
def _weights(lists: Sequence[RankedList], weights: Mapping[str, float] | None) -> dict[str, float]:
    given = weights or {}
    return {rl.retriever: float(given.get(rl.retriever, 1.0)) for rl in lists}


def _bounds(ranked: RankedList) -> tuple[float, float]:
    scores = [item.score for item in ranked.items] or [0.0]
    return min(scores), max(scores)


def _fuse(
    lists: Sequence[RankedList],
    weights: Mapping[str, float],
    contribution: Callable[[RankedList, int, float], float],
) -> FusionResult:
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, RetrieverScore]] = {}
    terms: dict[str, list[str]] = {}
    for ranked in lists:
        for rank, item in enumerate(ranked.items, start=1):
            if ranked.retriever in ranks.setdefault(item.chunk_id, {}):
                continue  # a duplicate within one list: its best rank counts
            ranks[item.chunk_id][ranked.retriever] = RetrieverScore(rank, item.score)
            scores[item.chunk_id] = scores.get(item.chunk_id, 0.0) + contribution(ranked, rank, item.score)
            _merge_terms(terms.setdefault(item.chunk_id, []), item.terms)
    order = sorted(scores, key=lambda cid: (-scores[cid], min(r.rank for r in ranks[cid].values()), cid))
    items = tuple(FusedItem(cid, scores[cid], ranks[cid], tuple(terms[cid])) for cid in order)
    return FusionResult(items, dict(weights))


def _merge_terms(into: list[str], new: Sequence[str]) -> None:
    for term in new:
        if term not in into:
            into.append(term)
