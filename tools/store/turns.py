"""A row per chat turn, and the staff console's figures for one day: questions, unanswered, handoffs, thumbs.

A day is a calendar day in Shanghai (LOCAL_TZ): the console's "today" is the staff's today, not UTC's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from minfu.errors import InvalidInputError
from tools.store.common import LOCAL_TZ, Clock, as_utc, utc_now
from tools.store.db import SessionFactory
from tools.store.models import ChatTurnRow, FeedbackRow, HandoffRow

MAX_BRAIN = 32


@dataclass(frozen=True)
class DayFigures:
    day: date
    questions: int
    unanswered: int
    curated: int
    handoffs: int
    thumbs_up: int
    thumbs_down: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"day": self.day.isoformat()}


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Shanghai calendar day, in UTC."""
    start = datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
    return as_utc(start), as_utc(start + timedelta(days=1))


class TurnLog:
    """Records turns and counts one day's figures; every public method is one transaction."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(self, conversation_id: str, *, answered: bool, brain: str) -> None:
        """One turn of `conversation_id` (which must exist): answered or not, and which brain gave the answer."""
        if not brain or len(brain) > MAX_BRAIN:
            raise InvalidInputError(f"brain 应为 1 到 {MAX_BRAIN} 个字符", field="brain")
        with self._sessions.begin() as session:
            row = ChatTurnRow(conversation_id=conversation_id, at=self._clock(), answered=answered, brain=brain)
            session.add(row)

    def today(self) -> date:
        return self._clock().astimezone(LOCAL_TZ).date()

    def figures(self, day: date) -> DayFigures:
        start, end = day_bounds(day)
        turns = (ChatTurnRow.at >= start, ChatTurnRow.at < end)
        with self._sessions() as session:
            questions = _count(session, ChatTurnRow.id, *turns)
            unanswered = _count(session, ChatTurnRow.id, *turns, ChatTurnRow.answered.is_(False))
            curated = _count(session, ChatTurnRow.id, *turns, ChatTurnRow.brain == "curated")
            handoffs = _count(session, HandoffRow.id, HandoffRow.created_at >= start, HandoffRow.created_at < end)
            query = select(FeedbackRow.rating).where(FeedbackRow.at >= start, FeedbackRow.at < end)
            ratings = list(session.scalars(query))
        up, down = ratings.count("up"), ratings.count("down")
        return DayFigures(day, questions, unanswered, curated, handoffs, thumbs_up=up, thumbs_down=down)


def _count(session: Session, column: InstrumentedAttribute[int], *conditions: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count(column)).where(*conditions)) or 0)
