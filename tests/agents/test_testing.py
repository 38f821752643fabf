"""The scripted fake chat model, alone and inside a real `create_agent` loop."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

import pytest
from langchain.agents import create_agent
from langchain.tools import ToolRuntime
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel

from agents.testing import ScriptedChatModel, ScriptError, ScriptExhausted, ToolCallTurn


@dataclass
class Enterprise:
    name: str


TOOL_RUNS: list[dict[str, Any]] = []


@tool
def matter_status(matter_no: str, runtime: ToolRuntime[Enterprise]) -> str:
    """查询办件进度。

    Args:
        matter_no: 办件编号
    """
    TOOL_RUNS.append({"matter_no": matter_no, "enterprise": runtime.context.name})
    return f"{runtime.context.name} 的办件 {matter_no}：受理中"


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture(autouse=True)
def _clear_tool_runs() -> None:
    TOOL_RUNS.clear()


def _agent(model: ScriptedChatModel, **kwargs: Any) -> Any:
    return create_agent(
        model, tools=[matter_status], system_prompt="你是闵服助手。", context_schema=Enterprise, **kwargs
    )


def _ask(text: str) -> dict[str, Any]:
    return {"messages": [HumanMessage(text)]}


CTX = Enterprise(name="闵行示例公司")
STATUS_CALL = ToolCallTurn([("matter_status", {"matter_no": "MH2026001"})], text="我查一下。")


# --- the model alone ---------------------------------------------------------------------------------------------


def test_text_turns_are_played_in_order_across_invocations() -> None:
    model = ScriptedChatModel.script("第一", "第二")
    assert model.invoke("a").content == "第一"
    assert model.pending == 1
    assert model.invoke("b").content == "第二"
    assert [[m.content for m in request] for request in model.requests] == [["a"], ["b"]]


def test_empty_script_raises_script_exhausted_naming_the_request() -> None:
    model = ScriptedChatModel.script("only")
    model.invoke("a")
    with pytest.raises(ScriptExhausted, match="#2"):
        model.invoke("b")
    assert len(model.requests) == 2  # the failing request is still recorded


def test_default_answers_once_the_queue_is_drained() -> None:
    model = ScriptedChatModel.script("first", default="兜底回答")
    assert [model.invoke("x").content for _ in range(3)] == ["first", "兜底回答", "兜底回答"]


@pytest.mark.parametrize("bad", [42, None, ["list"]])
def test_a_bad_turn_is_rejected_when_enqueued(bad: object) -> None:
    with pytest.raises(ScriptError, match="turn must be"):
        ScriptedChatModel().enqueue(bad)  # type: ignore[arg-type]


def test_a_bad_default_is_rejected_at_construction() -> None:
    with pytest.raises(ScriptError):
        ScriptedChatModel(default=3.5)


def test_tool_call_ids_are_deterministic_and_explicit_ids_kept() -> None:
    model = ScriptedChatModel.script(
        ToolCallTurn([("add", {"a": 1, "b": 2}), ("add", {"a": 3, "b": 4})]),
        ToolCallTurn([("add", {"a": 5, "b": 6}, "mine")]),
        ToolCallTurn([("add", {"a": 7, "b": 8})]),
    )
    bound = model.bind_tools([add])
    ids = [[call["id"] for call in bound.invoke("x").tool_calls] for _ in range(3)]
    assert ids == [["call_1", "call_2"], ["mine"], ["call_3"]]


def test_an_aimessage_turn_is_copied_and_gets_missing_tool_call_ids() -> None:
    turn = AIMessage(content="", tool_calls=[{"name": "add", "args": {"a": 1, "b": 1}, "id": None}])
    model = ScriptedChatModel.script(turn, turn).bind_tools([add])
    first, second = model.invoke("x"), model.invoke("y")
    assert [first.tool_calls[0]["id"], second.tool_calls[0]["id"]] == ["call_1", "call_2"]
    assert turn.id is None
    assert turn.tool_calls[0]["id"] is None


def test_a_callable_turn_sees_the_request_and_may_return_any_turn() -> None:
    def reactive(messages: list[BaseMessage]) -> ToolCallTurn:
        return ToolCallTurn([("add", {"a": len(messages), "b": 0})])

    model = ScriptedChatModel.script(reactive, lambda messages: f"共 {len(messages)} 条")
    bound = model.bind_tools([add])
    assert bound.invoke([HumanMessage("1"), HumanMessage("2")]).tool_calls[0]["args"] == {"a": 2, "b": 0}
    assert bound.invoke("x").content == "共 1 条"


def test_bind_tools_shares_the_queue_and_records_tools_per_request() -> None:
    model = ScriptedChatModel()
    bound = model.bind_tools([add, matter_status], tool_choice="any")
    model.enqueue("after binding")
    assert bound.invoke("x").content == "after binding"
    assert model.bound_tool_names == ("add", "matter_status")
    assert model.request_log[0].tool_names == ("add", "matter_status")
    assert model.request_log[0].tool_choice == "any"
    assert model.pending == 0


def test_calling_a_tool_that_was_not_bound_is_a_script_error() -> None:
    model = ScriptedChatModel.script(ToolCallTurn([("delete_everything", {})]), ToolCallTurn([("add", {})]))
    with pytest.raises(ScriptError, match="delete_everything"):
        model.bind_tools([add]).invoke("x")
    with pytest.raises(ScriptError, match=r"bound only \[\]"):
        model.invoke("unbound model")


def test_stream_splits_text_and_carries_tool_calls_whole_in_one_chunk() -> None:
    model = ScriptedChatModel.script(ToolCallTurn([("add", {"a": 1, "b": 2})], text="一二三四五"), stream_chunk_chars=2)
    chunks = [cast(AIMessageChunk, chunk) for chunk in model.bind_tools([add]).stream("x")]
    assert [c.content for c in chunks] == ["一二", "三四", "五", ""]
    assert [len(c.tool_call_chunks) for c in chunks] == [0, 0, 0, 1]
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.content == "一二三四五"
    assert merged.tool_calls == [{"name": "add", "args": {"a": 1, "b": 2}, "id": "call_1", "type": "tool_call"}]


def test_stream_keeps_usage_metadata_of_an_aimessage_turn() -> None:
    usage = {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
    model = ScriptedChatModel.script(AIMessage(content="好", usage_metadata=usage))
    chunks = list(model.stream("x"))
    assert sum(c.usage_metadata["total_tokens"] for c in chunks if c.usage_metadata) == 7


def test_v3_event_stream_finishes_the_tool_call_with_its_args() -> None:
    model = ScriptedChatModel.script(ToolCallTurn([("add", {"a": 1, "b": 2})], text="算"))
    events = list(model.bind_tools([add]).stream_events("x", version="v3"))
    finished = [e["content"] for e in events if e["event"] == "content-block-finish"]
    assert {"type": "tool_call", "id": "call_1", "name": "add", "args": {"a": 1, "b": 2}} in finished


def test_async_invoke_and_stream() -> None:
    async def run() -> tuple[Any, list[Any]]:
        model = ScriptedChatModel.script("异步", ToolCallTurn([("add", {"a": 1, "b": 1})])).bind_tools([add])
        answer = await model.ainvoke("x")
        chunks = [chunk async for chunk in model.astream("y")]
        return answer, chunks

    answer, chunks = asyncio.run(run())
    assert answer.content == "异步"
    assert [call["name"] for chunk in chunks for call in chunk.tool_call_chunks] == ["add"]


def test_with_structured_output_uses_bind_tools() -> None:
    class Slots(BaseModel):
        town: str

    model = ScriptedChatModel.script(ToolCallTurn([("Slots", {"town": "莘庄镇"})]))
    assert model.with_structured_output(Slots).invoke("x") == Slots(town="莘庄镇")


# --- inside a real create_agent loop -------------------------------------------------------------------------------


def test_agent_runs_the_tool_with_the_scripted_args_and_answers() -> None:
    model = ScriptedChatModel.script(STATUS_CALL, "办件 MH2026001 正在受理中。")
    result = _agent(model).invoke(_ask("我的办件到哪一步了"), context=CTX)
    assert TOOL_RUNS == [{"matter_no": "MH2026001", "enterprise": "闵行示例公司"}]
    final = result["messages"][-1]
    assert isinstance(final, AIMessage)
    assert final.content == "办件 MH2026001 正在受理中。"
    assert model.pending == 0


def test_agent_sends_the_system_prompt_and_then_the_tool_result() -> None:
    model = ScriptedChatModel.script(STATUS_CALL, "好的。")
    _agent(model).invoke(_ask("查办件"), context=CTX)
    first, second = model.requests
    assert isinstance(first[0], SystemMessage)
    assert first[0].content == "你是闵服助手。"
    tool_message = second[-1]
    assert isinstance(tool_message, ToolMessage)
    assert tool_message.tool_call_id == "call_1"
    assert tool_message.content == "闵行示例公司 的办件 MH2026001：受理中"
    assert model.request_log[0].tool_names == ("matter_status",)


def test_stream_mode_messages_surfaces_the_tool_call() -> None:
    model = ScriptedChatModel.script(STATUS_CALL, "受理中。")
    parts = list(_agent(model).stream(_ask("查办件"), context=CTX, stream_mode="messages"))
    chunks = [message for message, meta in parts if meta["langgraph_node"] == "model"]
    names = [call["name"] for chunk in chunks for call in chunk.tool_call_chunks]
    assert names == ["matter_status"]
    assert "".join(str(chunk.content) for chunk in chunks) == "我查一下。受理中。"
    assert len(TOOL_RUNS) == 1


def test_async_agent_stream_surfaces_the_tool_call() -> None:
    model = ScriptedChatModel.script(STATUS_CALL, "受理中。")

    async def run() -> list[Any]:
        stream = _agent(model).astream(_ask("查办件"), context=CTX, stream_mode="messages")
        return [message async for message, _ in stream]

    messages = asyncio.run(run())
    assert any(call["name"] == "matter_status" for m in messages for call in getattr(m, "tool_call_chunks", []))
    assert TOOL_RUNS == [{"matter_no": "MH2026001", "enterprise": "闵行示例公司"}]


def test_successive_agent_runs_consume_the_next_turns() -> None:
    model = ScriptedChatModel.script(STATUS_CALL, "第一次回答", "第二次回答")
    agent = _agent(model)
    first = agent.invoke(_ask("一"), context=CTX)
    second = agent.invoke(_ask("二"), context=CTX)
    assert [first["messages"][-1].content, second["messages"][-1].content] == ["第一次回答", "第二次回答"]
    assert len(model.requests) == 3
    with pytest.raises(ScriptExhausted):
        agent.invoke(_ask("三"), context=CTX)


def test_checkpointer_keeps_history_per_thread() -> None:
    model = ScriptedChatModel.script(STATUS_CALL, "受理中。", "还是受理中。", "新对话。")
    agent = _agent(model, checkpointer=InMemorySaver())
    thread = {"configurable": {"thread_id": "t1"}}
    agent.invoke(_ask("查办件"), thread, context=CTX)
    result = agent.invoke(_ask("现在呢"), thread, context=CTX)
    agent.invoke(_ask("你好"), {"configurable": {"thread_id": "t2"}}, context=CTX)
    humans = [[m.content for m in request if isinstance(m, HumanMessage)] for request in model.requests]
    assert humans == [["查办件"], ["查办件"], ["查办件", "现在呢"], ["你好"]]
    assert [type(m).__name__ for m in result["messages"]] == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "AIMessage",
        "HumanMessage",
        "AIMessage",
    ]
