"""Matters (办件): creation (idempotent, one transaction), the state workflow, materials and the event history.

States: draft → submitted (预审) → needs_supplement (补正) ⇄ submitted → accepted → processing → completed;
rejected is reachable from every open state after submission. The enterprise submits and supplements; staff
advance. Reads and enterprise actions are scoped to the owning enterprise: another's matter looks like no matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, Result, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from minfu.errors import InvalidInputError
from tools.store.common import Clock, Contact, as_utc, placeholder_number, record_number, require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.errors import IllegalTransitionError, NotFoundError
from tools.store.models import MaterialRow, MatterEventRow, MatterRow
from tools.store.uscc import normalize_uscc


class MatterState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    NEEDS_SUPPLEMENT = "needs_supplement"
    ACCEPTED = "accepted"
    PROCESSING = "processing"
    COMPLETED = "completed"
    REJECTED = "rejected"


STATE_LABELS: dict[MatterState, str] = {
    MatterState.DRAFT: "草稿",
    MatterState.SUBMITTED: "已提交（预审中）",
    MatterState.NEEDS_SUPPLEMENT: "待补正",
    MatterState.ACCEPTED: "已受理",
    MatterState.PROCESSING: "办理中",
    MatterState.COMPLETED: "已办结",
    MatterState.REJECTED: "不予受理",
}

TRANSITIONS: dict[MatterState, frozenset[MatterState]] = {
    MatterState.DRAFT: frozenset({MatterState.SUBMITTED}),
    MatterState.SUBMITTED: frozenset({MatterState.NEEDS_SUPPLEMENT, MatterState.ACCEPTED, MatterState.REJECTED}),
    MatterState.NEEDS_SUPPLEMENT: frozenset({MatterState.SUBMITTED, MatterState.REJECTED}),
    MatterState.ACCEPTED: frozenset({MatterState.PROCESSING, MatterState.REJECTED}),
    MatterState.PROCESSING: frozenset({MatterState.COMPLETED, MatterState.REJECTED}),
    MatterState.COMPLETED: frozenset(),
    MatterState.REJECTED: frozenset(),
}
STAFF_TARGETS = frozenset(TRANSITIONS) - {MatterState.DRAFT, MatterState.SUBMITTED}
SUPPLEMENTABLE = frozenset({MatterState.DRAFT, MatterState.NEEDS_SUPPLEMENT})


@dataclass(frozen=True)
class MaterialItem:
    name: str
    required: bool
    provided: bool
    provided_at: datetime | None


@dataclass(frozen=True)
class MatterEvent:
    at: datetime
    actor: str
    from_state: MatterState | None
    to_state: MatterState
    note: str


@dataclass(frozen=True)
class Matter:
    number: str
    enterprise_uscc: str
    matter_code: str
    matter_name: str
    state: MatterState
    contact: Contact
    created_at: datetime
    updated_at: datetime
    materials: tuple[MaterialItem, ...]
    events: tuple[MatterEvent, ...]

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def missing_materials(self) -> tuple[str, ...]:
        """Required materials not yet provided."""
        return tuple(item.name for item in self.materials if item.required and not item.provided)


class MatterStore:
    """Matters of enterprises; every public method is one transaction."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(
        self,
        enterprise_uscc: str,
        matter_code: str,
        matter_name: str,
        materials: Sequence[tuple[str, bool]],
        contact: Contact,
        idempotency_key: str,
    ) -> Matter:
        """A new draft matter, or the one already created under (enterprise, idempotency_key)."""
        uscc = normalize_uscc(enterprise_uscc)
        key = require_text(idempotency_key, "idempotency_key", "幂等键", max_len=100)
        fields = _MatterFields.validated(matter_code, matter_name, materials, contact)
        existing = self._by_key(uscc, key)
        if existing is not None:
            return existing
        try:
            with self._sessions.begin() as session:
                return _to_matter(self._insert(session, uscc, key, fields))
        except IntegrityError:
            existing = self._by_key(uscc, key)  # a concurrent request with the same key won the race
            if existing is None:
                raise
            return existing

    def get(self, matter_number: str, enterprise_uscc: str) -> Matter | None:
        """The enterprise's matter, or None when it does not exist or belongs to another enterprise."""
        uscc = normalize_uscc(enterprise_uscc)
        with self._sessions() as session:
            row = _load(session, MatterRow.number == matter_number.strip(), MatterRow.enterprise_uscc == uscc)
            return None if row is None else _to_matter(row)

    def get_for_staff(self, matter_number: str) -> Matter | None:
        """Any enterprise's matter: for staff and operator tools only."""
        with self._sessions() as session:
            row = _load(session, MatterRow.number == matter_number.strip())
            return None if row is None else _to_matter(row)

    def list_for(self, enterprise_uscc: str) -> list[Matter]:
        """The enterprise's matters, newest first."""
        uscc = normalize_uscc(enterprise_uscc)
        with self._sessions() as session:
            query = _with_children(select(MatterRow).where(MatterRow.enterprise_uscc == uscc))
            rows = session.scalars(query.order_by(MatterRow.id.desc())).all()
            return [_to_matter(row) for row in rows]

    def count(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(MatterRow)) or 0)

    def submit(self, matter_number: str, enterprise_uscc: str, note: str = "") -> Matter:
        """The enterprise submits its draft for 预审; all required materials must be provided."""
        uscc = normalize_uscc(enterprise_uscc)
        with self._sessions.begin() as session:
            row = self._owned(session, matter_number, uscc)
            _require_complete(row)
            self._transition(session, row, MatterState.SUBMITTED, f"enterprise:{uscc}", note or "企业提交办件")
            return _to_matter(row)

    def supplement(self, matter_number: str, enterprise_uscc: str, provided: Sequence[str], note: str = "") -> Matter:
        """Mark materials provided; a matter waiting for 补正 goes back to 预审 once nothing required is missing."""
        uscc = normalize_uscc(enterprise_uscc)
        with self._sessions.begin() as session:
            row = self._owned(session, matter_number, uscc)
            if MatterState(row.state) not in SUPPLEMENTABLE:
                raise IllegalTransitionError(f"办件当前状态为「{STATE_LABELS[MatterState(row.state)]}」，不能补充材料")
            _mark_provided(row, provided, self._clock())
            if row.state == MatterState.NEEDS_SUPPLEMENT and not _missing(row):
                self._transition(session, row, MatterState.SUBMITTED, f"enterprise:{uscc}", note or "企业已补正材料")
            return _to_matter(row)

    def advance(self, matter_number: str, to_state: MatterState | str, note: str, staff_id: str) -> Matter:
        """Staff move a matter along the workflow, with a note to the enterprise."""
        target = _parse_state(to_state)
        staff = require_text(staff_id, "staff_id", "工作人员编号", max_len=64)
        if target not in STAFF_TARGETS:
            raise IllegalTransitionError(f"工作人员不能将办件设为「{STATE_LABELS[target]}」")
        with self._sessions.begin() as session:
            row = _load(session, MatterRow.number == matter_number.strip())
            if row is None:
                raise NotFoundError(f"未找到办件 {matter_number}")
            self._transition(session, row, target, f"staff:{staff}", note.strip())
            return _to_matter(row)

    def _by_key(self, uscc: str, key: str) -> Matter | None:
        with self._sessions() as session:
            row = _load(session, MatterRow.enterprise_uscc == uscc, MatterRow.idempotency_key == key)
            return None if row is None else _to_matter(row)

    def _insert(self, session: Session, uscc: str, key: str, fields: _MatterFields) -> MatterRow:
        now = self._clock()
        row = MatterRow(
            number=placeholder_number(),
            enterprise_uscc=uscc,
            matter_code=fields.code,
            matter_name=fields.name,
            state=MatterState.DRAFT.value,
            contact_name=fields.contact.name,
            contact_phone=fields.contact.phone,
            idempotency_key=key,
            created_at=now,
            updated_at=now,
        )
        row.materials = [MaterialRow(position=i, name=n, required=r, provided=False) for i, (n, r) in fields.materials]
        row.events = [MatterEventRow(at=now, actor=f"enterprise:{uscc}", to_state=row.state, note="办件已创建")]
        session.add(row)
        session.flush()
        row.number = record_number("MH", now, row.id)
        session.flush()
        return row

    def _owned(self, session: Session, matter_number: str, uscc: str) -> MatterRow:
        row = _load(session, MatterRow.number == matter_number.strip(), MatterRow.enterprise_uscc == uscc)
        if row is None:
            raise NotFoundError(f"未找到办件 {matter_number}")
        return row

    def _transition(self, session: Session, row: MatterRow, target: MatterState, actor: str, note: str) -> None:
        current = MatterState(row.state)
        if target not in TRANSITIONS[current]:
            raise IllegalTransitionError(f"办件当前为「{STATE_LABELS[current]}」，不能变为「{STATE_LABELS[target]}」")
        now = self._clock()
        guarded = update(MatterRow).where(MatterRow.id == row.id, MatterRow.state == current.value)
        if _rowcount(session.execute(guarded.values(state=target.value, updated_at=now))) != 1:
            raise IllegalTransitionError("办件状态已被他人更新，请刷新后重试")
        event = MatterEventRow(at=now, actor=actor, from_state=current.value, to_state=target.value, note=note)
        row.events.append(event)
        session.flush()


@dataclass(frozen=True)
class _MatterFields:
    code: str
    name: str
    materials: tuple[tuple[int, tuple[str, bool]], ...]
    contact: Contact

    @classmethod
    def validated(cls, code: str, name: str, materials: Sequence[tuple[str, bool]], contact: Contact) -> _MatterFields:
        names = [require_text(item_name, "materials", "材料名称", max_len=200) for item_name, _ in materials]
        if len(set(names)) != len(names):
            raise InvalidInputError("材料清单中有重复的材料名称", field="materials")
        return cls(
            code=require_text(code, "matter_code", "事项编码", max_len=64),
            name=require_text(name, "matter_name", "事项名称", max_len=200),
            materials=tuple(enumerate(zip(names, (bool(req) for _, req in materials), strict=True))),
            contact=contact.validated(),
        )


def _with_children(query: Any) -> Any:
    return query.options(selectinload(MatterRow.materials), selectinload(MatterRow.events))


def _load(session: Session, *conditions: Any) -> MatterRow | None:
    return session.scalars(_with_children(select(MatterRow).where(*conditions))).one_or_none()


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def _parse_state(value: MatterState | str) -> MatterState:
    try:
        return MatterState(value)
    except ValueError:
        raise InvalidInputError(f"未知的办件状态：{value}", field="to_state") from None


def _missing(row: MatterRow) -> list[str]:
    return [item.name for item in row.materials if item.required and not item.provided]


def _require_complete(row: MatterRow) -> None:
    missing = _missing(row)
    if missing:
        raise InvalidInputError(f"还缺少必需材料：{'、'.join(missing)}，请补充后再提交", field="materials")


def _mark_provided(row: MatterRow, provided: Sequence[str], now: datetime) -> None:
    by_name = {item.name: item for item in row.materials}
    unknown = [name for name in provided if name.strip() not in by_name]
    if unknown or not provided:
        detail = f"不在材料清单中：{'、'.join(unknown)}" if unknown else "请至少提供一项材料"
        raise InvalidInputError(detail, field="provided")
    for name in provided:
        item = by_name[name.strip()]
        if not item.provided:
            item.provided, item.provided_at = True, now


def _to_matter(row: MatterRow) -> Matter:
    return Matter(
        number=row.number,
        enterprise_uscc=row.enterprise_uscc,
        matter_code=row.matter_code,
        matter_name=row.matter_name,
        state=MatterState(row.state),
        contact=Contact(name=row.contact_name, phone=row.contact_phone),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        materials=tuple(_to_material(item) for item in row.materials),
        events=tuple(_to_event(event) for event in row.events),
    )


def _to_material(item: MaterialRow) -> MaterialItem:
    provided_at = None if item.provided_at is None else as_utc(item.provided_at)
    return MaterialItem(name=item.name, required=item.required, provided=item.provided, provided_at=provided_at)


def _to_event(event: MatterEventRow) -> MatterEvent:
    from_state = None if event.from_state is None else MatterState(event.from_state)
    return MatterEvent(as_utc(event.at), event.actor, from_state, MatterState(event.to_state), event.note)
