"""Retrieval metrics: relevance judgement, hit@k, MRR, nDCG and latency percentiles. Pure functions.

Relevance is binary. An item has *targets*, the things a retriever should find:
- with a `docid`: one target, found by any chunk of that document or any chunk containing one of the item's
  reference strings (the NCPPolicies rule: same docid, or the answer text);
- without: one target per reference string, found by a chunk containing that string.
"Containing" compares texts with all whitespace removed from both sides.

A retrieved chunk is relevant when it finds at least one target. hit@k: a relevant chunk within the first k.
MRR@k: 1/rank of the first relevant chunk within k, else 0.

nDCG@k counts targets, not chunks, so several chunks of one relevant document count once and a pipeline with big
chunks is not favoured over one with small chunks: each target earns 1/log2(1 + r), r the rank of the first chunk
that finds it within k (a chunk's gain is the number of targets it finds first). The ideal DCG is R targets found
at ranks 1..min(R, k), one per chunk, where R is the number of the item's targets that are *retrievable*: found by
at least one chunk in that pipeline's whole index (`reachable_targets`). A chunk that finds several targets at once
can beat that ideal, so the score is capped at 1. An item with R = 0 scores 0. For the common one-target item
(every docid item) nDCG@k is simply 1/log2(1 + rank of the first relevant chunk).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_WHITESPACE = re.compile(r"\s+")

HIT_CUTOFFS = (1, 3, 5, 10)


def squeeze(text: str) -> str:
    """The text with every whitespace character (ASCII, full-width, no-break) removed."""
    return _WHITESPACE.sub("", text)


@dataclass(frozen=True, slots=True)
class Targets:
    """What counts as relevant for one item; references are stored squeezed."""

    docid: str | None
    references: tuple[str, ...]

    @classmethod
    def of(cls, docid: str | None, references: Iterable[str]) -> Targets:
        squeezed = tuple(s for s in (squeeze(r) for r in references) if s)
        return cls(docid, squeezed)

    @property
    def count(self) -> int:
        return 1 if self.docid is not None else len(self.references)

    def found_by(self, document_id: str, text: str) -> frozenset[int]:
        """Indexes of the targets a chunk (its document id and text) finds."""
        if self.docid is not None:
            hit = document_id == self.docid or self._contains_any(squeeze(text))
            return frozenset({0}) if hit else frozenset()
        chunk = squeeze(text)
        return frozenset(i for i, reference in enumerate(self.references) if reference in chunk)

    def _contains_any(self, squeezed: str) -> bool:
        return any(reference in squeezed for reference in self.references)


def reachable_targets(targets: Targets, document_ids: frozenset[str], joined_texts: str) -> int:
    """How many targets some chunk of the index finds.

    `joined_texts` is every indexed chunk text squeezed and joined by "\\x00" (never inside a reference, so a match
    cannot straddle two chunks): one substring search per reference instead of one per chunk.
    """
    if targets.docid is not None:
        found = targets.docid in document_ids or any(r in joined_texts for r in targets.references)
        return int(found)
    return sum(1 for reference in targets.references if reference in joined_texts)


def join_for_reachability(texts: Iterable[str]) -> str:
    return "\x00".join(squeeze(t) for t in texts)


def first_relevant_rank(found: Sequence[frozenset[int]]) -> int | None:
    """1-based rank of the first chunk that finds any target, or None."""
    return next((rank for rank, targets in enumerate(found, start=1) if targets), None)


def novelty_gains(found: Sequence[frozenset[int]]) -> list[int]:
    """At each rank, how many targets its chunk finds that no higher-ranked chunk found."""
    seen: set[int] = set()
    gains = []
    for targets in found:
        gains.append(len(targets - seen))
        seen |= targets
    return gains


def hit_at(rank: int | None, k: int) -> bool:
    return rank is not None and rank <= k


def reciprocal_rank(rank: int | None, k: int) -> float:
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def dcg(gains: Sequence[int], k: int) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains[:k], start=1))


def ndcg(gains: Sequence[int], retrievable: int, k: int) -> float:
    ideal = dcg([1] * min(retrievable, k), k)
    return min(1.0, dcg(gains, k) / ideal) if ideal > 0 else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between order statistics (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True, slots=True)
class ItemScore:
    """What the metrics need from one answered question."""

    first_relevant: int | None
    gains: tuple[int, ...]
    retrievable: int
    latency_ms: float
    document_rank: int | None = None  # rank of the first chunk from the item's own document (docid items only)
    has_docid: bool = False


@dataclass(frozen=True, slots=True)
class RetrievalMetrics:
    questions: int
    k: int
    hit_at: dict[int, float | None] = field(default_factory=dict)  # None where the cutoff exceeds k
    mrr: float = 0.0  # MRR@k
    ndcg: float = 0.0  # nDCG@k
    latency_p50_ms: float = math.nan
    latency_p95_ms: float = math.nan
    unreachable: int = 0  # questions with no retrievable target in this index
    document_hit_at_5: float | None = None  # docid items only: a chunk of the item's own document in the top 5


def summarise(scores: Sequence[ItemScore], k: int) -> RetrievalMetrics:
    n = len(scores)
    if n == 0:
        return RetrievalMetrics(questions=0, k=k, hit_at={c: None for c in HIT_CUTOFFS})
    latencies = [s.latency_ms for s in scores]
    return RetrievalMetrics(
        questions=n,
        k=k,
        hit_at={c: _mean(hit_at(s.first_relevant, c) for s in scores) if c <= k else None for c in HIT_CUTOFFS},
        mrr=_mean(reciprocal_rank(s.first_relevant, k) for s in scores),
        ndcg=_mean(ndcg(s.gains, s.retrievable, k) for s in scores),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        unreachable=sum(1 for s in scores if s.retrievable == 0),
        document_hit_at_5=_document_hit_at_5(scores, k),
    )


def _document_hit_at_5(scores: Sequence[ItemScore], k: int) -> float | None:
    with_docid = [s for s in scores if s.has_docid]
    if not with_docid or k < 5:
        return None
    return _mean(hit_at(s.document_rank, 5) for s in with_docid)


def _mean(values: Iterable[float | bool]) -> float:
    items = [float(v) for v in values]
    return sum(items) / len(items) if items else 0.0
