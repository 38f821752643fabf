"""Helpers for the agent-tool tests: identities, the tool caller and error checks."""

from __future__ import annotations

import json
import uuid
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.graph.state import CompiledStateGraph

from tools.agent_tools import EnterpriseIdentity, ToolContext, ToolServices
from tools.store.uscc import check_char

DATABASE = "tools.sqlite"  # the SQLite file of the `services` fixture, under tmp_path


def make_uscc(n: int) -> str:
    first17 = f"91310112MA1{n:06d}"
    return first17 + check_char(first17)


ENTERPRISE_A = EnterpriseIdentity(make_uscc(11), "上海甲科技有限公司", "张三", "13800138000")
ENTERPRISE_B = EnterpriseIdentity(make_uscc(12), "上海乙餐饮有限公司", "李四", "13900139000")


class Caller:
    """Calls a tool as the agent loop does and returns the parsed result (and the raw ToolMessage)."""

    def __init__(self, graph: CompiledStateGraph[Any, Any, Any, Any], services: ToolServices) -> None:
        self.graph = graph
        self.services = services
        self.last: ToolMessage | None = None

    def __call__(
        self, name: str, args: dict[str, Any], enterprise: EnterpriseIdentity | None = None, conversation: str = "c1"
    ) -> dict[str, Any]:
        call = {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:8]}", "type": "tool_call"}
        context = ToolContext(services=self.services, enterprise=enterprise, conversation_id=conversation)
        out = self.graph.invoke({"messages": [AIMessage("", tool_calls=[call])]}, context=context)
        message = out["messages"][-1]
        assert isinstance(message, ToolMessage)
        self.last = message
        result: dict[str, Any] = json.loads(str(message.content))
        return result


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_error(result: dict[str, Any], code: str, field: str | None = None) -> None:
    assert result["ok"] is False, result
    assert result["error"]["code"] == code, result
    assert is_chinese(result["error"]["message"]), result
    if field is not None:
        assert result["error"].get("field") == field, result
