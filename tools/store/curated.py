"""Curated answers: answers staff adopted (or corrected) for a question, served before the agent generates one.

Each answer keeps the chunks it rests on as {chunk_id, content_hash}. When the knowledge base changes one of them
(a chunk's id carries its content hash, so a changed text is a new chunk and the old id disappears) the answer is
stale: `stale_reason` says why, `CuratedAnswerStore.invalidate_stale` marks every such answer invalid after an
ingest, and the matcher (agents/curated.py) checks again before serving. An invalid answer is never served again;
it stays listed, with the reason, so staff can write a new one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, select

from minfu.domain import Chunk
from minfu.errors import InvalidInputError
from tools.store.common import Clock, as_utc, require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError
from tools.store.models import CuratedAnswerRow

MAX_QUESTION = 2000
MAX_ANSWER = 8000
MAX_CITATIONS = 20
NOT_FOUND = "未找到该标准答复"
SUPERSEDED = "已被同一问题的新标准答复取代"
SOURCE_GONE = "引用的知识库条文已删除或已修改"
SOURCE_CHANGED = "引用的知识库条文内容已变更"

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_OPENINGS = ("请问一下", "请问", "想问一下", "我想问一下", "我想问", "咨询一下", "您好", "你好")
_CLOSING_PARTICLES = re.compile(r"[吗呢呀啊吧哈嘛]+$")


class ChunkLookup(Protocol):
    """What invalidation needs of the knowledge catalog (knowledge.catalog.Catalog has it)."""

    def chunk(self, chunk_id: str) -> Chunk | None: ...


@dataclass(frozen=True)
class Source:
    chunk_id: str
    content_hash: str

    def to_json(self) -> dict[str, str]:
        return {"chunk_id": self.chunk_id, "content_hash": self.content_hash}


@dataclass(frozen=True)
class CuratedAnswer:
    id: int
    question: str
    answer: str
    citations: list[dict[str, Any]]
    sources: tuple[Source, ...]
    created_by: str
    created_at: datetime
    invalidated_at: datetime | None
    invalidated_reason: str | None

    @property
    def valid(self) -> bool:
        return self.invalidated_at is None


def normalized_question(text: str) -> str:
    """The question as compared: full-width folded, lower case, without blanks, punctuation, greetings and the
    closing particle (吗/呢…), so 「请问，试用期最长多久？」 and 「试用期最长多久」 are the same question."""
    folded = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text or "").lower())
    for opening in _OPENINGS:
        if folded.startswith(opening) and len(folded) > len(opening):
            folded = folded[len(opening) :]
            break
    return _CLOSING_PARTICLES.sub("", folded) or folded


def stale_reason(sources: Sequence[Source], catalog: ChunkLookup) -> str | None:
    """Why an answer resting on `sources` no longer holds (a chunk gone or changed), or None while all are current."""
    for source in sources:
        chunk = catalog.chunk(source.chunk_id)
        if chunk is None:
            return SOURCE_GONE
        if chunk.content_hash != source.content_hash:
            return SOURCE_CHANGED
    return None


class CuratedAnswerStore:
    """Add, list, invalidate and delete curated answers; every public method is one transaction."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def add(
        self,
        question: str,
        answer: str,
        citations: Sequence[dict[str, Any]],
        sources: Sequence[Source],
        created_by: str,
    ) -> CuratedAnswer:
        """A new valid answer; a valid answer to the same (normalised) question is invalidated as superseded."""
        row = CuratedAnswerRow(
            question=require_text(question, "question", "问题", max_len=MAX_QUESTION),
            answer=require_text(answer, "answer", "答复内容", max_len=MAX_ANSWER),
            citations=_checked_citations(citations),
            sources=[source.to_json() for source in sources],
            created_by=require_text(created_by, "created_by", "创建人", max_len=100),
            created_at=self._clock(),
        )
        key = normalized_question(row.question)
        with self._sessions.begin() as session:
            for earlier in session.scalars(_valid_rows().with_for_update()):
                if normalized_question(earlier.question) == key:
                    earlier.invalidated_at, earlier.invalidated_reason = row.created_at, SUPERSEDED
            session.add(row)
            session.flush()
            return _to_answer(row)

    def get(self, answer_id: int) -> CuratedAnswer:
        with self._sessions() as session:
            row = session.get(CuratedAnswerRow, answer_id)
            if row is None:
                raise NotFoundError(NOT_FOUND)
            return _to_answer(row)

    def list_answers(self, *, include_invalid: bool = True) -> list[CuratedAnswer]:
        """Newest first."""
        query = select(CuratedAnswerRow)
        if not include_invalid:
            query = query.where(CuratedAnswerRow.invalidated_at.is_(None))
        with self._sessions() as session:
            return [_to_answer(row) for row in session.scalars(query.order_by(CuratedAnswerRow.id.desc()))]

    def valid_questions(self) -> list[tuple[int, str]]:
        """(id, question) of every valid answer: what matching reads on every turn, without the answers' bodies."""
        query = select(CuratedAnswerRow.id, CuratedAnswerRow.question).where(CuratedAnswerRow.invalidated_at.is_(None))
        query = query.order_by(CuratedAnswerRow.id)
        with self._sessions() as session:
            return [(answer_id, question) for answer_id, question in session.execute(query)]

    def invalidate(self, answer_id: int, reason: str) -> CuratedAnswer:
        """Never serve this answer again; an answer already invalid keeps its first reason."""
        text = require_text(reason, "reason", "失效原因", max_len=200)
        with self._sessions.begin() as session:
            row = session.get(CuratedAnswerRow, answer_id, with_for_update=True)
            if row is None:
                raise NotFoundError(NOT_FOUND)
            if row.invalidated_at is None:
                row.invalidated_at, row.invalidated_reason = self._clock(), text
            return _to_answer(row)

    def invalidate_stale(self, catalog: ChunkLookup) -> list[CuratedAnswer]:
        """Invalidate every valid answer whose sources changed in `catalog` (run after an ingest); returns them."""
        invalidated = []
        with self._sessions.begin() as session:
            for row in session.scalars(_valid_rows().with_for_update()):
                reason = stale_reason(_sources(row.sources), catalog)
                if reason is not None:
                    row.invalidated_at, row.invalidated_reason = self._clock(), reason
                    invalidated.append(_to_answer(row))
        return invalidated

    def delete(self, answer_id: int) -> CuratedAnswer:
        """Remove the answer for good; returns what was removed (for the audit log)."""
        with self._sessions.begin() as session:
            row = session.get(CuratedAnswerRow, answer_id, with_for_update=True)
            if row is None:
                raise NotFoundError(NOT_FOUND)
            removed = _to_answer(row)
            session.delete(row)
            return removed


def _valid_rows() -> Select[CuratedAnswerRow]:
    return select(CuratedAnswerRow).where(CuratedAnswerRow.invalidated_at.is_(None))


def _checked_citations(citations: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(citations) > MAX_CITATIONS:
        raise InvalidInputError(f"引用不能超过 {MAX_CITATIONS} 条", field="citations")
    if not all(isinstance(item, dict) for item in citations):
        raise InvalidInputError("引用格式有误，应为对象列表", field="citations")
    return [dict(item) for item in citations]


def _sources(stored: Sequence[dict[str, str]]) -> tuple[Source, ...]:
    return tuple(Source(str(item["chunk_id"]), str(item["content_hash"])) for item in stored)


def _to_answer(row: CuratedAnswerRow) -> CuratedAnswer:
    return CuratedAnswer(
        id=row.id,
        question=row.question,
        answer=row.answer,
        citations=[dict(item) for item in row.citations],
        sources=_sources(row.sources),
        created_by=row.created_by,
        created_at=as_utc(row.created_at),
        invalidated_at=as_utc(row.invalidated_at) if row.invalidated_at else None,
        invalidated_reason=row.invalidated_reason,
    )
