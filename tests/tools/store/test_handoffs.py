"""The handoff queue on SQLite and PostgreSQL: queueing, one open handoff per conversation, claims and closing."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from minfu.errors import InvalidInputError
from tests.tools.store.conftest import A
from tools.store.conversations import ConversationStore
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError
from tools.store.handoffs import HandoffConflictError, HandoffStore

STAFF, OTHER = "mk_staff", "mk_other"


class SteppingClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def store(sessions: SessionFactory) -> HandoffStore:
    conversations = ConversationStore(sessions)
    conversations.open("c_signed_in", "site_a", A)
    conversations.open("c_anonymous", "site_b", None)
    return HandoffStore(sessions, clock=SteppingClock())


def test_a_conversation_is_queued_with_its_site_and_enterprise(store: HandoffStore) -> None:
    handoff, new = store.enqueue("c_signed_in", "给我讲个笑话")
    assert new and handoff.status == "waiting" and handoff.claimed_by is None
    assert (handoff.site_key, handoff.enterprise_uscc, handoff.reason) == ("site_a", A, "给我讲个笑话")
    assert handoff.created_at == datetime(2026, 12, 2, 1, 1, tzinfo=UTC)
    anonymous, _ = store.enqueue("c_anonymous", "")
    assert anonymous.enterprise_uscc is None and anonymous.reason == "用户请求人工服务"


def test_the_reason_is_stored_masked(store: HandoffStore, engine: Engine) -> None:
    store.enqueue("c_signed_in", "请回电 13800138000，身份证 310112199001011233")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT reason FROM handoffs")).scalar_one()
    assert "13800138000" not in stored and "310112199001011233" not in stored and "请回电" in stored


def test_an_open_handoff_is_kept_and_a_closed_one_lets_the_conversation_queue_again(store: HandoffStore) -> None:
    first, _ = store.enqueue("c_signed_in", "第一次")
    again, new = store.enqueue("c_signed_in", "第二次")
    assert not new and again.id == first.id and again.reason == "第一次"
    store.claim(first.id, STAFF)
    assert store.enqueue("c_signed_in", "第三次")[0].id == first.id
    store.close(first.id, STAFF)
    later, new = store.enqueue("c_signed_in", "第四次")
    assert new and later.id != first.id and store.open_for("c_signed_in") == later


def test_a_claim_is_one_staff_members_and_a_second_claim_by_another_conflicts(store: HandoffStore) -> None:
    handoff, _ = store.enqueue("c_signed_in", "转人工")
    claimed = store.claim(handoff.id, STAFF)
    assert claimed.status == "claimed" and claimed.claimed_by == STAFF and claimed.claimed_at is not None
    assert store.claim(handoff.id, STAFF) == claimed  # claiming one's own claim again changes nothing
    with pytest.raises(HandoffConflictError, match=STAFF):
        store.claim(handoff.id, OTHER)
    assert store.get(handoff.id).claimed_by == STAFF


def test_only_the_claimer_or_an_override_closes_and_a_closed_handoff_refuses_everything(store: HandoffStore) -> None:
    handoff, _ = store.enqueue("c_signed_in", "转人工")
    store.claim(handoff.id, STAFF)
    with pytest.raises(HandoffConflictError):
        store.close(handoff.id, OTHER)
    closed = store.close(handoff.id, OTHER, override=True)
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(HandoffConflictError, match="已关闭"):
        store.claim(handoff.id, STAFF)
    with pytest.raises(HandoffConflictError, match="已关闭"):
        store.close(handoff.id, STAFF)


def test_a_waiting_handoff_may_be_closed_by_anyone(store: HandoffStore) -> None:
    handoff, _ = store.enqueue("c_anonymous", "转人工")
    assert store.close(handoff.id, OTHER).status == "closed"


def test_the_queue_lists_oldest_first_and_by_status(store: HandoffStore) -> None:
    first, _ = store.enqueue("c_signed_in", "一")
    second, _ = store.enqueue("c_anonymous", "二")
    store.claim(second.id, STAFF)
    assert [h.id for h in store.list_handoffs()] == [first.id, second.id]
    assert [h.id for h in store.list_handoffs("waiting")] == [first.id]
    assert [h.id for h in store.list_handoffs("claimed")] == [second.id]
    assert store.list_handoffs("closed") == []
    with pytest.raises(InvalidInputError):
        store.list_handoffs("lost")
    with pytest.raises(InvalidInputError):
        store.list_handoffs(limit=0)


def test_unknown_handoffs_and_conversations_are_not_found(store: HandoffStore) -> None:
    with pytest.raises(NotFoundError):
        store.get(999)
    with pytest.raises(NotFoundError):
        store.claim(999, STAFF)
    with pytest.raises(NotFoundError):
        store.close(999, STAFF)
    with pytest.raises(NotFoundError):
        store.enqueue("c_nobody", "转人工")
