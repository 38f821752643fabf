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
    first, second = _bigrams(text), _bigrams(other)
    if not first or not second:
        return False
    return len(first & second) / len(first | second) >= RESTATEMENT_SIMILARITY


def superior_first(hits: Sequence[Hit], *, window: int = WINDOW) -> list[Hit]:
    """The hits with the superior restatements among the first `window` moved just before the text they restate,
    most authoritative first."""
    head = list(hits[:window])
    ordered: list[Hit] = []
    moved: set[int] = set()
    for i, hit in enumerate(head):
        if i in moved:
            continue
        superiors = _superior_restatements(head, i, moved)
        moved.update(superiors)
        ordered.extend(dataclasses.replace(head[j], why=(*head[j].why, SUPERIOR_FIRST)) for j in superiors)
        ordered.append(hit)
    return ordered + list(hits[window:])


def _superior_restatements(head: list[Hit], i: int, moved: set[int]) -> list[int]:
    """Positions of the later hits that restate head[i] from a higher level, most authoritative first."""
    level = authority_level(head[i].document)
    found = [
        j
        for j in range(i + 1, len(head))
        if j not in moved
        and authority_level(head[j].document) < level
        and restates(head[i].chunk.text, head[j].chunk.text)
    ]
    return sorted(found, key=lambda j: (authority_level(head[j].document), j))


def _bigrams(text: str) -> set[str]:
    squeezed = "".join(text.split())
    return {squeezed[i : i + 2] for i in range(len(squeezed) - 1)}
