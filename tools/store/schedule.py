"""The appointment schedule (预约排班): places, their windows and opening hours, published as bookable slots.

`load_schedule()` reads the bundled `data/schedule.yaml` (or an operator's file) and validates it; a bad file raises
`ScheduleError` naming the field in Chinese. `publish_schedule()` makes sure the places, windows and slots of the next
working days exist. It is idempotent and safe to run from several processes at once (the store inserts only what is
missing, under unique keys), and cheap when everything exists: two reads, no writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from minfu.errors import ConfigurationError, InvalidInputError
from tools.store.appointments import AppointmentStore, SlotTimes, WindowKey
from tools.store.common import LOCAL_TZ

BUNDLED_SCHEDULE = "schedule.yaml"
SATURDAY = 5

_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "greater_than_equal": "必须不小于 {ge}",
    "less_than_equal": "必须不大于 {le}",
    "string_too_short": "不能为空",
    "string_too_long": "不能超过 {max_length} 个字",
    "too_short": "至少需要 {min_length} 项",
    "date_from_datetime_parsing": "应为日期，例如 2026-10-01",
    "date_parsing": "应为日期，例如 2026-10-01",
    "date_type": "应为日期，例如 2026-10-01",
    "time_parsing": "应为时刻，例如 09:00",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
}


class ScheduleError(ConfigurationError):
    """The schedule file is invalid; `field` is the dotted path of the first bad field (e.g. places.0.windows)."""

    code = "schedule_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Period(_Record):
    """An opening period of one day, written "09:00-12:00" in the file."""

    start: time
    end: time

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            start, separator, end = value.partition("-")
            if not separator:
                raise ValueError(f"时间段“{value}”应写作 09:00-12:00")
            return {"start": start.strip(), "end": end.strip()}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"时间段 {self.start:%H:%M}-{self.end:%H:%M} 的结束时间须晚于开始时间")
        return self

    def instants_on(self, day: date) -> tuple[datetime, datetime]:
        """Start and end on `day` (the hours are Shanghai time) in UTC, the zone the store returns: cheap to compare."""
        start, end = (datetime.combine(day, moment, LOCAL_TZ).astimezone(UTC) for moment in (self.start, self.end))
        return start, end


OpeningHours = tuple[Period, ...]


class Window(_Record):
    """A window of a place and the services (dictionary names) it takes appointments for."""

    label: str = Field(min_length=1, max_length=50)
    services: tuple[str, ...] = Field(min_length=1)
    slot_minutes: int | None = Field(default=None, ge=10, le=240)
    capacity: int | None = Field(default=None, ge=1, le=100)

    @field_validator("services")
    @classmethod
    def _distinct_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        if any(not name.strip() or len(name) > 200 for name in names):
            raise ValueError("服务名称不能为空，也不能超过 200 个字")
        _require_distinct(names, "服务")
        return tuple(name.strip() for name in names)


class Place(_Record):
    """A service hall (区行政服务中心, 社区事务受理服务中心); `hours` replaces the schedule's default hours."""

    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=300)
    sample: bool
    sample_note: str = ""
    hours: OpeningHours | None = None
    windows: tuple[Window, ...] = Field(min_length=1)

    @field_validator("hours")
    @classmethod
    def _hours_apart(cls, hours: OpeningHours | None) -> OpeningHours | None:
        return None if hours is None else _checked_hours(hours)

    @model_validator(mode="after")
    def _consistent(self) -> Place:
        if self.sample and not self.sample_note:
            raise ValueError(f"{self.name} 是样例数据，必须填写 sample_note")
        _require_distinct([window.label for window in self.windows], "窗口")
        return self


class Schedule(_Record):
    """Default opening hours, slot length and capacity, the days the halls are closed, and the places."""

    hours: OpeningHours = Field(min_length=1)
    slot_minutes: int = Field(default=30, ge=10, le=240)
    capacity: int = Field(default=2, ge=1, le=100)
    closed_dates: frozenset[date] = frozenset()
    working_weekend_dates: frozenset[date] = frozenset()
    places: tuple[Place, ...] = Field(min_length=1)

    @field_validator("hours")
    @classmethod
    def _hours_apart(cls, hours: OpeningHours) -> OpeningHours:
        return _checked_hours(hours)

    @field_validator("working_weekend_dates")
    @classmethod
    def _on_weekends(cls, days: frozenset[date]) -> frozenset[date]:
        weekdays = sorted(day.isoformat() for day in days if day.weekday() < SATURDAY)
        if weekdays:
            raise ValueError(f"调休上班日应为周六或周日：{'、'.join(weekdays)}")
        return days

    @model_validator(mode="after")
    def _distinct_places(self) -> Schedule:
        _require_distinct([place.name for place in self.places], "办事地点")
        return self

    def is_working_day(self, day: date) -> bool:
        if day in self.closed_dates:
            return False
        return day.weekday() < SATURDAY or day in self.working_weekend_dates

    def working_days(self, first: date, count: int) -> list[date]:
        """The `count` working days from `first` on (`first` included when it is one)."""
        days: list[date] = []
        day = first
        while len(days) < count:
            if self.is_working_day(day):
                days.append(day)
            day += timedelta(days=1)
        return days


def _checked_hours(hours: OpeningHours) -> OpeningHours:
    ordered = tuple(sorted(hours, key=lambda period: period.start))
    for earlier, later in pairwise(ordered):
        if later.start < earlier.end:
            raise ValueError(f"时间段 {earlier.start:%H:%M}-{earlier.end:%H:%M} 与 {later.start:%H:%M} 起的时间段重叠")
    return ordered


def _require_distinct(names: Sequence[str], what: str) -> None:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{what}名称重复：{'、'.join(repeated)}")


# loading ----------------------------------------------------------------------------------------------------------
def load_schedule(path: Path | str | None = None) -> Schedule:
    """The schedule in `path`, or the bundled sample when None; ScheduleError (Chinese, naming the field) if invalid."""
    if path is None:
        text, origin = files("tools.store").joinpath("data", BUNDLED_SCHEDULE).read_text(encoding="utf-8"), "内置"
    else:
        text, origin = _read(Path(path)), str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ScheduleError(f"预约排班表（{origin}）不是合法的 YAML：{error}") from None
    try:
        return Schedule.model_validate(data)
    except ValidationError as error:
        raise _schedule_error(error.errors()[0], data, origin) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ScheduleError(f"无法读取预约排班表 {path}：{error.strerror or error}") from None


def _schedule_error(error: ErrorDetails, data: Any, origin: str) -> ScheduleError:
    field = ".".join(str(part) for part in error["loc"]) or "（整个文件）"
    where = _place_name(error["loc"], data)
    return ScheduleError(f"预约排班表（{origin}）{where}的字段 {field} 无效：{_reason(error)}", field=field)


def _place_name(location: tuple[int | str, ...], data: Any) -> str:
    """Words naming the place (e.g. 中“闵行区行政服务中心”) when the bad field belongs to a named place, else ""."""
    if len(location) < 2 or location[0] != "places" or not isinstance(location[1], int):
        return ""
    places = data.get("places") if isinstance(data, dict) else None
    place = places[location[1]] if isinstance(places, list) and location[1] < len(places) else None
    name = place.get("name") if isinstance(place, dict) else None
    return f"中“{name}”" if name else ""


def _reason(error: ErrorDetails) -> str:
    context = error.get("ctx") or {}
    if error["type"] == "value_error":
        return str(context.get("error", error["msg"]))
    template = _MESSAGES.get(error["type"])
    return template.format(**context) if template else f"类型或取值错误（{error['msg']}）"


# publishing -------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedWindow:
    """One window row the schedule wants, with its future slots over the published days."""

    key: WindowKey
    address: str
    capacity: int
    times: tuple[SlotTimes, ...]


def publish_schedule(store: AppointmentStore, schedule: Schedule, *, today: date, days: int = 10) -> int:
    """Make sure the places, windows and slots of the next `days` working days exist; return how many slots it made.

    Days are counted from `today` (included when it is a working day); slots that have already started by the
    store's clock are never created. Nothing exists twice after repeated or concurrent runs.
    """
    if days < 0:
        raise InvalidInputError("发布天数不能为负数", field="days")
    plan = plan_windows(schedule, schedule.working_days(today, days), after=store.now())
    known = store.window_ids()
    existing = _existing_starts(store, plan, known)
    place_ids: dict[str, int] = {}
    created = 0
    for window in plan:
        window_id = known.get(window.key) or _ensure_window(store, window, place_ids)
        times = _missing_times(window, window_id, existing)
        created += store.ensure_slots(window_id, times, window.capacity) if times else 0
    return created


def plan_windows(schedule: Schedule, days: Sequence[date], *, after: datetime) -> list[PlannedWindow]:
    """Every (place, window, service) of the schedule with its slots on `days` that start after `after`."""
    return [
        PlannedWindow(
            key=WindowKey(place.name, service, window.label),
            address=place.address,
            capacity=window.capacity or schedule.capacity,
            times=tuple(
                _slot_times(days, place.hours or schedule.hours, window.slot_minutes or schedule.slot_minutes, after)
            ),
        )
        for place in schedule.places
        for window in place.windows
        for service in window.services
    ]


def _slot_times(days: Sequence[date], hours: OpeningHours, minutes: int, after: datetime) -> Iterator[SlotTimes]:
    """Back-to-back slots of `minutes` filling each opening period (a slot never runs past the period's end)."""
    step = timedelta(minutes=minutes)
    for day in days:
        for period in hours:
            start, close = period.instants_on(day)
            while start + step <= close:
                if start > after:
                    yield start, start + step
                start += step


def _existing_starts(
    store: AppointmentStore, plan: Sequence[PlannedWindow], known: dict[WindowKey, int]
) -> dict[int, set[datetime]]:
    starts = [start for window in plan for start, _ in window.times]
    ids = [known[window.key] for window in plan if window.key in known and window.times]
    if not starts or not ids:
        return {}
    return store.slot_starts(ids, min(starts), max(starts))


def _missing_times(window: PlannedWindow, window_id: int, existing: dict[int, set[datetime]]) -> list[SlotTimes]:
    have = existing.get(window_id, set())
    return [times for times in window.times if times[0] not in have]


def _ensure_window(store: AppointmentStore, window: PlannedWindow, place_ids: dict[str, int]) -> int:
    place = window.key.place
    if place not in place_ids:
        place_ids[place] = store.ensure_place(place, window.address)
    return store.ensure_window(place_ids[place], window.key.service_name, window.key.label)
