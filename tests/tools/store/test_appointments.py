from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from minfu.errors import InvalidInputError, MinfuError
from tools.store.appointments import AppointmentStore, Booking, WindowKey
from tools.store.common import LOCAL_TZ
from tools.store.db import SessionFactory
from tools.store.errors import IllegalTransitionError, NotFoundError, SlotFullError
from tools.store.models import BookingRow

from .conftest import CONTACT, A, B, make_uscc

SOON = datetime.now(UTC) + timedelta(days=1)


@pytest.fixture
def store(sessions: SessionFactory) -> AppointmentStore:
    return AppointmentStore(sessions)


def _slot(store: AppointmentStore, capacity: int = 5, starts_at: datetime = SOON) -> int:
    place = store.add_place(f"闵行区行政服务中心{starts_at:%H%M%S%f}{capacity}", "沪闵路 6258 号")
    window = store.add_window(place, "企业开办", "A12")
    return store.add_slot(window, starts_at, starts_at + timedelta(minutes=30), capacity)


def test_twenty_concurrent_bookings_for_five_places(store: AppointmentStore, sessions: SessionFactory) -> None:
    slot_id = _slot(store, capacity=5)

    def attempt(n: int) -> Booking | MinfuError:
        try:
            return store.book(slot_id, make_uscc(100 + n), CONTACT)
        except SlotFullError as error:
            return error

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert sum(isinstance(r, Booking) for r in results) == 5
    assert sum(isinstance(r, SlotFullError) for r in results) == 15
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(BookingRow)) == 5
    assert store.open_slots("企业开办") == []


def test_book_and_cancel_returns_the_place(store: AppointmentStore) -> None:
    slot_id = _slot(store, capacity=1)
    booking = store.book(slot_id, A, CONTACT)
    assert booking.number.startswith("YY") and booking.slot.booked == 1 and booking.slot.place.startswith("闵行区")
    with pytest.raises(SlotFullError, match="约满"):
        store.book(slot_id, B, CONTACT)
    cancelled = store.cancel(booking.number, A)
    assert cancelled.status == "cancelled" and cancelled.slot.booked == 0
    with pytest.raises(IllegalTransitionError, match="已取消"):
        store.cancel(booking.number, A)
    assert store.book(slot_id, B, CONTACT).slot.booked == 1


def test_an_enterprise_cannot_see_or_cancel_another_enterprises_booking(store: AppointmentStore) -> None:
    booking = store.book(_slot(store), A, CONTACT)
    assert store.get(booking.number, B) is None
    assert store.list_for(B) == []
    with pytest.raises(NotFoundError):
        store.cancel(booking.number, B)
    mine = store.get(booking.number, A)
    assert mine is not None and mine.status == "booked"


def test_invalid_bookings_are_refused(store: AppointmentStore) -> None:
    past = _slot(store, starts_at=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(InvalidInputError, match="已开始或已过去"):
        store.book(past, A, CONTACT)
    with pytest.raises(NotFoundError):
        store.book(999_999, A, CONTACT)
    with pytest.raises(InvalidInputError):
        store.book(_slot(store), "123", CONTACT)
    with pytest.raises(InvalidInputError):
        _slot(store, capacity=0)


def test_open_slots_lists_future_slots_with_places(store: AppointmentStore) -> None:
    later = _slot(store, starts_at=SOON + timedelta(hours=2))
    sooner = _slot(store, capacity=1)
    store.book(sooner, A, CONTACT)
    assert [s.id for s in store.open_slots("企业开办")] == [later]
    assert store.open_slots("不存在的服务") == []


def test_slot_times_keep_their_instant_whatever_the_zone(store: AppointmentStore) -> None:
    """SQLite drops the zone of a stored datetime: a Shanghai 09:00 must come back as 01:00 UTC, not 09:00 UTC."""
    nine = datetime.combine(SOON.date(), datetime.min.time(), LOCAL_TZ) + timedelta(days=1, hours=9)
    _slot(store, starts_at=nine)
    listed = store.open_slots("企业开办")[0]
    assert listed.starts_at == nine and listed.starts_at.astimezone(LOCAL_TZ).hour == 9


def test_ensure_creates_places_windows_and_slots_only_once(store: AppointmentStore) -> None:
    place = store.ensure_place("莘庄镇社区事务受理服务中心", "莘庄镇（样例地址）")
    assert store.ensure_place("莘庄镇社区事务受理服务中心", "另一个地址") == place
    window = store.ensure_window(place, "食品经营许可", "3号")
    assert store.ensure_window(place, "食品经营许可", "3号") == window
    assert store.ensure_window(place, "个体工商户设立登记", "3号") != window
    times = [(SOON + timedelta(hours=h), SOON + timedelta(hours=h, minutes=30)) for h in range(3)]
    assert store.ensure_slots(window, times[:2], 2) == 2
    assert store.ensure_slots(window, times, 2) == 1
    assert store.window_ids()[WindowKey("莘庄镇社区事务受理服务中心", "食品经营许可", "3号")] == window
    starts = store.slot_starts([window], SOON, SOON + timedelta(hours=1))
    assert starts == {window: {SOON, SOON + timedelta(hours=1)}}
    with pytest.raises(InvalidInputError):
        store.ensure_slots(window, [(SOON, SOON)], 2)
