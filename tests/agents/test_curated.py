"""Curated answers at question time, over the policy fixture's real catalog and a store on SQLite in tmp: matching,
the meaning-mark rule, stale answers never served, citation refs traced to chunks, and the assistant serving one."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from agents.assistant import Assistant, Reply
from agents.curated import MATCH_THRESHOLD, CuratedMatcher, question_similarity
from agents.offline.brain import OfflineBrain
from minfu.errors import InvalidInputError
from tools.agent_tools import ToolServices
from tools.agent_tools.views import citation_ref
from tools.store import make_engine, session_factory, upgrade
from tools.store.audit import AuditLog
from tools.store.curated import SOURCE_CHANGED, CuratedAnswerStore, Source

QUESTION = "涉企报表怎么共享复用？"
ANSWER = "推动更多涉企报表纳入企业数据填报“一件事”，实现数据共享复用。[1]"


@pytest.fixture
def matcher(fixture_services: ToolServices, tmp_path: Path) -> CuratedMatcher:
    engine = make_engine(f"sqlite:///{tmp_path / 'curated.sqlite'}")
    upgrade(engine)
    sessions = session_factory(engine)
    return CuratedMatcher(CuratedAnswerStore(sessions), fixture_services.knowledge.catalog, audit=AuditLog(sessions))


def a_chunk_id(services: ToolServices) -> str:
    return sorted(services.knowledge.catalog.chunk_ids())[0]


def adopt(matcher: CuratedMatcher, services: ToolServices, question: str = QUESTION) -> int:
    chunk_id = a_chunk_id(services)
    citations = [{"number": 1, "chunk_id": chunk_id, "title": "行动方案"}]
    return matcher.store.add(question, ANSWER, citations, matcher.sources_of(citations), "mk_staff").id


@pytest.mark.parametrize(
    ("asked", "curated"),
    [
        ("请问，涉企报表要怎么共享复用呢？", QUESTION),
        ("员工试用期最长可以约定多久？", "员工试用期最长能约定多久？"),
        ("那食品经营许可要准备哪些材料？", "食品经营许可需要准备哪些材料？"),
    ],
)
def test_paraphrases_reach_the_threshold(asked: str, curated: str) -> None:
    assert question_similarity(asked, curated) >= MATCH_THRESHOLD


@pytest.mark.parametrize(
    ("asked", "curated"),
    [
        ("员工试用期最短能约定多久？", "员工试用期最长能约定多久？"),
        ("劳动合同期限三年以上的试用期最长多久", "劳动合同期限一年以上的试用期最长多久"),
        ("个体工商户不可以申请这项补贴吗", "个体工商户可以申请这项补贴吗"),
        ("开咖啡店要办什么证", "开奶茶店要办什么证"),
        ("", QUESTION),
    ],
)
def test_a_different_question_does_not_match(asked: str, curated: str) -> None:
    assert question_similarity(asked, curated) < MATCH_THRESHOLD


def test_the_closest_valid_answer_is_matched(matcher: CuratedMatcher, fixture_services: ToolServices) -> None:
    answer_id = adopt(matcher, fixture_services)
    adopt(matcher, fixture_services, "政务服务智慧办有哪些措施？")
    found = matcher.match("请问，涉企报表要怎么共享复用呢")
    assert found is not None and found.answer.id == answer_id and found.similarity >= MATCH_THRESHOLD
    assert matcher.match("涉企报表最少要填几张") is None


def test_a_stale_answer_is_invalidated_when_matched_and_never_served(matcher: CuratedMatcher) -> None:
    chunk_id = sorted(matcher.catalog.chunk_ids())[0]
    stale = [Source(chunk_id, "a hash the catalog no longer has")]
    answer = matcher.store.add(QUESTION, ANSWER, [{"chunk_id": chunk_id}], stale, "mk_staff")
    assert matcher.match(QUESTION) is None
    assert matcher.store.get(answer.id).invalidated_reason == SOURCE_CHANGED
    assert matcher.match(QUESTION) is None and matcher.invalidate_stale() == []


def test_invalidate_stale_after_an_ingest_is_audited(matcher: CuratedMatcher, tmp_path: Path) -> None:
    chunk_id = sorted(matcher.catalog.chunk_ids())[0]
    answer = matcher.store.add(QUESTION, ANSWER, [], [Source(chunk_id, "old")], "mk_staff")
    assert [a.id for a in matcher.invalidate_stale()] == [answer.id]
    engine = make_engine(f"sqlite:///{tmp_path / 'curated.sqlite'}")
    [event] = AuditLog(session_factory(engine)).recent(action="curated.invalidate")
    assert event.target == f"curated:{answer.id}" and event.detail == {"reason": SOURCE_CHANGED}


def test_citations_are_traced_to_chunks_by_id_or_by_ref(matcher: CuratedMatcher) -> None:
    chunk_id = sorted(matcher.catalog.chunk_ids())[0]
    content_hash = matcher.catalog.chunk(chunk_id).content_hash  # type: ignore[union-attr]
    cited = [{"chunk_id": chunk_id}, {"chunk_id": citation_ref(chunk_id)}, {"ref": citation_ref(chunk_id)}]
    assert matcher.sources_of(cited) == [Source(chunk_id, content_hash)]
    assert matcher.sources_of([]) == []
    for unknown in ({"chunk_id": "K000000"}, {"chunk_id": "policy:none#0"}, {}):
        with pytest.raises(InvalidInputError, match="找不到"):
            matcher.sources_of([unknown])


# the assistant ------------------------------------------------------------------------------------------------------
@pytest.fixture
def assistant(fixture_services: ToolServices, matcher: CuratedMatcher) -> Assistant:
    built = Assistant(fixture_services, OfflineBrain(services=fixture_services))
    built.curated = matcher
    return built


def test_a_curated_answer_is_served_and_kept_in_the_conversation(
    assistant: Assistant, matcher: CuratedMatcher, fixture_services: ToolServices
) -> None:
    answer_id = adopt(matcher, fixture_services)
    reply = assistant.ask("请问，涉企报表要怎么共享复用呢？", conversation_id="c-curated")
    assert (reply.brain, reply.text, reply.tool_calls) == ("curated", ANSWER, [])
    assert reply.metadata["curated"] == answer_id and reply.public_json()["metadata"]["curated"] == answer_id
    assert reply.citations[0]["chunk_id"] == a_chunk_id(fixture_services)
    history = assistant.history("c-curated")
    assert [type(m) for m in history] == [HumanMessage, AIMessage] and history[1].text == ANSWER
    following = assistant.ask("你好", conversation_id="c-curated")  # the agent runs on after a curated turn
    assert following.brain == "offline" and len(assistant.history("c-curated")) == 4


def test_a_curated_turn_streams_only_its_reply(
    assistant: Assistant, matcher: CuratedMatcher, fixture_services: ToolServices
) -> None:
    adopt(matcher, fixture_services)
    events = list(assistant.stream(QUESTION, conversation_id="c-stream"))
    assert len(events) == 1 and isinstance(events[0], Reply) and events[0].brain == "curated"


def test_an_answer_to_an_open_form_is_never_taken_for_a_question(
    assistant: Assistant, matcher: CuratedMatcher, fixture_services: ToolServices
) -> None:
    adopt(matcher, fixture_services, "确认")
    assistant.ask("今天天气怎么样", conversation_id="c-form")
    offered = assistant.ask("给我讲个笑话", conversation_id="c-form")
    assert offered.handoff_offered
    assert assistant.ask("确认", conversation_id="c-form").brain != "curated"
    assert assistant.ask("确认", conversation_id="c-other").brain == "curated"  # no form open there


def test_a_staff_reply_is_appended_to_the_conversation(assistant: Assistant) -> None:
    assistant.ask("你好", conversation_id="c-staff")
    assistant.add_staff_reply("c-staff", " 您好，我是帮办专员。 ", "王专员")
    last = assistant.history("c-staff")[-1]
    assert isinstance(last, AIMessage) and last.text == "您好，我是帮办专员。"
    assert last.response_metadata == {"staff": True, "staff_name": "王专员", "brain": "staff"}
    for text in ("  ", "字" * 2001):
        with pytest.raises(InvalidInputError):
            assistant.add_staff_reply("c-staff", text, "王专员")
    assert len(assistant.history("c-staff")) == 3
