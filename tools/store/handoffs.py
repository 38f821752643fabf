"""The handoff queue: conversations handed over to a person (转人工), waiting -> claimed -> closed.

A conversation has at most one open (waiting or claimed) handoff: handing over again while one is open keeps the
first. A claimed handoff belongs to the staff key that claimed it (named by its key prefix); another key that tries
to claim, reply to or close it gets a `HandoffConflictError` (HTTP 409). The reason is stored masked (tools.masking):
the queue is read by many people, the transcript holds what the user actually wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from minfu.errors import InvalidInputError, MinfuError
from tools.masking import mask_pii
from tools.store.common import Clock, as_utc, utc_now
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError
from tools.store.models import ConversationRow, HandoffRow

HandoffStatus = Literal["waiting", "claimed", "closed"]
STATUSES: tuple[HandoffStatus, ...] = ("waiting", "claimed", "closed")
OPEN: tuple[HandoffStatus, ...] = ("waiting", "claimed")
MAX_REASON = 1000
MAX_LISTED = 200
NOT_FOUND = "未找到该转人工记录"


class HandoffConflictError(MinfuError):
    """The handoff is someone else's or already closed; nothing was written."""

    code = "handoff_conflict"


@dataclass(frozen=True)
class Handoff:
    id: int
    conversation_id: str
    site_key: str
    enterprise_uscc: str | None
    reason: str
    status: HandoffStatus
    claimed_by: str | None
    created_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None


class HandoffStore:
    """Queue, list, claim and close handoffs; every public method is one transaction."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def enqueue(self, conversation_id: str, reason: str) -> tuple[Handoff, bool]:
        """Queue `conversation_id` (its site and enterprise read from the conversation); returns the handoff and
        whether it is new (False: the conversation was already in the queue, and stays where it was)."""
        with self._sessions.begin() as session:
            conversation = session.get(ConversationRow, conversation_id)
            if conversation is None:
                raise NotFoundError("未找到该会话")
            open_row = _open_row(session, conversation_id)
            if open_row is not None:
                return _to_handoff(open_row), False
            row = HandoffRow(
                conversation_id=conversation_id, site_key=conversation.site_key,
                enterprise_uscc=conversation.enterprise_uscc, reason=_masked_reason(reason), status="waiting",
                created_at=self._clock(),
            )  # fmt: skip
            session.add(row)
            session.flush()
            return _to_handoff(row), True

    def get(self, handoff_id: int) -> Handoff:
        with self._sessions() as session:
            return _to_handoff(_row(session, handoff_id))

    def open_for(self, conversation_id: str) -> Handoff | None:
        """The conversation's waiting or claimed handoff, if any."""
        with self._sessions() as session:
            row = _open_row(session, conversation_id)
            return _to_handoff(row) if row else None

    def list_handoffs(self, status: str | None = None, *, limit: int = 50) -> list[Handoff]:
        """Handoffs oldest first (the queue's order), optionally of one status."""
        if not 1 <= limit <= MAX_LISTED:
            raise InvalidInputError(f"每次最多列出 {MAX_LISTED} 条转人工记录", field="limit")
        query = select(HandoffRow).order_by(HandoffRow.id).limit(limit)
        if status is not None:
            query = query.where(HandoffRow.status == _status(status))
        with self._sessions() as session:
            return [_to_handoff(row) for row in session.scalars(query)]

    def claim(self, handoff_id: int, staff: str) -> Handoff:
        """Claim for `staff` (a key prefix); claiming one's own claim again changes nothing."""
        with self._sessions.begin() as session:
            row = _row(session, handoff_id, for_update=True)
            _check_open(row)
            if row.status == "claimed" and row.claimed_by != staff:
                raise HandoffConflictError(f"该会话已由工作人员 {row.claimed_by} 接手")
            if row.status == "waiting":
                row.status, row.claimed_by, row.claimed_at = "claimed", staff, self._clock()
            return _to_handoff(row)

    def close(self, handoff_id: int, staff: str, *, override: bool = False) -> Handoff:
        """Close a waiting handoff or one's own claim; `override` (administrators) closes anyone's."""
        with self._sessions.begin() as session:
            row = _row(session, handoff_id, for_update=True)
            _check_open(row)
            if row.status == "claimed" and row.claimed_by != staff and not override:
                raise HandoffConflictError(f"该会话由工作人员 {row.claimed_by} 接手，只有接手人可以关闭")
            row.status, row.closed_at = "closed", self._clock()
            return _to_handoff(row)


def _row(session: Session, handoff_id: int, *, for_update: bool = False) -> HandoffRow:
    query = select(HandoffRow).where(HandoffRow.id == handoff_id)
    row = session.scalars(query.with_for_update() if for_update else query).first()
    if row is None:
        raise NotFoundError(NOT_FOUND)
    return row


def _open_row(session: Session, conversation_id: str) -> HandoffRow | None:
    query = select(HandoffRow).where(HandoffRow.conversation_id == conversation_id, HandoffRow.status.in_(OPEN))
    return session.scalars(query.order_by(HandoffRow.id.desc()).with_for_update()).first()


def _check_open(row: HandoffRow) -> None:
    if row.status == "closed":
        raise HandoffConflictError("该转人工会话已关闭")


def _status(status: str) -> HandoffStatus:
    for known in STATUSES:
        if status == known:
            return known
    raise InvalidInputError("状态应为 waiting（等待接手）、claimed（已接手）或 closed（已关闭）", field="status")


def _masked_reason(reason: str) -> str:
    text = mask_pii((reason or "").strip()) or "用户请求人工服务"
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


def _to_handoff(row: HandoffRow) -> Handoff:
    return Handoff(
        id=row.id,
        conversation_id=row.conversation_id,
        site_key=row.site_key,
        enterprise_uscc=row.enterprise_uscc,
        reason=row.reason,
        status=_status(row.status),
        claimed_by=row.claimed_by,
        created_at=as_utc(row.created_at),
        claimed_at=as_utc(row.claimed_at) if row.claimed_at else None,
        closed_at=as_utc(row.closed_at) if row.closed_at else None,
    )
