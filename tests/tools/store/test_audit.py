from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from minfu.errors import InvalidInputError
from tests.tools.store.conftest import A
from tools.store.audit import MAX_DETAIL_CHARS, AuditLog
from tools.store.db import SessionFactory


class SteppingClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def audit(sessions: SessionFactory) -> AuditLog:
    return AuditLog(sessions, clock=SteppingClock())


def test_an_event_is_recorded_and_read_back_newest_first(audit: AuditLog) -> None:
    first = audit.record("staff:k3f9a1", "ticket.assign", "SQ20261127-000001", {"department": "区科委"})
    second = audit.record(f"enterprise:{A}", "tool.start_matter", "MH20261127-000007", {"matter": "食品经营许可"})
    events = audit.recent()
    assert [e.id for e in events] == [second.id, first.id]
    assert events[1].actor == "staff:k3f9a1" and events[1].action == "ticket.assign"
    assert events[1].target == "SQ20261127-000001" and events[1].detail == {"department": "区科委"}
    assert events[0].actor == f"enterprise:{A}"  # an enterprise code is not personal data: kept
    assert events[0].at == datetime(2026, 11, 27, 2, 2, tzinfo=UTC)


def test_personal_numbers_are_masked_before_they_are_stored(audit: AuditLog, engine: Engine) -> None:
    detail = {
        "contact": {"name": "张三", "phone": "13800138000"},
        "notes": ["身份证 310112199001011233", "卡号 6222021234567890123"],
        "count": 2,
        "when": datetime(2026, 11, 27, tzinfo=UTC),
    }
    event = audit.record("staff:k3f9a1", "lead.update", "联系人电话 021-64120000", detail)
    assert event.detail == {
        "contact": {"name": "张三", "phone": "138****8000"},
        "notes": ["身份证 310***********1233", "卡号 ***************0123"],
        "count": 2,
        "when": "2026-11-27 00:00:00+00:00",
    }
    assert event.target == "联系人电话 021-****0000"
    with engine.connect() as connection:
        stored = " ".join(str(v) for v in connection.execute(text("SELECT target, detail FROM audit_events")).one())
    for secret in ("13800138000", "310112199001011233", "6222021234567890123", "64120000"):
        assert secret not in stored


def test_recent_filters_by_actor_action_target_and_time(audit: AuditLog) -> None:
    audit.record("staff:a", "ticket.assign", "SQ1")
    audit.record("staff:b", "ticket.reply", "SQ1")
    cut = audit.record("staff:a", "ticket.close", "SQ2").at
    audit.record("system", "schedule.publish", "", {"slots": 120})
    assert [e.action for e in audit.recent(actor="staff:a")] == ["ticket.close", "ticket.assign"]
    assert [e.actor for e in audit.recent(target="SQ1")] == ["staff:b", "staff:a"]
    assert [e.action for e in audit.recent(action="schedule.publish")] == ["schedule.publish"]
    assert [e.action for e in audit.recent(since=cut)] == ["schedule.publish", "ticket.close"]
    assert len(audit.recent(limit=2)) == 2


@pytest.mark.parametrize(
    ("actor", "action", "target", "field"),
    [
        ("", "ticket.assign", "", "actor"),
        ("x" * 81, "ticket.assign", "", "actor"),
        ("staff:a", "Ticket Assign", "", "action"),
        ("staff:a", "", "", "action"),
        ("staff:a", "ticket.assign", "y" * 201, "target"),
    ],
)
def test_bad_events_are_refused_in_chinese(audit: AuditLog, actor: str, action: str, target: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        audit.record(actor, action, target)
    assert caught.value.field == field and any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)


def test_an_oversized_detail_or_listing_is_refused(audit: AuditLog) -> None:
    with pytest.raises(InvalidInputError):
        audit.record("system", "bulk.import", "", {"rows": "x" * MAX_DETAIL_CHARS})
    with pytest.raises(InvalidInputError):
        audit.recent(limit=0)
    with pytest.raises(InvalidInputError):
        audit.recent(limit=10_000)
    assert audit.recent() == []
