"""Curated answers on SQLite and PostgreSQL: adding, superseding, listing, invalidation against a real catalog."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from knowledge.catalog import Catalog
from minfu.domain import Chunk, Document, DocumentKind
from minfu.errors import InvalidInputError
from tools.store.curated import (
    SOURCE_CHANGED,
    SOURCE_GONE,
    SUPERSEDED,
    CuratedAnswerStore,
    Source,
    normalized_question,
    stale_reason,
)
from tools.store.db import SessionFactory
from tools.store.errors import NotFoundError

DOCUMENT = Document(id="law-1", kind=DocumentKind.LAW, title="劳动合同法", source="laws/劳动合同法.md")
CITATION = {"number": 1, "chunk_id": "law-1#aaaa", "title": "劳动合同法", "article": "第十九条"}


class SteppingClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def chunk(chunk_id: str, content_hash: str, text: str = "试用期最长不得超过六个月。") -> Chunk:
    return Chunk(chunk_id, DOCUMENT.id, 0, text, article="第十九条", content_hash=content_hash)


@pytest.fixture
def store(sessions: SessionFactory) -> CuratedAnswerStore:
    return CuratedAnswerStore(sessions, clock=SteppingClock())


@pytest.fixture
def catalog() -> Catalog:
    catalog = Catalog(None)
    catalog.put(DOCUMENT, [chunk("law-1#aaaa", "aaaa-full-hash")])
    return catalog


def add(store: CuratedAnswerStore, question: str = "试用期最长多久？", answer: str = "最长六个月[1]") -> int:
    return store.add(question, answer, [CITATION], [Source("law-1#aaaa", "aaaa-full-hash")], "mk_staff").id


def test_an_answer_is_stored_with_its_citations_and_sources(store: CuratedAnswerStore) -> None:
    stored = store.get(add(store))
    assert (stored.question, stored.answer, stored.created_by) == ("试用期最长多久？", "最长六个月[1]", "mk_staff")
    assert stored.citations == [CITATION] and stored.sources == (Source("law-1#aaaa", "aaaa-full-hash"),)
    assert stored.valid and stored.created_at == datetime(2026, 12, 2, 1, 1, tzinfo=UTC)


def test_a_new_answer_to_the_same_question_supersedes_the_old_one(store: CuratedAnswerStore) -> None:
    old = add(store, "请问，试用期最长多久？")
    other = add(store, "经济补偿怎么算？")
    new = add(store, "试用期最长多久", "修改后的答复")
    assert not store.get(old).valid and store.get(old).invalidated_reason == SUPERSEDED
    assert store.get(other).valid and store.get(new).valid
    assert [a.id for a in store.list_answers(include_invalid=False)] == [new, other]
    assert [a.id for a in store.list_answers()] == [new, other, old]
    assert store.valid_questions() == [(other, "经济补偿怎么算？"), (new, "试用期最长多久")]


def test_stale_sources_are_found_changed_or_gone(catalog: Catalog) -> None:
    assert stale_reason([Source("law-1#aaaa", "aaaa-full-hash")], catalog) is None
    assert stale_reason([Source("law-1#aaaa", "another-hash")], catalog) == SOURCE_CHANGED
    assert stale_reason([Source("law-1#gone", "x")], catalog) == SOURCE_GONE
    assert stale_reason([], catalog) is None  # an answer resting on no text never goes stale


def test_invalidate_stale_marks_only_answers_whose_chunks_changed(store: CuratedAnswerStore, catalog: Catalog) -> None:
    resting = add(store)
    assert store.invalidate_stale(catalog) == []
    catalog.put(DOCUMENT, [chunk("law-1#bbbb", "bbbb-full-hash", "试用期最长不得超过三个月。")])  # re-ingested text
    invalidated = store.invalidate_stale(catalog)
    assert [a.id for a in invalidated] == [resting] and invalidated[0].invalidated_reason == SOURCE_GONE
    assert not store.get(resting).valid and store.invalidate_stale(catalog) == []


def test_invalidate_keeps_the_first_reason_and_delete_removes(store: CuratedAnswerStore) -> None:
    answer = add(store)
    first = store.invalidate(answer, "工作人员停用")
    assert store.invalidate(answer, "又一次").invalidated_reason == "工作人员停用" == first.invalidated_reason
    assert store.delete(answer).id == answer
    with pytest.raises(NotFoundError):
        store.get(answer)
    with pytest.raises(NotFoundError):
        store.delete(answer)
    with pytest.raises(NotFoundError):
        store.invalidate(answer, "停用")


@pytest.mark.parametrize(
    ("question", "answer", "citations"),
    [
        ("", "答复", []),
        ("问题", "  ", []),
        ("问", "答", ["not a dict"]),
        ("问", "答", [{}] * 21),
        ("问" * 2001, "答", []),
    ],
)
def test_bad_input_is_refused(store: CuratedAnswerStore, question: str, answer: str, citations: list[Any]) -> None:
    with pytest.raises(InvalidInputError):
        store.add(question, answer, citations, [], "mk_staff")


@pytest.mark.parametrize(
    ("asked", "normalised"),
    [
        ("请问，试用期最长多久？", "试用期最长多久"),
        ("你好 试用期最长多久吗?", "试用期最长多久"),
        ("ＡＢＣ公司怎么注册呢！！", "abc公司怎么注册"),
        ("吗", "吗"),  # a question that is only a particle stays itself
    ],
)
def test_questions_are_normalised_before_comparing(asked: str, normalised: str) -> None:
    assert normalized_question(asked) == normalised
