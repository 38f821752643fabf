"""诉求 tickets: 收集 (submit) → 分派 (assign, with a due date) → 处置/反馈 (reply) → close; 评价 (rate 1–5, once).

The enterprise submits, reads and rates only its own tickets; staff assign, reply and close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, selectinload

from minfu.errors import InvalidInputError
from tools.store.common import LOCAL_TZ, Clock, as_utc, placeholder_number, record_number, require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.errors import IllegalTransitionError, NotFoundError
from tools.store.models import TicketReplyRow, TicketRow
from tools.store.uscc import normalize_uscc


class TicketState(StrEnum):
    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    REPLIED = "replied"
    CLOSED = "closed"


TICKET_LABELS = {
    TicketState.SUBMITTED: "已收集",
    TicketState.ASSIGNED: "已分派",
    TicketState.REPLIED: "已答复",
    TicketState.CLOSED: "已办结",
}
RATABLE = frozenset({TicketState.REPLIED, TicketState.CLOSED})


@dataclass(frozen=True)
class TicketReply:
    at: datetime
    staff_id: str
    text: str


@dataclass(frozen=True)
class Ticket:
    number: str
    enterprise_uscc: str
    category: str
    text: str
    suggested_department: str | None
    department: str | None
    due_date: date | None
    state: TicketState
    rating: int | None
    rating_comment: str | None
    created_at: datetime
    replies: tuple[TicketReply, ...]

    @property
    def state_label(self) -> str:
        return TICKET_LABELS[self.state]


class TicketStore:
    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def submit(self, enterprise_uscc: str, category: str, text: str, suggested_department: str | None = None) -> Ticket:
        """收集: a new ticket from the enterprise."""
        uscc = normalize_uscc(enterprise_uscc)
        row = TicketRow(
            number=placeholder_number(),
            enterprise_uscc=uscc,
            category=require_text(category, "category", "诉求类别", max_len=50),
            text=require_text(text, "text", "诉求内容", max_len=2000, min_len=5),
            suggested_department=_optional(suggested_department, "suggested_department", "建议部门"),
            state=TicketState.SUBMITTED.value,
            created_at=self._clock(),
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            row.number = record_number("SQ", row.created_at, row.id)
            session.flush()
            return _to_ticket(row)

    def get(self, ticket_number: str, enterprise_uscc: str) -> Ticket | None:
        uscc = normalize_uscc(enterprise_uscc)
        with self._sessions() as session:
            row = _load(session, TicketRow.number == ticket_number.strip(), TicketRow.enterprise_uscc == uscc)
            return None if row is None else _to_ticket(row)

    def list_for(self, enterprise_uscc: str) -> list[Ticket]:
        uscc = normalize_uscc(enterprise_uscc)
        with self._sessions() as session:
            query = select(TicketRow).where(TicketRow.enterprise_uscc == uscc).order_by(TicketRow.id.desc())
            rows = session.scalars(query.options(selectinload(TicketRow.replies))).all()
            return [_to_ticket(row) for row in rows]

    def assign(self, ticket_number: str, department: str, due_date: date, staff_id: str) -> Ticket:
        """分派: route to a department with a due date (today or later, Shanghai time)."""
        dept = require_text(department, "department", "承办部门", max_len=100)
        require_text(staff_id, "staff_id", "工作人员编号", max_len=64)
        if due_date < self._clock().astimezone(LOCAL_TZ).date():
            raise InvalidInputError("办理期限不能早于今天", field="due_date")
        with self._sessions.begin() as session:
            row = self._staff_row(session, ticket_number)
            _require_state(row, {TicketState.SUBMITTED, TicketState.ASSIGNED}, "分派")
            row.department, row.due_date = dept, due_date
            row.state, row.assigned_at = TicketState.ASSIGNED.value, self._clock()
            return _to_ticket(row)

    def reply(self, ticket_number: str, text: str, staff_id: str) -> Ticket:
        """处置/反馈: the department's answer to the enterprise."""
        body = require_text(text, "text", "答复内容", max_len=4000, min_len=2)
        staff = require_text(staff_id, "staff_id", "工作人员编号", max_len=64)
        with self._sessions.begin() as session:
            row = self._staff_row(session, ticket_number)
            _require_state(row, {TicketState.ASSIGNED, TicketState.REPLIED}, "答复")
            now = self._clock()
            row.replies.append(TicketReplyRow(at=now, staff_id=staff, text=body))
            row.state, row.replied_at = TicketState.REPLIED.value, now
            return _to_ticket(row)

    def close(self, ticket_number: str, staff_id: str) -> Ticket:
        require_text(staff_id, "staff_id", "工作人员编号", max_len=64)
        with self._sessions.begin() as session:
            row = self._staff_row(session, ticket_number)
            _require_state(row, {TicketState.REPLIED}, "办结")
            row.state, row.closed_at = TicketState.CLOSED.value, self._clock()
            return _to_ticket(row)

    def rate(self, ticket_number: str, enterprise_uscc: str, score: int, comment: str = "") -> Ticket:
        """评价: the owning enterprise rates 1–5 once, after a reply."""
        uscc = normalize_uscc(enterprise_uscc)
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidInputError("评分应为 1 到 5 的整数", field="score")
        note = comment.strip()
        if len(note) > 500:
            raise InvalidInputError("评价内容不能超过 500 个字", field="comment")
        with self._sessions.begin() as session:
            row = _load(session, TicketRow.number == ticket_number.strip(), TicketRow.enterprise_uscc == uscc)
            if row is None:
                raise NotFoundError(f"未找到诉求 {ticket_number}")
            _require_state(row, set(RATABLE), "评价")
            self._record_rating(session, row, score, note)
            return _to_ticket(row)

    def _record_rating(self, session: Session, row: TicketRow, score: int, comment: str) -> None:
        once = update(TicketRow).where(TicketRow.id == row.id, TicketRow.rating.is_(None))
        result = session.execute(once.values(rating=score, rating_comment=comment, rated_at=self._clock()))
        if cast(CursorResult[Any], result).rowcount != 1:
            raise IllegalTransitionError("该诉求已评价过，每件诉求只能评价一次")

    def _staff_row(self, session: Session, ticket_number: str) -> TicketRow:
        row = _load(session, TicketRow.number == ticket_number.strip())
        if row is None:
            raise NotFoundError(f"未找到诉求 {ticket_number}")
        return row


def _load(session: Session, *conditions: Any) -> TicketRow | None:
    query = select(TicketRow).where(*conditions).options(selectinload(TicketRow.replies))
    return session.scalars(query).one_or_none()


def _require_state(row: TicketRow, allowed: set[TicketState], action: str) -> None:
    current = TicketState(row.state)
    if current not in allowed:
        raise IllegalTransitionError(f"诉求当前为「{TICKET_LABELS[current]}」，不能{action}")


def _optional(value: str | None, field: str, label: str) -> str | None:
    if value is None or not value.strip():
        return None
    return require_text(value, field, label, max_len=100)


def _to_ticket(row: TicketRow) -> Ticket:
    return Ticket(
        number=row.number,
        enterprise_uscc=row.enterprise_uscc,
        category=row.category,
        text=row.text,
        suggested_department=row.suggested_department,
        department=row.department,
        due_date=row.due_date,
        state=TicketState(row.state),
        rating=row.rating,
        rating_comment=row.rating_comment,
        created_at=as_utc(row.created_at),
        replies=tuple(TicketReply(as_utc(r.at), r.staff_id, r.text) for r in row.replies),
    )
