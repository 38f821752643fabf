"""An endpoint that fails (HTTP 500, a timeout, a refused connection) hands the turn to the offline brain."""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from agents.brains.fallback import BrainFallbackMiddleware, failure_reason
from agents.brains.openai import MAX_RETRIES, build_openai_brain
from agents.offline.brain import OfflineBrain
from agents.testing import ScriptedChatModel, ScriptError, ToolCallTurn
from minfu.settings import Settings
from tests.agents.brains.helpers import (
    MINE,
    QUESTION,
    SECRET,
    final_answer,
    llm_settings,
    run,
    search_results,
    tools_called,
)
from tests.agents.brains.stub import Reply, StubLLM
from tools.agent_tools import ALL_TOOLS, ToolContext, ToolServices

ATTEMPTS = MAX_RETRIES + 1  # the client retries once before the middleware sees the failure


def _assert_offline_answered(messages: list[BaseMessage], reason_kind: str) -> AIMessage:
    answer = final_answer(messages)
    metadata = answer.response_metadata
    assert metadata["brain"] == "offline" and metadata["fallback_from"] == "openai"
    assert metadata["fallback_reason"].startswith(reason_kind)
    return answer


def test_an_http_500_falls_back_and_the_turn_still_answers(
    stub: StubLLM, services: ToolServices, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    stub.enqueue(*[Reply.error(500)] * ATTEMPTS)
    messages = run(build_openai_brain(llm_settings(stub)), services, QUESTION, MINE)
    answer = _assert_offline_answered(messages, "http_500")
    assert tools_called(messages) == ["search_knowledge"]  # the offline brain planned and answered the whole turn
    assert "[1]" in answer.text and answer.response_metadata["citations"]
    assert len(stub.requests) == ATTEMPTS  # once fallen back, the turn does not go back to the failing endpoint
    assert "offline brain answers instead" in caplog.text
    assert SECRET not in caplog.text and SECRET not in str(answer.response_metadata)
    assert stub.headers[0]["authorization"] == f"Bearer {SECRET}"  # the key went to the endpoint, not to the logs


def test_a_timeout_falls_back(stub: StubLLM, services: ToolServices) -> None:
    timeout_s = 0.3
    stub.enqueue(*[Reply.slow(timeout_s + 1.5)] * ATTEMPTS)
    started = time.monotonic()
    messages = run(build_openai_brain(llm_settings(stub, timeout_s=timeout_s)), services, QUESTION)
    elapsed = time.monotonic() - started
    answer = _assert_offline_answered(messages, "timeout")
    assert "[1]" in answer.text
    assert elapsed < ATTEMPTS * timeout_s + 3.0  # the client's timeout held: no wait for the slow replies


def test_a_failure_after_a_tool_call_renders_that_tool_result_offline(stub: StubLLM, services: ToolServices) -> None:
    stub.enqueue(Reply.call("search_knowledge", {"query": QUESTION}), *[Reply.error(503)] * ATTEMPTS)
    messages = run(build_openai_brain(llm_settings(stub)), services, QUESTION)
    assert tools_called(messages) == ["search_knowledge"]
    answer = _assert_offline_answered(messages, "http_503")
    first_call = next(m for m in messages if isinstance(m, AIMessage))
    assert first_call.response_metadata["brain"] == "openai"
    titles = {c["title"] for c in search_results(messages)[0]["citations"]}
    assert {c["title"] for c in answer.response_metadata["citations"]} <= titles


def test_a_refused_connection_falls_back(services: ToolServices) -> None:
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = Settings(brain="openai", llm_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout_s=2.0)
    messages = run(build_openai_brain(settings), services, "你好")
    answer = _assert_offline_answered(messages, "connection")
    assert "您好" in answer.text


def test_the_async_path_falls_back_too(stub: StubLLM, services: ToolServices) -> None:
    stub.enqueue(*[Reply.error(502)] * ATTEMPTS)
    agent = create_agent(
        build_openai_brain(llm_settings(stub)),
        tools=ALL_TOOLS,
        context_schema=ToolContext,
        middleware=[BrainFallbackMiddleware(OfflineBrain(services=services))],
    )
    context = ToolContext(services=services, enterprise=None, conversation_id="async")
    out = asyncio.run(agent.ainvoke({"messages": [HumanMessage(QUESTION)]}, context=context))
    answer = _assert_offline_answered(out["messages"], "http_502")
    assert "[1]" in answer.text


def test_a_broken_test_script_is_not_hidden_by_the_fallback(services: ToolServices) -> None:
    model = ScriptedChatModel.script(ToolCallTurn([("no_such_tool", {})]))
    agent = create_agent(
        model,
        tools=ALL_TOOLS,
        context_schema=ToolContext,
        middleware=[BrainFallbackMiddleware(OfflineBrain(services=services))],
    )
    context = ToolContext(services=services, enterprise=None, conversation_id="script")
    with pytest.raises(ScriptError):
        agent.invoke({"messages": [HumanMessage("你好")]}, context=context)


def test_failure_reasons_name_the_kind_and_nothing_else() -> None:
    assert failure_reason(TimeoutError("secret-ish detail")) == "timeout: 大模型服务响应超时"
    assert failure_reason(ConnectionRefusedError("10.0.0.1")) == "connection: 无法连接大模型服务"
    assert failure_reason(RuntimeError("x")) == "error: 大模型服务调用失败（RuntimeError）"
