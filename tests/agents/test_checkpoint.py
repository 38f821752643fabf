"""The SQL checkpointer: langgraph's saver contract, and a real agent whose conversation survives a restart.

Every test runs on a fresh SQLite file and on a fresh PostgreSQL schema (skipped, with the reason, only when the
server cannot be reached), like the store tests.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from alembic import command
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.checkpoint.base import Checkpoint, CheckpointTuple, empty_checkpoint
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.serde.types import ERROR, INTERRUPT
from sqlalchemy import Engine, create_mock_engine, func, inspect, select

from agents.checkpoint import LIST_PAGE_SIZE, SqlCheckpointer
from agents.testing import ScriptedChatModel, ToolCallTurn
from minfu.errors import ConfigurationError
from tests.tools.store.conftest import _postgres_schema
from tools.store import make_engine, upgrade
from tools.store.db import alembic_config
from tools.store.models import ConversationCheckpointRow, ConversationWriteRow


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'conversations.sqlite'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    schema = _postgres_schema()
    engine = next(schema)
    upgrade(engine)
    yield engine
    next(schema, None)  # drops the schema


@pytest.fixture
def saver(engine: Engine) -> SqlCheckpointer:
    return SqlCheckpointer(engine)


def _thread(thread_id: str, checkpoint_ns: str = "") -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": checkpoint_ns}}


def _checkpoint(**values: Any) -> Checkpoint:
    """A checkpoint with a fresh, later id than any made before it."""
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = dict(values)
    checkpoint["channel_versions"] = dict.fromkeys(values, "00000000000000000000000000000001.1")
    return checkpoint


def _put_chain(saver: Any, config: RunnableConfig, count: int, **metadata: Any) -> list[RunnableConfig]:
    """`count` checkpoints, each the child of the one before; metadata step i, source input for even steps."""
    configs = []
    for step in range(count):
        checkpoint = _checkpoint(messages=[f"第{step}条"], step=step)
        source = "input" if step % 2 == 0 else "loop"
        config = saver.put(config, checkpoint, {"source": source, "step": step, **metadata}, {})
        configs.append(config)
    return configs


def _ids(tuples: Any) -> list[str]:
    return [item.config["configurable"]["checkpoint_id"] for item in tuples]


def _id(config: RunnableConfig) -> str:
    return str(config["configurable"]["checkpoint_id"])


# --- the saver contract ------------------------------------------------------------------------------------------


def test_put_then_get_latest_and_by_id(saver: SqlCheckpointer) -> None:
    first = _checkpoint(messages=["你好"])
    first_config = saver.put({**_thread("t1"), "metadata": {"user": "张三"}}, first, {"source": "input"}, {})
    second = _checkpoint(messages=["你好", "您好，请问办什么事？"])
    second_config = saver.put(first_config, second, {"source": "loop", "step": 0}, {})

    latest = saver.get_tuple(_thread("t1"))
    assert latest is not None
    assert latest.config == second_config
    assert latest.checkpoint == second
    assert latest.metadata == {"source": "loop", "step": 0}
    assert latest.parent_config == first_config
    assert latest.pending_writes == []

    by_id = saver.get_tuple(first_config)
    assert by_id is not None
    assert by_id.config is first_config
    assert by_id.checkpoint["channel_values"] == {"messages": ["你好"]}
    assert by_id.metadata == {"source": "input", "user": "张三"}  # config metadata joins, as in langgraph
    assert by_id.parent_config is None


def test_get_tuple_of_an_unknown_thread_id_or_namespace_is_none(saver: SqlCheckpointer) -> None:
    (config,) = _put_chain(saver, _thread("t1"), 1)
    assert saver.get_tuple(_thread("t2")) is None
    assert saver.get_tuple(_thread("t1", "child:1")) is None
    assert saver.get_tuple({"configurable": {**config["configurable"], "checkpoint_id": "1f0-none"}}) is None


def test_put_with_an_existing_id_replaces_the_checkpoint(saver: SqlCheckpointer) -> None:
    checkpoint = _checkpoint(messages=["旧"])
    saver.put(_thread("t1"), checkpoint, {"source": "loop", "step": 1}, {})
    checkpoint["channel_values"] = {"messages": ["新"]}
    saver.put(_thread("t1"), checkpoint, {"source": "loop", "step": 2}, {})
    listed = list(saver.list(_thread("t1")))
    assert len(listed) == 1
    assert listed[0].checkpoint["channel_values"] == {"messages": ["新"]}
    assert listed[0].metadata["step"] == 2


def test_list_is_newest_first_and_honours_before_limit_and_filter(saver: SqlCheckpointer) -> None:
    configs = _put_chain(saver, _thread("t1"), 5, channel="web")
    _put_chain(saver, _thread("t2"), 2, channel="web")
    newest_first = [_id(config) for config in reversed(configs)]

    assert _ids(saver.list(_thread("t1"))) == newest_first
    assert _ids(saver.list(_thread("t1"), before=configs[3])) == newest_first[2:]
    assert _ids(saver.list(_thread("t1"), limit=2)) == newest_first[:2]
    assert _ids(saver.list(_thread("t1"), filter={"source": "input"})) == [_id(configs[i]) for i in (4, 2, 0)]
    assert _ids(saver.list(_thread("t1"), filter={"source": "input", "step": 2})) == [_id(configs[2])]
    assert _ids(saver.list(_thread("t1"), filter={"source": "input"}, limit=1)) == [_id(configs[4])]
    assert _ids(saver.list(_thread("t1"), filter={"channel": "电话"})) == []
    assert _ids(saver.list(configs[1])) == [_id(configs[1])]
    assert list(saver.list(_thread("t1"), limit=0)) == []
    assert len(list(saver.list(None, filter={"channel": "web"}))) == 7


def test_list_and_get_keep_namespaces_apart(saver: SqlCheckpointer) -> None:
    root = _put_chain(saver, _thread("t1"), 2)
    child = _put_chain(saver, _thread("t1", "tools:abc"), 1)
    assert _ids(saver.list(_thread("t1"))) == [_id(root[1]), _id(root[0])]
    assert _ids(saver.list(_thread("t1", "tools:abc"))) == [_id(child[0])]
    assert set(_ids(saver.list({"configurable": {"thread_id": "t1"}}))) == {_id(c) for c in root + child}
    latest_child = saver.get_tuple(_thread("t1", "tools:abc"))
    assert latest_child is not None
    assert latest_child.config == child[0]


def test_list_reads_page_by_page_and_lets_the_caller_write_meanwhile(saver: SqlCheckpointer) -> None:
    count = LIST_PAGE_SIZE * 2 + 5
    configs = _put_chain(saver, _thread("t1"), count)
    seen = []
    for item in saver.list(_thread("t1")):
        seen.append(item)
        saver.put_writes(item.config, [("messages", "读后写")], "task-1")  # must not wait on the list's read
    assert _ids(seen) == [_id(config) for config in reversed(configs)]
    assert len(list(saver.list(_thread("t1"), limit=LIST_PAGE_SIZE + 1))) == LIST_PAGE_SIZE + 1
    assert len(list(saver.list(_thread("t1"), filter={"source": "loop"}))) == count // 2
    last = saver.get_tuple(configs[0])
    assert last is not None
    assert last.pending_writes == [("task-1", "messages", "读后写")]


def test_put_writes_show_as_pending_writes_in_writes_sort_key_order(saver: SqlCheckpointer) -> None:
    (config,) = _put_chain(saver, _thread("t1"), 1)
    saver.put_writes(config, [("messages", "乙1"), ("route", "b")], "task-b", "~__pregel_pull, tools")
    saver.put_writes(config, [("messages", "甲1")], "task-a", "~__pregel_pull, tools")
    saver.put_writes(config, [("messages", "输入")], "task-z")
    got = saver.get_tuple(_thread("t1"))
    assert got is not None
    assert got.pending_writes == [
        ("task-z", "messages", "输入"),
        ("task-a", "messages", "甲1"),
        ("task-b", "messages", "乙1"),
        ("task-b", "route", "b"),
    ]
    listed = next(iter(saver.list(_thread("t1"))))
    assert listed.pending_writes == got.pending_writes


def test_a_stored_regular_write_is_kept_and_a_special_write_replaced_as_in_memory_saver(
    saver: SqlCheckpointer,
) -> None:
    memory = InMemorySaver()
    for each in (saver, memory):
        (config,) = _put_chain(each, _thread("t1"), 1)
        each.put_writes(config, [("messages", "第一次"), (ERROR, "超时")], "task-1", "p")
        each.put_writes(config, [("messages", "重试"), (ERROR, "又超时"), (INTERRUPT, "请确认")], "task-1", "p")
    got = saver.get_tuple(_thread("t1"))
    assert got is not None
    assert got.pending_writes == [
        ("task-1", INTERRUPT, "请确认"),
        ("task-1", ERROR, "又超时"),
        ("task-1", "messages", "第一次"),
    ]
    expected = memory.get_tuple(_thread("t1"))
    assert expected is not None
    assert got.pending_writes == expected.pending_writes


def test_concurrent_writes_of_one_key_neither_fail_nor_duplicate(saver: SqlCheckpointer, engine: Engine) -> None:
    (config,) = _put_chain(saver, _thread("t1"), 1)
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        start.wait()
        try:
            saver.put_writes(config, [("messages", f"第{n}次"), (ERROR, f"错{n}")], "task-1")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(ConversationWriteRow)).scalar() == 2


def test_delete_thread_removes_its_checkpoints_and_writes_only(saver: SqlCheckpointer, engine: Engine) -> None:
    for thread_id in ("t1", "t2"):
        for config in _put_chain(saver, _thread(thread_id), 2) + _put_chain(saver, _thread(thread_id, "sub:1"), 1):
            saver.put_writes(config, [("messages", "写")], "task-1")
    saver.delete_thread("t1")
    assert saver.get_tuple(_thread("t1")) is None
    assert list(saver.list({"configurable": {"thread_id": "t1"}})) == []
    with engine.connect() as connection:
        for row_type in (ConversationCheckpointRow, ConversationWriteRow):
            threads = connection.execute(select(row_type.thread_id).distinct()).scalars().all()
            assert threads == ["t2"]
    assert len(list(saver.list({"configurable": {"thread_id": "t2"}}))) == 3


def test_next_versions_increase_as_text_like_in_memory_saver(saver: SqlCheckpointer) -> None:
    versions = [saver.get_next_version(None, None)]
    for _ in range(12):
        versions.append(saver.get_next_version(versions[-1], None))
    assert versions == sorted(versions)
    assert [int(v.split(".")[0]) for v in versions] == list(range(1, 14))
    in_memory = InMemorySaver().get_next_version(None, None)
    assert versions[0].split(".")[0] == in_memory.split(".")[0]


def test_other_databases_are_refused() -> None:
    mysql = create_mock_engine("mysql://u@localhost/db", executor=lambda *_: None)
    with pytest.raises(ConfigurationError, match="不支持"):
        SqlCheckpointer(cast(Engine, mysql))


def test_async_methods_match_the_sync_ones(saver: SqlCheckpointer) -> None:
    async def run() -> tuple[Any, list[CheckpointTuple], Any]:
        config = await saver.aput(_thread("t1"), _checkpoint(messages=["异步"]), {"source": "input"}, {})
        await saver.aput_writes(config, [("messages", "待写")], "task-1")
        got = await saver.aget_tuple(_thread("t1"))
        listed = [item async for item in saver.alist(_thread("t1"))]
        await saver.adelete_thread("t1")
        return got, listed, await saver.aget_tuple(_thread("t1"))

    got, listed, after_delete = asyncio.run(run())
    assert got is not None
    assert got.pending_writes == [("task-1", "messages", "待写")]
    assert [tuple(item) for item in listed] == [tuple(got)]
    assert after_delete is None


def test_migration_0003_downgrades_to_0002_dropping_only_the_conversation_tables(
    saver: SqlCheckpointer, engine: Engine
) -> None:
    _put_chain(saver, _thread("t1"), 1)
    command.downgrade(alembic_config(engine), "0002")
    tables = set(inspect(engine).get_table_names())
    assert not tables & {"conversation_checkpoints", "conversation_writes"}
    assert {"investment_leads", "matters"} <= tables
    upgrade(engine)
    assert saver.get_tuple(_thread("t1")) is None


# --- a real agent ------------------------------------------------------------------------------------------------


@tool
def matter_status(matter_no: str) -> str:
    """查询办件进度。

    Args:
        matter_no: 办件编号
    """
    return f"办件 {matter_no}：受理中"


STATUS_CALL = ToolCallTurn([("matter_status", {"matter_no": "MH2026001"})], text="我查一下。")
FIRST_ANSWER = AIMessage(
    "您的办件 MH2026001 正在受理中。",
    response_metadata={"finish_reason": "stop", "model_name": "scripted-1"},
)


def _agent(model: ScriptedChatModel, checkpointer: SqlCheckpointer) -> Any:
    return create_agent(model, tools=[matter_status], system_prompt="你是闵服助手。", checkpointer=checkpointer)


def _ask(text: str) -> dict[str, Any]:
    return {"messages": [HumanMessage(text)]}


def _shape(messages: list[Any]) -> list[tuple[str, Any]]:
    return [(type(m).__name__, m.content) for m in messages]


def test_a_conversation_continues_across_invocations_and_a_restart(engine: Engine) -> None:
    model = ScriptedChatModel.script(STATUS_CALL, FIRST_ANSWER, "还在受理中，预计三个工作日。")
    agent = _agent(model, SqlCheckpointer(engine))
    thread = {"configurable": {"thread_id": "conv-1"}}
    agent.invoke(_ask("帮我查一下办件"), thread)
    agent.invoke(_ask("现在呢？"), thread)
    assert _shape(model.requests[-1][1:]) == [
        ("HumanMessage", "帮我查一下办件"),
        ("AIMessage", "我查一下。"),
        ("ToolMessage", "办件 MH2026001：受理中"),
        ("AIMessage", "您的办件 MH2026001 正在受理中。"),
        ("HumanMessage", "现在呢？"),
    ]

    restarted = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        model_after = ScriptedChatModel.script("好的，不客气。")
        result = _agent(model_after, SqlCheckpointer(restarted)).invoke(_ask("谢谢"), thread)
    finally:
        restarted.dispose()
    seen = model_after.requests[0][1:]
    before_restart = _shape(model.requests[-1][1:])
    assert _shape(seen) == [*before_restart, ("AIMessage", "还在受理中，预计三个工作日。"), ("HumanMessage", "谢谢")]
    call, tool_result, answer = seen[1], seen[2], seen[3]
    assert isinstance(call, AIMessage)
    assert call.tool_calls == [
        {"name": "matter_status", "args": {"matter_no": "MH2026001"}, "id": "call_1", "type": "tool_call"}
    ]
    assert isinstance(tool_result, ToolMessage)
    assert (tool_result.tool_call_id, tool_result.name) == ("call_1", "matter_status")
    assert answer.response_metadata.items() >= {"finish_reason": "stop", "model_name": "scripted-1"}.items()
    assert [m.id for m in seen] == [m.id for m in result["messages"][:-1]]


def test_two_threads_stay_apart(engine: Engine) -> None:
    model = ScriptedChatModel.script("甲一", "乙一", "甲二")
    agent = _agent(model, SqlCheckpointer(engine))
    a, b = {"configurable": {"thread_id": "a"}}, {"configurable": {"thread_id": "b"}}
    agent.invoke(_ask("我是甲"), a)
    agent.invoke(_ask("我是乙"), b)
    result = agent.invoke(_ask("还是甲"), a)
    assert _shape(model.requests[1][1:]) == [("HumanMessage", "我是乙")]
    assert _shape(result["messages"]) == [
        ("HumanMessage", "我是甲"),
        ("AIMessage", "甲一"),
        ("HumanMessage", "还是甲"),
        ("AIMessage", "甲二"),
    ]


def test_async_agent_keeps_the_conversation(engine: Engine) -> None:
    model = ScriptedChatModel.script(STATUS_CALL, "受理中。", "仍在受理。")
    agent = _agent(model, SqlCheckpointer(engine))
    thread: RunnableConfig = {"configurable": {"thread_id": "async-1"}}

    async def run() -> dict[str, Any]:
        await agent.ainvoke(_ask("查办件"), thread)
        return dict(await agent.ainvoke(_ask("现在呢"), thread))

    result = asyncio.run(run())
    assert [type(m).__name__ for m in result["messages"]] == [
        "HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "HumanMessage", "AIMessage",
    ]  # fmt: skip
    assert _shape(model.requests[-1][1:]) == _shape(result["messages"][:-1])
    history = list(agent.get_state_history(thread))
    assert len(history) == len(list(SqlCheckpointer(engine).list(thread)))
    assert history[0].values["messages"][-1].content == "仍在受理。"
