"""Curated answers at question time: find the staff-approved answer to a question, if one still holds.

A question matches a curated one when their normalised texts (tools.store.curated.normalized_question) have a
rapidfuzz ratio >= MATCH_THRESHOLD and differ in no meaning-bearing character: a digit or numeral, a negation, or
either side of a comparison (长/短, 以上/以下 …), so 「试用期最长多久」 never gets 「试用期最短多久」's answer.

Calibration, on the 253 distinct user questions of eval/datasets (dev_policy_qa and the dialogues; 31,878 pairs):
only two pairs of different questions reach 85, and both are paraphrases (「食品经营许可需要准备哪些材料」 /
「那食品经营许可要准备哪些材料」 92.9; 「…最长能约定多久」 / 「…最长可以约定多久」 88.0). Light rewrites of the 142 dev
questions (请问/你好 openings, 能不能→可不可以, 怎么→如何 …; 918 variants) match in 97.9% of cases at 88 (94.3% at
90, 85.9% at 92). One-word meaning changes of the 253 questions (长→短, 可以→不可以, 一→三 …; 261 variants) reach
88 by ratio alone in 258 cases; the meaning-mark rule refuses all 261.

Before an answer is served its sources are checked against the catalog; a stale one is invalidated on the spot.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rapidfuzz import fuzz, process

from minfu.errors import InvalidInputError
from tools.agent_tools.views import citation_ref
from tools.store.audit import AuditLog
from tools.store.curated import (
    ChunkLookup,
    CuratedAnswer,
    CuratedAnswerStore,
    Source,
    normalized_question,
    stale_reason,
)
from tools.store.errors import NotFoundError

MATCH_THRESHOLD = 88.0
_REF = re.compile(r"^K[0-9a-f]{6}$")
# characters whose difference changes what is asked: numbers, negations, and either side of a comparison
_MEANING_MARKS = frozenset(
    "0123456789〇零一二三四五六七八九十百千万亿两半"  # numbers
    "不没无非未否勿别莫免"  # negations
    "长短高低多少大小前后早晚增减升降上下内外新旧"  # either side of a comparison
)


class ChunkIndex(ChunkLookup, Protocol):
    """What mapping citation refs back to chunks needs of the catalog (knowledge.catalog.Catalog has it)."""

    def chunk_ids(self) -> set[str]: ...


@dataclass(frozen=True)
class CuratedMatch:
    answer: CuratedAnswer
    similarity: float  # normalised rapidfuzz ratio, 0-100


def question_similarity(asked: str, curated: str) -> float:
    """The normalised ratio of two questions, or 0 when they differ in a meaning-bearing character."""
    return _similarity(normalized_question(asked), normalized_question(curated))


def _similarity(left: str, right: str) -> float:
    if not left or not right or _differ_in_meaning(left, right):
        return 0.0
    return float(fuzz.ratio(left, right))


def _differ_in_meaning(left: str, right: str) -> bool:
    differing = (Counter(left) - Counter(right)) + (Counter(right) - Counter(left))
    return any(char in _MEANING_MARKS for char in differing)


class CuratedMatcher:
    """Finds a valid curated answer for a question; the assistant asks it before running the agent."""

    def __init__(
        self,
        store: CuratedAnswerStore,
        catalog: ChunkIndex,
        *,
        threshold: float = MATCH_THRESHOLD,
        audit: AuditLog | None = None,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self._threshold = threshold
        self._audit = audit
        self._normalised: dict[int, str] = {}

    def match(self, question: str) -> CuratedMatch | None:
        """The closest valid curated answer at or above the threshold whose sources are all current."""
        asked = normalized_question(question)
        for similarity, answer_id in self._candidates(asked):
            answer = self._still_valid(answer_id)
            if answer is None:
                continue
            reason = stale_reason(answer.sources, self.catalog)
            if reason is None:
                return CuratedMatch(answer, similarity)
            self._invalidate(answer, reason)
        return None

    def _still_valid(self, answer_id: int) -> CuratedAnswer | None:
        """The answer, unless it was deleted or invalidated since it was listed."""
        try:
            answer = self.store.get(answer_id)
        except NotFoundError:
            return None
        return answer if answer.valid else None

    def _candidates(self, asked: str) -> list[tuple[float, int]]:
        """(similarity, id) of valid answers at or above the threshold, best (then newest) first.

        The fast ratio over every valid question comes first (rapidfuzz's cutoff), the meaning-mark rule only for the
        few above it; normalised questions are cached by id (a stored question never changes).
        """
        valid = self.store.valid_questions()
        self._normalised = {i: self._normalised.get(i) or normalized_question(q) for i, q in valid}
        if not asked:
            return []
        close = process.extract(asked, self._normalised, scorer=fuzz.ratio, score_cutoff=self._threshold, limit=None)
        kept = [(float(score), int(i)) for _, score, i in close if not _differ_in_meaning(asked, self._normalised[i])]
        return sorted(kept, key=lambda pair: (-pair[0], -pair[1]))

    def invalidate_stale(self) -> list[CuratedAnswer]:
        """Invalidate every answer whose sources changed (run after an ingest and at start-up)."""
        invalidated = self.store.invalidate_stale(self.catalog)
        for answer in invalidated:
            self._record(answer, answer.invalidated_reason or "")
        return invalidated

    def sources_of(self, citations: Sequence[dict[str, Any]]) -> list[Source]:
        """The chunks `citations` rest on, with their current content hashes; InvalidInputError for one not found."""
        by_ref: dict[str, str] | None = None
        sources: dict[str, Source] = {}
        for citation in citations:
            cited = str(citation.get("chunk_id") or citation.get("ref") or "")
            chunk = self.catalog.chunk(cited)
            if chunk is None and _REF.fullmatch(cited):
                by_ref = by_ref if by_ref is not None else _refs(self.catalog.chunk_ids())
                chunk = self.catalog.chunk(by_ref.get(cited, ""))
            if chunk is None:
                raise InvalidInputError(
                    f"引用的条文 {cited or '（未注明）'} 在知识库中找不到，请重新生成建议答复", field="citations"
                )
            sources.setdefault(chunk.id, Source(chunk.id, chunk.content_hash))
        return list(sources.values())

    def _invalidate(self, answer: CuratedAnswer, reason: str) -> None:
        self.store.invalidate(answer.id, reason)
        self._record(answer, reason)

    def _record(self, answer: CuratedAnswer, reason: str) -> None:
        if self._audit is not None:
            self._audit.record("system", "curated.invalidate", f"curated:{answer.id}", {"reason": reason})


def _refs(chunk_ids: Iterable[str]) -> dict[str, str]:
    """Citation ref (K…) -> chunk id, for citations of chat answers that carry the ref the model cited."""
    return {citation_ref(chunk_id): chunk_id for chunk_id in chunk_ids}
