"""The ChatOpenAI brain drives the real agent loop against a scripted OpenAI-compatible server over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware.types import InputAgentState
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_openai import ChatOpenAI

from agents.brains.openai import MAX_RETRIES, NO_KEY, build_openai_brain
from agents.grounding import CitationCheckMiddleware
from agents.offline.render import knowledge_answer
from minfu.errors import ConfigurationError
from minfu.settings import Settings
from tests.agents.brains.helpers import (
    MINE,
    QUESTION,
    SECRET,
    citing,
    final_answer,
    llm_settings,
    run,
    search_results,
    system_prompt,
    tools_called,
)
from tests.agents.brains.stub import Reply, StubLLM
from tools.agent_tools import ALL_TOOLS, ToolContext, ToolServices


def test_the_brain_is_configured_from_settings(stub: StubLLM) -> None:
    settings = Settings(brain="openai", llm_base_url=stub.base_url, llm_model="qwen-test", llm_temperature=0.3)
    brain = build_openai_brain(settings)
    assert isinstance(brain, ChatOpenAI)
    assert (brain.model_name, brain.temperature, brain.max_retries) == ("qwen-test", 0.3, MAX_RETRIES)
    assert brain.request_timeout == settings.llm_timeout_s
    stub.enqueue(Reply.text("您好"))
    assert brain.invoke("你好").text == "您好"
    assert stub.headers[0]["authorization"] == f"Bearer {NO_KEY}"  # local endpoints need no key; the client needs one
    assert stub.requests[0]["model"] == "qwen-test" and stub.requests[0]["temperature"] == 0.3


def test_an_openai_brain_without_an_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="MINFU_LLM_BASE_URL"):
        Settings(brain="openai")
    with pytest.raises(ConfigurationError, match="MINFU_LLM_BASE_URL"):
        build_openai_brain(Settings(brain="offline"))


def test_a_searched_answer_cites_renumbered_refs(stub: StubLLM, services: ToolServices) -> None:
    stub.enqueue(
        Reply.call("search_knowledge", {"query": "普惠性政策 免申即享"}),
        citing("普惠性政策原则上纳入免申即享【{ref0}】。具体以原文为准【{ref1}】【{ref0}】。"),
    )
    messages = run(build_openai_brain(llm_settings(stub)), services, QUESTION, MINE)
    assert tools_called(messages) == ["search_knowledge"]
    answer = final_answer(messages)
    assert answer.text == "普惠性政策原则上纳入免申即享[1]。具体以原文为准[2][1]。"
    metadata = answer.response_metadata
    assert metadata["brain"] == "openai" and "fallback_from" not in metadata
    retrieved = search_results(messages)[0]["citations"]
    assert [c["number"] for c in metadata["citations"]] == [1, 2]
    assert [c["title"] for c in metadata["citations"]] == [retrieved[0]["title"], retrieved[1]["title"]]
    assert metadata["citations"][0]["excerpt"] == retrieved[0]["text"][:200] or len(retrieved[0]["text"]) > 200
    assert metadata["grounded"] is True


def test_the_request_carries_the_rendered_prompt_and_the_tools(stub: StubLLM, services: ToolServices) -> None:
    stub.enqueue(Reply.text("您好！请问有什么可以帮您？"))
    run(build_openai_brain(llm_settings(stub)), services, "你好", MINE)
    body = stub.requests[0]
    assert body["messages"][0] == {"role": "system", "content": system_prompt(services, MINE)}
    prompt = body["messages"][0]["content"]
    assert MINE.name in prompt and services.today().isoformat() in prompt
    assert body["messages"][1] == {"role": "user", "content": "你好"}
    assert {tool["function"]["name"] for tool in body["tools"]} == {tool.name for tool in ALL_TOOLS}
    assert stub.headers[0]["authorization"] == f"Bearer {SECRET}"


def test_an_answer_citing_an_unknown_ref_is_recomposed_offline(stub: StubLLM, services: ToolServices) -> None:
    stub.enqueue(
        Reply.call("search_knowledge", {"query": QUESTION}),
        Reply.text("普惠性政策一律自动发放 50 万元【K000000】。"),
    )
    messages = run(build_openai_brain(llm_settings(stub)), services, QUESTION)
    result = search_results(messages)[0]
    assert "K000000" not in {c["ref"] for c in result["citations"]}
    answer = final_answer(messages)
    expected = knowledge_answer(QUESTION, result)
    assert answer.text == expected.text and "50 万元" not in answer.text and "[1]" in answer.text
    metadata = answer.response_metadata
    assert metadata["citation_repair"] == "offline_compose"
    assert metadata["invented_citations"] == ["K000000"]
    assert metadata["citations"] == [c.to_json() for c in expected.citations]
    assert metadata["grounded"] is expected.grounded is True


def test_an_answer_without_a_search_passes_with_markers_stripped(stub: StubLLM, services: ToolServices) -> None:
    stub.enqueue(Reply.text("您好！我可以解答政策问题【K123456】。"))
    answer = final_answer(run(build_openai_brain(llm_settings(stub)), services, "你好"))
    assert answer.text == "您好！我可以解答政策问题。"
    assert answer.response_metadata["brain"] == "openai" and "citations" not in answer.response_metadata


def test_a_streamed_turn_is_checked_too(stub: StubLLM, services: ToolServices) -> None:
    stub.enqueue(
        Reply.call("search_knowledge", {"query": QUESTION}),
        citing("普惠性政策原则上纳入免申即享【{ref0}】。"),
    )
    agent = create_agent(
        build_openai_brain(llm_settings(stub)),
        tools=ALL_TOOLS,
        context_schema=ToolContext,
        middleware=[CitationCheckMiddleware()],
    )
    context = ToolContext(services=services, enterprise=None, conversation_id="stream")
    question: InputAgentState = {"messages": [HumanMessage(QUESTION)]}
    parts = list(agent.stream(question, context=context, stream_mode=["messages", "values"]))
    assert [body.get("stream") for body in stub.requests] == [True, True]  # token streaming reached the server
    tokens = "".join(chunk.text for mode, (chunk, _meta) in _of(parts, "messages") if isinstance(chunk, AIMessageChunk))
    assert "【" in tokens  # streamed tokens are the raw model text: only the final state is checked
    answer = final_answer([state for _mode, state in _of(parts, "values")][-1]["messages"])
    assert answer.text == "普惠性政策原则上纳入免申即享[1]。"


def _of(parts: list[Any], mode: str) -> list[Any]:
    return [part for part in parts if part[0] == mode]
