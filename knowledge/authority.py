"""Restatements: when a lower-level text repeats a higher-level one, the higher-level one is listed first.

Shanghai regulations often restate a national law word for word (上海市消费者权益保护条例 第六十二条 is
消费者权益保护法 第五十五条 with the law's name spelt out). Both are correct, and which one the retrievers rank
first is a coin toss; an adviser cites the superior law (上位法) and may add the local one. Among the first hits,
the hits that restate an earlier one from a higher level of the hierarchy (立法法: 法律 > 行政法规 > 部门规章 and
地方性法规 > other texts) move just before it, highest first; nothing else changes order and nothing is dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from minfu.domain import Document, DocumentKind, Hit

SUPERIOR_FIRST = "上位法优先"  # in Hit.why: moved before a lower-level text that restates it
RESTATEMENT_SIMILARITY = 0.8  # Jaccard similarity of the two texts' character bigrams
WINDOW = 10  # only the first hits are compared (pairwise)


def authority_level(document: Document) -> int:
    """0 法律 (NPC and its Standing Committee), 1 行政法规 (State Council), 2 部门规章 and 地方性法规, 3 other
    laws and regulations (issuer unknown), 4 policies and everything else."""
    issuer = document.issuer or ""
    if "全国人民代表大会" in issuer:
        return 0
    if "国务院" in issuer:
        return 1
    if document.kind is DocumentKind.LAW:
        return 2 if issuer else 3
    return 4


def restates(text: str, other: str) -> bool:
    """Whether two texts say nearly the same thing (character bigrams, Jaccard ≥ RESTATEMENT_SIMILARITY)."""
    return _similar(_bigrams(text), _bigrams(other))


def superior_first(hits: Sequence[Hit], *, window: int = WINDOW) -> list[Hit]:
    """The hits with the superior restatements among the first `window` moved just before the text they restate,
    most authoritative first."""
    head = _Head(list(hits[:window]))
    ordered: list[Hit] = []
    moved: set[int] = set()
    for i, hit in enumerate(head.hits):
        if i in moved:
            continue
        superiors = head.superior_restatements(i, moved)
        moved.update(superiors)
        ordered.extend(dataclasses.replace(head.hits[j], why=(*head.hits[j].why, SUPERIOR_FIRST)) for j in superiors)
        ordered.append(hit)
    return ordered + list(hits[window:])


class _Head:
    """The first hits with their levels, and each hit's bigrams computed once, only when a comparison needs them."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits
        self.levels = [authority_level(hit.document) for hit in hits]
        self._grams: dict[int, set[str]] = {}

    def superior_restatements(self, i: int, moved: set[int]) -> list[int]:
        """Positions of the later hits that restate hit i from a higher level, most authoritative first."""
        found = [
            j
            for j in range(i + 1, len(self.hits))
            if j not in moved and self.levels[j] < self.levels[i] and _similar(self._bigrams(i), self._bigrams(j))
        ]
        return sorted(found, key=lambda j: (self.levels[j], j))

    def _bigrams(self, i: int) -> set[str]:
        if i not in self._grams:
            self._grams[i] = _bigrams(self.hits[i].chunk.text)
        return self._grams[i]


def _similar(first: set[str], second: set[str]) -> bool:
    if not first or not second:
        return False
    return len(first & second) / len(first | second) >= RESTATEMENT_SIMILARITY


def _bigrams(text: str) -> set[str]:
    squeezed = "".join(text.split())
    return {squeezed[i : i + 2] for i in range(len(squeezed) - 1)}
