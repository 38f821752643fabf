"""Appointments (预约): places, service windows, time slots with a capacity, bookings.

A slot never holds more bookings than its capacity, also under concurrent requests: booking increments the slot's
`booked` counter with a conditional UPDATE (`booked < capacity`) in the same transaction as the booking row, and a
CHECK constraint (`booked <= capacity`) backs it in the schema. This is correct on SQLite and PostgreSQL alike.

The `ensure_*` methods create a place, window or slot only when it is missing (INSERT … ON CONFLICT DO NOTHING on
the unique name, window and slot keys), so publishing the schedule twice, or from two processes at once, creates
each record once. Times are stored in UTC: SQLite keeps a datetime's wall-clock digits and drops its zone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, Result, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from minfu.errors import InvalidInputError
from tools.store.common import Clock, Contact, as_utc, placeholder_number, record_number, require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.errors import IllegalTransitionError, NotFoundError, SlotFullError
from tools.store.models import BookingRow, PlaceRow, SlotRow, WindowRow
from tools.store.uscc import normalize_uscc

BOOKED = "booked"
CANCELLED = "cancelled"

SlotTimes = tuple[datetime, datetime]


class WindowKey(NamedTuple):
    """What identifies a window row: the place's name, the service and the window's label."""

    place: str
    service_name: str
    label: str


@dataclass(frozen=True)
class Slot:
    id: int
    place: str
    window: str
    service_name: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booked: int

    @property
    def remaining(self) -> int:
        return self.capacity - self.booked


@dataclass(frozen=True)
class Booking:
    number: str
    enterprise_uscc: str
    slot: Slot
    contact: Contact
    status: str
    created_at: datetime


class AppointmentStore:
    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def add_place(self, name: str, address: str) -> int:
        row = PlaceRow(
            name=require_text(name, "name", "办事地点名称", max_len=200),
            address=require_text(address, "address", "地址", max_len=300),
        )
        return self._insert(row)

    def add_window(self, place_id: int, service_name: str, label: str) -> int:
        row = WindowRow(
            place_id=place_id,
            service_name=require_text(service_name, "service_name", "服务名称", max_len=200),
            label=require_text(label, "label", "窗口名称", max_len=50),
        )
        return self._insert(row)

    def add_slot(self, window_id: int, starts_at: datetime, ends_at: datetime, capacity: int) -> int:
        row = _slot_row(window_id, (starts_at, ends_at), _checked_capacity(capacity))
        return self._insert(SlotRow(**row))

    def now(self) -> datetime:
        """The store's clock (UTC): slots that start before it are never bookable."""
        return self._clock()

    def window_ids(self) -> dict[WindowKey, int]:
        """Every window row by its key, in one query."""
        query = select(PlaceRow.name, WindowRow.service_name, WindowRow.label, WindowRow.id).join(WindowRow.place)
        with self._sessions() as session:
            return {WindowKey(place, service, label): id_ for place, service, label, id_ in session.execute(query)}

    def slot_starts(self, window_ids: Collection[int], since: datetime, until: datetime) -> dict[int, set[datetime]]:
        """Start times (UTC) of these windows' slots starting in [since, until], in one query."""
        if not window_ids:
            return {}
        query = select(SlotRow.window_id, SlotRow.starts_at).where(
            SlotRow.window_id.in_(window_ids), SlotRow.starts_at >= _utc(since), SlotRow.starts_at <= _utc(until)
        )
        starts: dict[int, set[datetime]] = {}
        with self._sessions() as session:
            for window_id, starts_at in session.execute(query):
                starts.setdefault(window_id, set()).add(as_utc(starts_at))
        return starts

    def ensure_place(self, name: str, address: str) -> int:
        """The id of the place called `name`, created with `address` when missing (an existing address is kept)."""
        row = {
            "name": require_text(name, "name", "办事地点名称", max_len=200),
            "address": require_text(address, "address", "地址", max_len=300),
        }
        with self._sessions.begin() as session:
            _insert_missing(session, PlaceRow, [row], ("name",))
            return session.scalars(select(PlaceRow.id).where(PlaceRow.name == row["name"])).one()

    def ensure_window(self, place_id: int, service_name: str, label: str) -> int:
        """The id of the place's window `label` for `service_name`, created when missing."""
        row = {
            "place_id": place_id,
            "service_name": require_text(service_name, "service_name", "服务名称", max_len=200),
            "label": require_text(label, "label", "窗口名称", max_len=50),
        }
        with self._sessions.begin() as session:
            _insert_missing(session, WindowRow, [row], ("place_id", "service_name", "label"))
            same = (WindowRow.place_id == place_id, WindowRow.service_name == row["service_name"])
            return session.scalars(select(WindowRow.id).where(*same, WindowRow.label == row["label"])).one()

    def ensure_slots(self, window_id: int, times: Iterable[SlotTimes], capacity: int) -> int:
        """Create the window's slots that do not exist yet (by start time); returns how many were created."""
        rows = [_slot_row(window_id, pair, _checked_capacity(capacity)) for pair in times]
        with self._sessions.begin() as session:
            return _insert_missing(session, SlotRow, rows, ("window_id", "starts_at"))

    def open_slots(self, service_name: str | None = None) -> list[Slot]:
        """Future slots with places left, earliest first, optionally for one service."""
        query = _slot_query().where(SlotRow.starts_at > self._clock(), SlotRow.booked < SlotRow.capacity)
        if service_name:
            query = query.where(WindowRow.service_name == service_name.strip())
        with self._sessions() as session:
            return [_to_slot(row) for row in session.scalars(query.order_by(SlotRow.starts_at, SlotRow.id))]

    def book(self, slot_id: int, enterprise_uscc: str, contact: Contact) -> Booking:
        """Book one place in a future slot, or SlotFullError when none is left."""
        uscc = normalize_uscc(enterprise_uscc)
        person = contact.validated()
        with self._sessions.begin() as session:
            slot = session.scalars(_slot_query().where(SlotRow.id == slot_id)).one_or_none()
            if slot is None:
                raise NotFoundError(f"未找到预约时段 {slot_id}")
            if as_utc(slot.starts_at) <= self._clock():
                raise InvalidInputError("该时段已开始或已过去，请选择其他时段", field="slot_id")
            _take_place(session, slot_id)
            session.refresh(slot)
            return _to_booking(self._add_booking(session, slot, uscc, person))

    def cancel(self, booking_number: str, enterprise_uscc: str) -> Booking:
        """The owning enterprise cancels its booking; the place goes back to the slot."""
        uscc = normalize_uscc(enterprise_uscc)
        with self._sessions.begin() as session:
            row = _owned_booking(session, booking_number, uscc)
            if row is None:
                raise NotFoundError(f"未找到预约 {booking_number}")
            once = update(BookingRow).where(BookingRow.id == row.id, BookingRow.status == BOOKED)
            if _rowcount(session.execute(once.values(status=CANCELLED, cancelled_at=self._clock()))) != 1:
                raise IllegalTransitionError("该预约已取消")
            _release_place(session, row.slot_id)
            session.refresh(row.slot)
            return _to_booking(row)

    def get(self, booking_number: str, enterprise_uscc: str) -> Booking | None:
        uscc = normalize_uscc(enterprise_uscc)
        with self._sessions() as session:
            row = _owned_booking(session, booking_number, uscc)
            return None if row is None else _to_booking(row)

    def list_for(self, enterprise_uscc: str) -> list[Booking]:
        uscc = normalize_uscc(enterprise_uscc)
        with self._sessions() as session:
            query = _booking_query().where(BookingRow.enterprise_uscc == uscc).order_by(BookingRow.id.desc())
            return [_to_booking(row) for row in session.scalars(query)]

    def _insert(self, row: PlaceRow | WindowRow | SlotRow) -> int:
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return row.id

    def _add_booking(self, session: Session, slot: SlotRow, uscc: str, person: Contact) -> BookingRow:
        now = self._clock()
        row = BookingRow(
            number=placeholder_number(),
            slot=slot,
            enterprise_uscc=uscc,
            contact_name=person.name,
            contact_phone=person.phone,
            status=BOOKED,
            created_at=now,
        )
        session.add(row)
        session.flush()
        row.number = record_number("YY", now, row.id)
        session.flush()
        return row


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InvalidInputError("时间须带时区", field="starts_at")
    return value.astimezone(UTC)


def _checked_capacity(capacity: int) -> int:
    if capacity < 1:
        raise InvalidInputError("时段可预约人数至少为 1", field="capacity")
    return capacity


def _slot_row(window_id: int, times: SlotTimes, capacity: int) -> dict[str, Any]:
    starts_at, ends_at = times
    if starts_at.tzinfo is None or ends_at.tzinfo is None or ends_at <= starts_at:
        raise InvalidInputError("时段须带时区，且结束时间晚于开始时间", field="starts_at")
    return {"window_id": window_id, "starts_at": _utc(starts_at), "ends_at": _utc(ends_at), "capacity": capacity}


def _insert_missing(
    session: Session, model: type[PlaceRow | WindowRow | SlotRow], rows: Sequence[dict[str, Any]], keys: Sequence[str]
) -> int:
    """INSERT the rows whose unique `keys` are not taken yet (concurrent inserters wait, then skip); count inserted.

    Executed as one "insertmanyvalues" batch: SQLAlchemy pages the rows under each database's parameter limit.
    """
    if not rows:
        return 0
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).on_conflict_do_nothing(index_elements=list(keys)).returning(model.id)
    return len(session.scalars(statement, list(rows)).all())


def _take_place(session: Session, slot_id: int) -> None:
    take = update(SlotRow).where(SlotRow.id == slot_id, SlotRow.booked < SlotRow.capacity)
    result = session.execute(take.values(booked=SlotRow.booked + 1).execution_options(synchronize_session=False))
    if _rowcount(result) != 1:
        raise SlotFullError("该时段已约满，请选择其他时段")


def _release_place(session: Session, slot_id: int) -> None:
    release = update(SlotRow).where(SlotRow.id == slot_id, SlotRow.booked > 0)
    session.execute(release.values(booked=SlotRow.booked - 1).execution_options(synchronize_session=False))


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


def _slot_query() -> Any:
    return select(SlotRow).join(SlotRow.window).options(joinedload(SlotRow.window).joinedload(WindowRow.place))


def _booking_query() -> Any:
    slot = joinedload(BookingRow.slot).joinedload(SlotRow.window).joinedload(WindowRow.place)
    return select(BookingRow).options(slot)


def _owned_booking(session: Session, booking_number: str, uscc: str) -> BookingRow | None:
    mine = (BookingRow.number == booking_number.strip(), BookingRow.enterprise_uscc == uscc)
    row: BookingRow | None = session.scalars(_booking_query().where(*mine)).one_or_none()
    return row


def _to_slot(row: SlotRow) -> Slot:
    return Slot(
        id=row.id,
        place=row.window.place.name,
        window=row.window.label,
        service_name=row.window.service_name,
        starts_at=as_utc(row.starts_at),
        ends_at=as_utc(row.ends_at),
        capacity=row.capacity,
        booked=row.booked,
    )


def _to_booking(row: BookingRow) -> Booking:
    return Booking(
        number=row.number,
        enterprise_uscc=row.enterprise_uscc,
        slot=_to_slot(row.slot),
        contact=Contact(row.contact_name, row.contact_phone),
        status=row.status,
        created_at=as_utc(row.created_at),
    )
