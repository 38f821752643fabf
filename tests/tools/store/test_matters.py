from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from minfu.errors import InvalidInputError
from tools.store.common import Contact
from tools.store.db import SessionFactory
from tools.store.errors import IllegalTransitionError, NotFoundError
from tools.store.matters import Matter, MatterState, MatterStore
from tools.store.models import MatterEventRow, MatterRow

from .conftest import CONTACT, A, B

MATERIALS = [("营业执照", True), ("食品经营许可申请书", True), ("场所平面图", False)]


@pytest.fixture
def store(sessions: SessionFactory) -> MatterStore:
    return MatterStore(sessions)


def _create(store: MatterStore, key: str = "k1", uscc: str = A) -> Matter:
    return store.create(uscc, "310112-SP-001", "食品经营许可", MATERIALS, CONTACT, key)


def _event_count(sessions: SessionFactory) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(MatterEventRow)) or 0)


def test_create_makes_a_draft_with_number_checklist_and_event(store: MatterStore) -> None:
    matter = _create(store)
    assert matter.state is MatterState.DRAFT
    assert matter.number.startswith("MH") and matter.number.split("-")[1].isdigit()
    assert [m.name for m in matter.materials] == [name for name, _ in MATERIALS]
    assert matter.missing_materials == ("营业执照", "食品经营许可申请书")
    assert [(e.from_state, e.to_state) for e in matter.events] == [(None, MatterState.DRAFT)]
    assert matter.created_at.tzinfo is not None


def test_numbers_are_unique(store: MatterStore) -> None:
    numbers = {_create(store, key=f"k{i}").number for i in range(5)}
    assert len(numbers) == 5


def test_same_idempotency_key_returns_same_matter_and_creates_nothing(store: MatterStore) -> None:
    first = _create(store)
    again = _create(store)
    assert again.number == first.number
    assert store.count() == 1
    other_enterprise = _create(store, uscc=B)  # the key is scoped to the enterprise
    assert other_enterprise.number != first.number
    assert store.count() == 2


def test_concurrent_creation_with_one_key_creates_one_matter(store: MatterStore, sessions: SessionFactory) -> None:
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda _: _create(store, key="same"), range(5)))
    assert len({matter.number for matter in results}) == 1
    assert store.count() == 1
    assert _event_count(sessions) == 1


def test_invalid_inputs_write_nothing(store: MatterStore) -> None:
    bad_calls: list[Callable[[], Matter]] = [
        lambda: store.create("91350100M000100Y44", "c", "n", MATERIALS, CONTACT, "k"),
        lambda: store.create(A, "", "n", MATERIALS, CONTACT, "k"),
        lambda: store.create(A, "c", "n", [("营业执照", True), ("营业执照", False)], CONTACT, "k"),
        lambda: store.create(A, "c", "n", MATERIALS, Contact("张三", "12345"), "k"),
        lambda: store.create(A, "c", "n", MATERIALS, CONTACT, "  "),
    ]
    for call in bad_calls:
        with pytest.raises(InvalidInputError):
            call()
    assert store.count() == 0


def test_full_workflow_with_supplement(store: MatterStore) -> None:
    number = _create(store).number
    with pytest.raises(InvalidInputError, match="还缺少必需材料"):
        store.submit(number, A)
    store.supplement(number, A, ["营业执照", "食品经营许可申请书"])
    assert store.submit(number, A).state is MatterState.SUBMITTED
    store.advance(number, "needs_supplement", "平面图不清晰，请重新上传", "staff-7")
    resubmitted = store.supplement(number, A, ["场所平面图"], note="已重新上传")
    assert resubmitted.state is MatterState.SUBMITTED
    store.advance(number, MatterState.ACCEPTED, "材料齐全，予以受理", "staff-7")
    store.advance(number, MatterState.PROCESSING, "", "staff-7")
    done = store.advance(number, MatterState.COMPLETED, "已办结，请领取证照", "staff-8")
    assert [e.to_state for e in done.events] == [
        MatterState.DRAFT,
        MatterState.SUBMITTED,
        MatterState.NEEDS_SUPPLEMENT,
        MatterState.SUBMITTED,
        MatterState.ACCEPTED,
        MatterState.PROCESSING,
        MatterState.COMPLETED,
    ]
    assert done.events[2].note == "平面图不清晰，请重新上传" and done.events[2].actor == "staff:staff-7"
    assert done.events[3].actor == f"enterprise:{A}"
    assert all(item.provided and item.provided_at for item in done.materials)
    assert [e.at for e in done.events] == sorted(e.at for e in done.events)


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], MatterState.ACCEPTED),  # draft cannot be accepted before submission
        ([], MatterState.COMPLETED),
        (["submitted"], MatterState.PROCESSING),
        (["submitted", "accepted"], MatterState.COMPLETED),
        (["submitted", "rejected"], MatterState.ACCEPTED),  # rejected is final
        (["submitted", "accepted", "processing", "completed"], MatterState.REJECTED),  # completed is final
    ],
)
def test_illegal_transitions_are_rejected_and_write_nothing(
    store: MatterStore, sessions: SessionFactory, path: list[str], illegal: MatterState
) -> None:
    number = _create(store).number
    store.supplement(number, A, ["营业执照", "食品经营许可申请书"])
    for step in path:
        store.submit(number, A) if step == "submitted" else store.advance(number, step, "", "s1")
    before = store.get(number, A)
    events_before = _event_count(sessions)
    with pytest.raises(IllegalTransitionError, match="不能"):
        store.advance(number, illegal, "x", "s1")
    assert store.get(number, A) == before
    assert _event_count(sessions) == events_before


def test_staff_cannot_set_enterprise_states_and_unknown_states_are_refused(store: MatterStore) -> None:
    number = _create(store).number
    with pytest.raises(IllegalTransitionError):
        store.advance(number, MatterState.SUBMITTED, "", "s1")
    with pytest.raises(InvalidInputError, match="未知的办件状态"):
        store.advance(number, "finished", "", "s1")
    with pytest.raises(NotFoundError):
        store.advance("MH20000101-999999", MatterState.ACCEPTED, "", "s1")


def test_supplement_rejects_unknown_materials_and_closed_states(store: MatterStore) -> None:
    number = _create(store).number
    with pytest.raises(InvalidInputError, match="不在材料清单中"):
        store.supplement(number, A, ["身份证"])
    store.supplement(number, A, ["营业执照", "食品经营许可申请书"])
    store.submit(number, A)
    with pytest.raises(IllegalTransitionError, match="不能补充材料"):
        store.supplement(number, A, ["场所平面图"])


def test_an_enterprise_cannot_read_or_change_another_enterprises_matter(store: MatterStore) -> None:
    number = _create(store).number
    assert store.get(number, B) is None
    assert store.list_for(B) == []
    with pytest.raises(NotFoundError):
        store.supplement(number, B, ["营业执照"])
    with pytest.raises(NotFoundError):
        store.submit(number, B)
    mine = store.get(number, A)
    assert mine is not None and mine.missing_materials == ("营业执照", "食品经营许可申请书")
    assert [m.number for m in store.list_for(A)] == [number]


def test_events_are_append_only_in_the_table(store: MatterStore, sessions: SessionFactory) -> None:
    number = _create(store).number
    store.supplement(number, A, ["营业执照", "食品经营许可申请书"])
    store.submit(number, A)
    with sessions() as session:
        matter_id = session.scalars(select(MatterRow.id).where(MatterRow.number == number)).one()
        rows = session.scalars(select(MatterEventRow).where(MatterEventRow.matter_id == matter_id)).all()
        assert [(r.from_state, r.to_state) for r in rows] == [(None, "draft"), ("draft", "submitted")]
