"""Conversations: which site a conversation started on and which enterprise it belongs to; feedback on answers.

The messages themselves live in the agent's checkpointer; this table answers "may this caller see or continue
conversation X?". An anonymous conversation is claimed by the first enterprise that signs in within it; after that
only that enterprise (on the same site) may continue or read it, and anyone else gets "not found", never a hint
that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from minfu.errors import InvalidInputError
from tools.store.common import Clock, require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError
from tools.store.models import ConversationRow, FeedbackRow

Rating = Literal["up", "down"]
NOT_FOUND = "未找到该会话"


@dataclass(frozen=True)
class Conversation:
    id: str
    site_key: str
    enterprise_uscc: str | None
    created_at: datetime
    updated_at: datetime
    turns: int


class ConversationStore:
    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def open(self, conversation_id: str, site_key: str, enterprise_uscc: str | None) -> Conversation:
        """The conversation for this caller, created when new; NotFoundError when it belongs to someone else."""
        try:
            return self._open(conversation_id, site_key, enterprise_uscc)
        except IntegrityError:  # created by a concurrent first message: read it again
            return self._open(conversation_id, site_key, enterprise_uscc)

    def get(self, conversation_id: str, site_key: str, enterprise_uscc: str | None) -> Conversation:
        """The conversation if this caller may read it, else NotFoundError."""
        with self._sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None or not _allowed(row, site_key, enterprise_uscc):
                raise NotFoundError(NOT_FOUND)
            return _to_conversation(row)

    def count_turn(self, conversation_id: str) -> None:
        with self._sessions.begin() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is not None:
                row.turns += 1
                row.updated_at = self._clock()

    def add_feedback(self, conversation_id: str, message_index: int, rating: Rating, reason: str | None) -> int:
        if rating not in ("up", "down"):
            raise InvalidInputError("评价只能是 up 或 down", field="rating")
        if message_index < 0:
            raise InvalidInputError("消息序号不能为负", field="message_index")
        text = require_text(reason, "reason", "原因", max_len=500) if reason and reason.strip() else None
        with self._sessions.begin() as session:
            row = FeedbackRow(
                conversation_id=conversation_id, message_index=message_index, rating=rating, reason=text,
                at=self._clock(),
            )  # fmt: skip
            session.add(row)
            session.flush()
            return row.id

    def feedback_counts(self, since: datetime) -> dict[str, int]:
        with self._sessions() as session:
            ratings = session.scalars(select(FeedbackRow.rating).where(FeedbackRow.at >= since)).all()
        return {"up": ratings.count("up"), "down": ratings.count("down")}

    def _open(self, conversation_id: str, site_key: str, enterprise_uscc: str | None) -> Conversation:
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                row = ConversationRow(
                    id=conversation_id, site_key=site_key, enterprise_uscc=enterprise_uscc, created_at=now,
                    updated_at=now, turns=0,
                )  # fmt: skip
                session.add(row)
                session.flush()
            elif not _allowed(row, site_key, enterprise_uscc):
                raise NotFoundError(NOT_FOUND)
            elif row.enterprise_uscc is None and enterprise_uscc is not None:
                row.enterprise_uscc = enterprise_uscc  # signed in during the conversation: it is theirs now
            return _to_conversation(row)


def _allowed(row: ConversationRow, site_key: str, enterprise_uscc: str | None) -> bool:
    if row.site_key != site_key:
        return False
    return row.enterprise_uscc is None or row.enterprise_uscc == enterprise_uscc


def _to_conversation(row: ConversationRow) -> Conversation:
    return Conversation(row.id, row.site_key, row.enterprise_uscc, row.created_at, row.updated_at, row.turns)
