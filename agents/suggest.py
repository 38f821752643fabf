"""Suggested answers for staff: a valid curated answer when one matches, else the grounded extractive composer's
answer over a fresh retrieval — with its citations, the chunks it rests on and a confidence in [0, 1].

Confidence says how much checking the answer needs before it is sent, not a probability:
- a curated answer: its question similarity (0.88-1.0): staff approved it and its sources are current;
- a grounded answer: 0.4 + 0.4 x coverage + 0.2 x agreement, where coverage is the share of the question's content
  bigrams found in the cited chunks (title, headings and text) and agreement the share of cited chunks both
  retrievers ranked high (lexical-only retrieval earns none), so a grounded answer lies in [0.4, 1.0];
- an answer from texts no longer in force: 0.2; no answer (no or weak evidence): 0.0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.curated import CuratedMatcher
from agents.offline.answer import GroundedAnswer, compose_answer
from minfu.domain import Hit, SearchFilters
from tools.agent_tools import ToolServices
from tools.store.common import require_text

RETRIEVED = 5
HISTORICAL_CONFIDENCE = 0.2
_FUNCTION_CHARS = frozenset("怎么什吗呢啥哪吧呀的了嘛是否有没可以请问能")
_AGREE = "dense+lexical agree"


@dataclass(frozen=True)
class Suggestion:
    answer: str
    citations: list[dict[str, Any]]
    sources: list[dict[str, str]]
    confidence: float
    grounded: bool
    reason: str  # curated | grounded | historical_only | weak_evidence | no_hits
    curated_id: int | None = None
    related: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": self.citations,
            "sources": self.sources,
            "confidence": self.confidence,
            "grounded": self.grounded,
            "reason": self.reason,
            "curated_id": self.curated_id,
            "related": self.related,
        }


def suggest(question: str, services: ToolServices, matcher: CuratedMatcher) -> Suggestion:
    """The answer staff could send for `question` (InvalidInputError when it is empty or too long)."""
    text = require_text(question, "question", "问题", max_len=2000)
    found = matcher.match(text)
    if found is not None:
        curated = found.answer
        sources = [source.to_json() for source in curated.sources]
        confidence = round(found.similarity / 100, 2)
        return Suggestion(curated.answer, curated.citations, sources, confidence, True, "curated", curated.id)
    hits = services.knowledge.retriever.retrieve(text, k=RETRIEVED, filters=SearchFilters(on=services.today()))
    return _composed(text, hits, compose_answer(text, hits))


def _composed(question: str, hits: Sequence[Hit], answer: GroundedAnswer) -> Suggestion:
    cited_ids = [citation.chunk_id for citation in answer.citations]
    cited = [hit for chunk_id in cited_ids for hit in hits if hit.chunk.id == chunk_id]
    sources = [{"chunk_id": hit.chunk.id, "content_hash": hit.chunk.content_hash} for hit in cited]
    citations = [citation.to_json() for citation in answer.citations]
    confidence = _confidence(question, answer, cited)
    return Suggestion(
        answer.text, citations, sources, confidence, answer.grounded, answer.reason, None, list(answer.related)
    )


def _confidence(question: str, answer: GroundedAnswer, cited: Sequence[Hit]) -> float:
    if answer.reason == "historical_only":
        return HISTORICAL_CONFIDENCE
    if not answer.grounded or not cited:
        return 0.0
    agreement = sum(1 for hit in cited if _AGREE in hit.why) / len(cited)
    return round(0.4 + 0.4 * _coverage(question, cited) + 0.2 * agreement, 2)


def _coverage(question: str, cited: Sequence[Hit]) -> float:
    wanted = _content_bigrams(question)
    if not wanted:
        return 0.0
    found: set[str] = set()
    for hit in cited:
        found |= _content_bigrams(" ".join((hit.document.title, *hit.chunk.section_path, hit.chunk.text)))
    return len(wanted & found) / len(wanted)


def _content_bigrams(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKC", text).lower()
    grams = {run[i : i + 2] for run in re.findall(r"\w+", folded) for i in range(len(run) - 1)}
    return {gram for gram in grams if not set(gram) & _FUNCTION_CHARS}
