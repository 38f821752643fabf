"""The citation check: refs retrieved this turn are renumbered, invented ones dropped, old texts flagged."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.messages.tool import tool_call

from agents.grounding import check_citations, checked_message, strip_citation_markers
from agents.offline.answer import HISTORY_NOTE
from minfu.domain import Validity
from tools.agent_tools.views import citation_ref

CURRENT: dict[str, Any] = {
    "ref": citation_ref("chunk-a"),
    "chunk_id": "chunk-a",
    "title": "闵行区优化营商环境行动方案",
    "doc_number": "闵府办发〔2026〕1号",
    "article": None,
    "section_path": ["一、完善企业服务机制"],
    "effective_from": "2026-01-01",
    "source": "https://www.shmh.gov.cn/plan",
    "text": "普惠性政策原则上纳入免申即享。" * 20,
    "validity": "current",
}
OLD: dict[str, Any] = {
    "ref": citation_ref("chunk-b"),
    "title": "保障中小企业款项支付条例",
    "doc_number": None,
    "article": "第八条",
    "section_path": [],
    "effective_from": "2020-09-01",
    "source": "bundled/laws/old.md",
    "text": "机关、事业单位从中小企业采购货物，应当自交付之日起30日内支付款项。",
    "validity": "superseded",
}
A, B = CURRENT["ref"], OLD["ref"]


def test_refs_are_renumbered_by_first_appearance() -> None:
    checked = check_citations(f"第一句【{B}】已被替代。第二句[{A}]。第三句【{A}，{B}】。", [CURRENT, OLD])
    assert checked.text == "第一句[1]已被替代。第二句[2]。第三句[2][1]。"
    assert [(c["number"], c["title"]) for c in checked.citations] == [(1, OLD["title"]), (2, CURRENT["title"])]
    assert checked.invented == [] and checked.unnoted_history == []
    assert checked.grounded is True


def test_citations_have_the_offline_shape() -> None:
    citation = check_citations(f"免申即享【{A}】。", [CURRENT]).citations[0]
    keys = {"number", "chunk_id", "title", "doc_number", "article", "section", "effective_from", "source", "excerpt",
            "validity"}  # fmt: skip
    assert set(citation) == keys
    assert citation["chunk_id"] == "chunk-a" and citation["section"] == ["一、完善企业服务机制"]
    assert len(citation["excerpt"]) == 200 and citation["excerpt"].endswith("…")
    assert citation["source"] == "https://www.shmh.gov.cn/plan"
    assert check_citations(f"付款【{B}】已被替代。", [OLD]).citations[0]["chunk_id"] == B  # the ref, as offline


def test_unknown_refs_and_the_models_own_numbers_are_dropped() -> None:
    checked = check_citations(f"补贴 50 万元【K000000】。免申即享 【{A}】。另见[3]。", [CURRENT])
    assert checked.text == "补贴 50 万元。免申即享[1]。另见。"
    assert checked.invented == ["[3]", "K000000"]
    assert checked.grounded is False  # something was claimed on an invented source
    assert [c["number"] for c in checked.citations] == [1]


def test_refs_match_case_insensitively() -> None:
    checked = check_citations(f"免申即享【{A.upper()}】。", [CURRENT])
    assert checked.text == "免申即享[1]。" and checked.invented == []


def test_an_answer_citing_nothing_retrieved_has_no_citations() -> None:
    checked = check_citations("普惠性政策纳入免申即享【K123456】。", [CURRENT])
    assert checked.citations == [] and checked.invented == ["K123456"] and checked.grounded is False


def test_a_superseded_text_presented_as_current_is_flagged_and_noted() -> None:
    checked = check_citations(f"应当在30日内支付【{B}】。", [OLD])
    assert checked.unnoted_history == [B]
    assert checked.text == f"应当在30日内支付[1]{HISTORY_NOTE[Validity.SUPERSEDED]}。"
    assert checked.grounded is False


def test_a_superseded_text_with_a_note_is_not_flagged() -> None:
    for text in (f"旧条例（已被替代）规定30日内支付【{B}】。", f"以下规定已失效。旧条例规定30日内支付【{B}】。"):
        checked = check_citations(text, [OLD])
        assert checked.unnoted_history == [], text
    assert check_citations(f"旧规定30日内支付【{B}】。现行规定见【{A}】。", [OLD, CURRENT]).unnoted_history == [B]


def test_markers_are_stripped_when_nothing_was_searched() -> None:
    assert strip_citation_markers(f"您好【{A}】！请问[K12ab34]有什么可以帮您？") == "您好！请问有什么可以帮您？"


def _turn(answer: AIMessage, result: dict[str, Any]) -> list[Any]:
    call = tool_call(name="search_knowledge", args={"query": "免申即享"}, id="c1")
    return [
        HumanMessage("普惠性政策是否纳入免申即享"),
        AIMessage(content="", tool_calls=[call]),
        ToolMessage(json.dumps(result, ensure_ascii=False), tool_call_id="c1", name="search_knowledge"),
        answer,
    ]


def test_a_follow_up_may_cite_only_what_the_conversation_retrieved() -> None:
    earlier = _turn(AIMessage("旧回答"), {"ok": True, "query": "免申即享", "citations": [CURRENT]})[:3]
    messages = [*earlier, AIMessage("好的"), HumanMessage("那条件呢？")]
    answer = checked_message(messages, AIMessage(f"免申即享【{A}】。另有补贴【K000000】。"))
    assert answer.text == "免申即享[1]。另有补贴。" and answer.response_metadata["brain"] == "openai"
    assert [c["chunk_id"] for c in answer.response_metadata["citations"]] == ["chunk-a"]
    assert answer.response_metadata["invented_citations"] == ["K000000"]
    uncited = checked_message(messages, AIMessage("您好"))
    assert uncited.text == "您好" and "citations" not in uncited.response_metadata


def test_offline_answers_and_tool_calls_pass_unchanged() -> None:
    offline = AIMessage(f"原文【{A}】", response_metadata={"brain": "offline"})
    messages = _turn(offline, {"ok": True, "citations": [CURRENT]})
    assert checked_message(messages[:3], offline) is offline
    calling = AIMessage("", tool_calls=[tool_call(name="search_knowledge", args={"query": "x"}, id="c2")])
    assert checked_message(messages[:3], calling).response_metadata == {"brain": "openai"}


def test_a_failed_search_counts_as_no_search() -> None:
    failed = {"ok": False, "error": {"code": "internal_error", "message": "系统暂时无法完成该操作"}}
    messages = _turn(AIMessage(""), failed)[:3]
    answer = checked_message(messages, AIMessage("系统暂时无法完成该操作，请稍后再试。"))
    assert answer.text == "系统暂时无法完成该操作，请稍后再试。" and "citation_repair" not in answer.response_metadata


def test_a_repair_uses_the_offline_composer_on_the_same_results() -> None:
    hit = {**CURRENT, "text": "普惠性政策原则上纳入免申即享，企业无需申请即可享受。", "why": ["dense+lexical agree"]}
    messages = _turn(AIMessage(""), {"ok": True, "query": "免申即享", "citations": [hit]})[:3]
    answer = checked_message(messages, AIMessage("普惠性政策需要企业逐项申请【K999999】。"))
    metadata = answer.response_metadata
    assert metadata["citation_repair"] == "offline_compose" and metadata["invented_citations"] == ["K999999"]
    assert "逐项申请" not in answer.text and "免申即享" in answer.text and "[1]" in answer.text
    assert metadata["citations"][0]["title"] == CURRENT["title"] and metadata["grounded"] is True


def test_an_answer_reporting_a_later_tool_result_is_not_recomposed() -> None:
    searched = _turn(AIMessage(""), {"ok": True, "query": "免申即享", "citations": [CURRENT]})[:3]
    call = tool_call(name="track_matter", args={"matter_number": "MH20260101-000001"}, id="c2")
    tracked = {"ok": True, "matter": {"matter_number": "MH20260101-000001", "state_label": "已受理"}}
    messages = [
        *searched,
        AIMessage(content="", tool_calls=[call]),
        ToolMessage(json.dumps(tracked, ensure_ascii=False), tool_call_id="c2", name="track_matter"),
    ]
    answer = checked_message(messages, AIMessage("办件 MH20260101-000001 已受理【K999999】。"))
    assert answer.text == "办件 MH20260101-000001 已受理。"
    assert "citation_repair" not in answer.response_metadata
    assert answer.response_metadata["invented_citations"] == ["K999999"]
