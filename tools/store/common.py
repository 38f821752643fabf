"""Helpers shared by the stores: clock, time zones, record numbers and input checks."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from minfu.errors import InvalidInputError

Clock = Callable[[], datetime]
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def placeholder_number() -> str:
    """A unique temporary number, replaced by `record_number` once the row id is known (same transaction)."""
    return f"tmp-{uuid.uuid4().hex}"


def record_number(prefix: str, at: datetime, row_id: int) -> str:
    """A human number such as MH20261127-000123: local (Shanghai) date and the row id, unique by the id."""
    return f"{prefix}{at.astimezone(LOCAL_TZ):%Y%m%d}-{row_id:06d}"


def require_text(value: str, field: str, label: str, *, max_len: int, min_len: int = 1) -> str:
    """`value` stripped, or InvalidInputError naming `label` when empty, too long or holding a NUL character.

    PostgreSQL text cannot hold NUL: let through, it would fail the insert (a 500 at the API), not the input check.
    """
    text = value.strip()
    if "\x00" in text:
        raise InvalidInputError(f"{label}不能包含空字符（\\0）", field=field)
    if len(text) < min_len:
        message = f"{label}不能为空" if min_len == 1 else f"{label}至少需要 {min_len} 个字"
        raise InvalidInputError(message, field=field)
    if len(text) > max_len:
        raise InvalidInputError(f"{label}不能超过 {max_len} 个字", field=field)
    return text


@dataclass(frozen=True)
class Contact:
    """The applicant's contact: a name and a mainland mobile or landline number."""

    name: str
    phone: str

    def validated(self) -> Contact:
        name = require_text(self.name, "contact_name", "联系人姓名", max_len=50)
        phone = self.phone.strip().replace(" ", "")
        if not _PHONE.match(phone):
            raise InvalidInputError("联系电话格式不正确，请填写 11 位手机号或带区号的固定电话", field="contact_phone")
        return Contact(name=name, phone=phone)
