from datetime import date, timedelta

import pytest

from minfu.errors import InvalidInputError
from tools.store.db import SessionFactory
from tools.store.errors import IllegalTransitionError, NotFoundError
from tools.store.tickets import Ticket, TicketState, TicketStore

from .conftest import A, B

DUE = date.today() + timedelta(days=5)


@pytest.fixture
def store(sessions: SessionFactory) -> TicketStore:
    return TicketStore(sessions)


def _ticket(store: TicketStore) -> Ticket:
    return store.submit(A, "营商环境", "门前道路施工影响店铺经营，希望协调施工时间", "区建管委")


def _replied(store: TicketStore) -> str:
    number = _ticket(store).number
    store.assign(number, "区建管委", DUE, "s1")
    store.reply(number, "已协调施工单位夜间施工", "s1")
    return number


def test_full_cycle_collect_assign_reply_close_rate(store: TicketStore) -> None:
    ticket = _ticket(store)
    assert ticket.state is TicketState.SUBMITTED and ticket.number.startswith("SQ")
    assigned = store.assign(ticket.number, "区建管委", DUE, "s1")
    assert (assigned.department, assigned.due_date, assigned.state) == ("区建管委", DUE, TicketState.ASSIGNED)
    replied = store.reply(ticket.number, "已协调施工单位夜间施工", "s1")
    assert replied.state is TicketState.REPLIED and replied.replies[0].text == "已协调施工单位夜间施工"
    assert store.close(ticket.number, "s1").state is TicketState.CLOSED
    rated = store.rate(ticket.number, A, 5, "处理及时")
    assert (rated.rating, rated.rating_comment) == (5, "处理及时")


def test_rating_only_after_reply_and_only_once(store: TicketStore) -> None:
    number = _ticket(store).number
    with pytest.raises(IllegalTransitionError, match="不能评价"):
        store.rate(number, A, 4)
    number = _replied(store)
    store.rate(number, A, 2, "答复不够具体")
    with pytest.raises(IllegalTransitionError, match="只能评价一次"):
        store.rate(number, A, 5)
    after = store.get(number, A)
    assert after is not None and after.rating == 2


@pytest.mark.parametrize("score", [0, 6, -1, True])
def test_rating_must_be_one_to_five(store: TicketStore, score: int) -> None:
    number = _replied(store)
    with pytest.raises(InvalidInputError, match="1 到 5"):
        store.rate(number, A, score)
    after = store.get(number, A)
    assert after is not None and after.rating is None


def test_an_enterprise_cannot_read_or_rate_another_enterprises_ticket(store: TicketStore) -> None:
    number = _replied(store)
    assert store.get(number, B) is None
    assert store.list_for(B) == []
    with pytest.raises(NotFoundError):
        store.rate(number, B, 1)
    after = store.get(number, A)
    assert after is not None and after.rating is None
    assert [t.number for t in store.list_for(A)] == [number]


def test_workflow_order_and_inputs_are_validated(store: TicketStore) -> None:
    number = _ticket(store).number
    with pytest.raises(IllegalTransitionError, match="不能答复"):
        store.reply(number, "答复", "s1")
    with pytest.raises(IllegalTransitionError, match="不能办结"):
        store.close(number, "s1")
    with pytest.raises(InvalidInputError, match="办理期限"):
        store.assign(number, "区建管委", date.today() - timedelta(days=1), "s1")
    with pytest.raises(InvalidInputError, match="诉求内容"):
        store.submit(A, "营商环境", "太短")
    with pytest.raises(InvalidInputError, match="诉求类别"):
        store.submit(A, " ", "门前道路施工影响店铺经营")
    with pytest.raises(NotFoundError):
        store.assign("SQ20000101-999999", "区建管委", DUE, "s1")
    unchanged = store.get(number, A)
    assert unchanged is not None and unchanged.state is TicketState.SUBMITTED and unchanged.department is None
