"""The audit log: who did what to which record — staff actions, tool actions, system jobs. Append-only.

An actor is named by kind and id: `staff:<key prefix>`, `enterprise:<统一社会信用代码>`, `system`. Personal numbers
in the target and the detail are masked before they are stored (tools.masking), so the audit log can be read and
kept without becoming a second copy of personal data; enterprise codes and record numbers stay readable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from minfu.errors import InvalidInputError
from tools.masking import mask_pii, mask_value
from tools.store.common import Clock, as_utc, require_text, utc_now
from tools.store.db import SessionFactory
from tools.store.models import AuditEventRow

MAX_DETAIL_CHARS = 8000
MAX_RECENT = 500
_ACTION = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class AuditLog:
    """Records and reads audit events; every method is one transaction."""

    def __init__(self, sessions: SessionFactory, *, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(self, actor: str, action: str, target: str = "", detail: Mapping[str, Any] | None = None) -> AuditEvent:
        """Append one event, e.g. record("staff:k3f9a1", "ticket.assign", "SQ20261127-000001", {"department": …})."""
        row = AuditEventRow(
            at=as_utc(self._clock()),
            actor=mask_pii(require_text(actor, "actor", "操作人", max_len=80)),
            action=_checked_action(action),
            target=mask_pii(require_text(target, "target", "操作对象", max_len=200, min_len=0)),
            detail=_masked_detail(detail or {}),
        )
        with self._sessions.begin() as session:
            session.add(row)
            session.flush()
            return _event(row)

    def recent(
        self,
        limit: int = 50,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
    ) -> list[AuditEvent]:
        """The newest events first, optionally only one actor's, action's or target's, or from `since` (naive = UTC)."""
        if not 1 <= limit <= MAX_RECENT:
            raise InvalidInputError(f"每次最多查看 {MAX_RECENT} 条审计记录", field="limit")
        query = select(AuditEventRow).order_by(AuditEventRow.id.desc()).limit(limit)
        if actor is not None:
            query = query.where(AuditEventRow.actor == mask_pii(actor))
        if action is not None:
            query = query.where(AuditEventRow.action == action)
        if target is not None:
            query = query.where(AuditEventRow.target == mask_pii(target))
        if since is not None:
            query = query.where(AuditEventRow.at >= as_utc(since))
        with self._sessions() as session:
            return [_event(row) for row in session.scalars(query)]


def _checked_action(action: str) -> str:
    if not _ACTION.fullmatch(action):
        raise InvalidInputError("操作名称应为小写英文标识，如 ticket.assign", field="action")
    return action


def _masked_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    """The detail masked and in its stored JSON form (dates as text), or InvalidInputError when too large."""
    text = json.dumps(mask_value(dict(detail)), ensure_ascii=False, default=str)
    if len(text) > MAX_DETAIL_CHARS:
        raise InvalidInputError(f"审计详情不能超过 {MAX_DETAIL_CHARS} 个字符", field="detail")
    stored: dict[str, Any] = json.loads(text)
    return stored


def _event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        id=row.id, at=as_utc(row.at), actor=row.actor, action=row.action, target=row.target, detail=dict(row.detail)
    )
