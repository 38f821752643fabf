import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, func, select

from minfu.errors import ConfigurationError
from tools.dictionary import load_bundled
from tools.store.appointments import AppointmentStore
from tools.store.common import LOCAL_TZ
from tools.store.db import SessionFactory
from tools.store.models import PlaceRow, SlotRow, WindowRow
from tools.store.schedule import Schedule, ScheduleError, load_schedule, publish_schedule

MONDAY = date(2030, 1, 7)
FRIDAY = date(2030, 1, 11)
BEFORE_MONDAY = datetime(2030, 1, 6, 12, tzinfo=UTC)

SCHEDULE = """
hours: ["09:00-12:00", "13:30-17:00"]
slot_minutes: 60
capacity: 2
places:
  - name: 测试服务中心
    address: 测试路1号
    sample: true
    sample_note: 测试数据
    windows:
      - label: A01
        services: [食品经营许可, 公共场所卫生许可]
      - label: A02
        services: [企业开办]
        slot_minutes: 30
        capacity: 3
"""
# A01, 60 min: 09-10, 10-11, 11-12 and 13:30, 14:30, 15:30 (16:30 would run past 17:00) = 6, for each of 2 services.
# A02, 30 min: 6 in the morning and 7 from 13:30 to 17:00 = 13.
PER_DAY = 2 * (3 + 3) + (6 + 7)


def _schedule(tmp_path: Path, extra: str = "") -> Schedule:
    path = tmp_path / "schedule.yaml"
    path.write_text(extra + SCHEDULE, encoding="utf-8")
    return load_schedule(path)


def _store(sessions: SessionFactory, now: datetime = BEFORE_MONDAY) -> AppointmentStore:
    return AppointmentStore(sessions, clock=lambda: now)


def _slot_days(sessions: SessionFactory) -> list[date]:
    with sessions() as session:
        starts = session.scalars(select(SlotRow.starts_at)).all()
    return sorted({_local(start).date() for start in starts})


def _local(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC).astimezone(LOCAL_TZ) if value.tzinfo is None else value.astimezone(LOCAL_TZ)


def _count(sessions: SessionFactory, row: type[SlotRow | WindowRow | PlaceRow]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(row)) or 0


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith(("BEGIN", "PRAGMA")):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_week_from_monday_is_published_once(tmp_path: Path, sessions: SessionFactory) -> None:
    store = _store(sessions)
    assert publish_schedule(store, _schedule(tmp_path), today=MONDAY, days=5) == 5 * PER_DAY
    assert _slot_days(sessions) == [MONDAY + timedelta(days=n) for n in range(5)]
    assert (_count(sessions, PlaceRow), _count(sessions, WindowRow)) == (1, 3)
    first = store.open_slots("企业开办")[0]
    assert _local(first.starts_at).time().isoformat() == "09:00:00" and first.capacity == 3
    assert first.ends_at - first.starts_at == timedelta(minutes=30) and first.window == "A02"


def test_publishing_again_creates_nothing_and_costs_two_reads(
    tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    store, schedule = _store(sessions), _schedule(tmp_path)
    created = publish_schedule(store, schedule, today=MONDAY, days=5)
    with _statements(engine) as statements:
        assert publish_schedule(store, schedule, today=MONDAY, days=5) == 0
    assert len(statements) == 2 and all(s.lstrip().upper().startswith("SELECT") for s in statements)
    assert _count(sessions, SlotRow) == created


def test_a_friday_start_skips_the_weekend(tmp_path: Path, sessions: SessionFactory) -> None:
    publish_schedule(_store(sessions), _schedule(tmp_path), today=FRIDAY, days=3)
    assert _slot_days(sessions) == [FRIDAY, FRIDAY + timedelta(days=3), FRIDAY + timedelta(days=4)]


def test_closed_dates_are_skipped_and_working_weekends_opened(tmp_path: Path, sessions: SessionFactory) -> None:
    wednesday, saturday = MONDAY + timedelta(days=2), MONDAY + timedelta(days=5)
    extra = f"closed_dates: [{wednesday}]\nworking_weekend_dates: [{saturday}]\n"
    created = publish_schedule(_store(sessions), _schedule(tmp_path, extra), today=MONDAY, days=5)
    assert created == 5 * PER_DAY
    assert _slot_days(sessions) == [MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=3), FRIDAY, saturday]


def test_past_days_and_started_slots_are_never_created(tmp_path: Path, sessions: SessionFactory) -> None:
    now = datetime(2030, 1, 7, 10, 15, tzinfo=LOCAL_TZ)
    created = publish_schedule(_store(sessions, now), _schedule(tmp_path), today=MONDAY - timedelta(days=3), days=2)
    # Friday is all past; on Monday A01 keeps 11:00 and the 3 afternoon slots, A02 10:30, 11:00, 11:30 and 7.
    assert created == 2 * (1 + 3) + (3 + 7)
    with sessions() as session:
        earliest = session.scalar(select(func.min(SlotRow.starts_at)))
    assert earliest is not None and _local(earliest) == datetime(2030, 1, 7, 10, 30, tzinfo=LOCAL_TZ)


def test_two_processes_publishing_at_once_create_each_slot_once(tmp_path: Path, sessions: SessionFactory) -> None:
    schedule = _schedule(tmp_path)
    start = threading.Barrier(2)

    def publish(_: int) -> int:
        store = _store(sessions)
        start.wait()
        return publish_schedule(store, schedule, today=MONDAY, days=5)

    with ThreadPoolExecutor(max_workers=2) as pool:
        created = list(pool.map(publish, range(2)))
    assert sum(created) == 5 * PER_DAY == _count(sessions, SlotRow)
    assert (_count(sessions, PlaceRow), _count(sessions, WindowRow)) == (1, 3)


def test_a_window_added_later_gets_its_slots(tmp_path: Path, sessions: SessionFactory) -> None:
    store = _store(sessions)
    publish_schedule(store, _schedule(tmp_path), today=MONDAY, days=1)
    grown = _schedule(tmp_path).model_copy(update={"slot_minutes": 30})  # A01 now has 13 slots a day
    assert publish_schedule(store, grown, today=MONDAY, days=1) == 2 * (13 - 6)
    assert _count(sessions, WindowRow) == 3


def _bad(tmp_path: Path, text: str) -> ScheduleError:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScheduleError) as caught:
        load_schedule(path)
    assert isinstance(caught.value, ConfigurationError) and str(path) in caught.value.message
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        ("services: [企业开办]", "services: []", "places.0.windows.1.services", "至少需要 1 项"),
        ('hours: ["09:00-12:00", "13:30-17:00"]', 'hours: ["09:00-12:00", "11:30-17:00"]', "hours", "重叠"),
        ('hours: ["09:00-12:00", "13:30-17:00"]', 'hours: ["9点到12点"]', "hours.0", "09:00-12:00"),
        ("capacity: 3", "capacity: 0", "places.0.windows.1.capacity", "不小于 1"),
        ("label: A02", "label: A01", "places.0", "窗口名称重复：A01"),
        ("    sample_note: 测试数据\n", "", "places.0", "必须填写 sample_note"),
        ("slot_minutes: 60\n", "slot_minute: 60\n", "slot_minute", "不允许的字段"),
    ],
)
def test_a_bad_schedule_names_the_field(tmp_path: Path, old: str, new: str, field: str, reason: str) -> None:
    assert old in SCHEDULE
    error = _bad(tmp_path, SCHEDULE.replace(old, new, 1))
    assert error.field == field and f"字段 {field} 无效" in error.message and reason in error.message
    if field.startswith("places.0"):
        assert "“测试服务中心”" in error.message


def test_unreadable_or_invalid_yaml_and_weekday_make_up_days_are_refused(tmp_path: Path) -> None:
    assert "不是合法的 YAML" in _bad(tmp_path, "places: [\n").message
    weekday = _bad(tmp_path, f"working_weekend_dates: [{MONDAY}]\n{SCHEDULE}")
    assert weekday.field == "working_weekend_dates" and "调休上班日应为周六或周日：2030-01-07" in weekday.message
    with pytest.raises(ScheduleError, match="无法读取预约排班表"):
        load_schedule(tmp_path / "missing.yaml")


def test_the_bundled_schedule_serves_dictionary_matters_at_the_district_centre() -> None:
    schedule = load_schedule()
    official = {matter.name for matter in load_bundled()}
    services = [service for place in schedule.places for window in place.windows for service in window.services]
    assert set(services) <= official and len(set(services)) >= 12 and "食品经营许可" in services
    assert all(place.sample and place.sample_note for place in schedule.places)
    centre = schedule.places[0]
    assert centre.name == "闵行区行政服务中心" and "沪闵路6258号" in centre.address
    assert any("社区事务受理服务中心" in place.name for place in schedule.places)


@pytest.mark.parametrize("days", [0, 10])
def test_publishing_zero_days_still_sets_up_places_and_windows(
    tmp_path: Path, sessions: SessionFactory, days: int
) -> None:
    publish_schedule(_store(sessions), _schedule(tmp_path), today=MONDAY, days=days)
    assert _count(sessions, WindowRow) == 3 and _count(sessions, SlotRow) == days * PER_DAY
