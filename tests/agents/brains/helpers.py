"""Helpers for the brain tests: the agent as the lead assembles it, and scripted replies that read the request."""

from __future__ import annotations

import json
from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from pydantic import SecretStr

from agents.brains.fallback import BrainFallbackMiddleware
from agents.grounding import CitationCheckMiddleware
from agents.offline.brain import OfflineBrain
from agents.prompts import describe_identity, render_prompt
from minfu.settings import Settings
from tests.agents.brains.stub import Reply, StubLLM
from tools.agent_tools import ALL_TOOLS, EnterpriseIdentity, ToolContext, ToolServices
from tools.store.uscc import check_char

SECRET = "sk-minfu-test-0123456789abcdef"
QUESTION = "普惠性政策是否纳入免申即享"
_USCC17 = "91310112MA1000031"
MINE = EnterpriseIdentity(_USCC17 + check_char(_USCC17), "上海甲科技有限公司", "张三", "13800138000")


def llm_settings(stub: StubLLM, *, timeout_s: float = 10.0) -> Settings:
    return Settings(brain="openai", llm_base_url=stub.base_url, llm_api_key=SecretStr(SECRET), llm_timeout_s=timeout_s)


def system_prompt(services: ToolServices, enterprise: EnterpriseIdentity | None) -> str:
    return render_prompt("policy", today=services.today(), identity=describe_identity(enterprise))


def run(
    brain: BaseChatModel, services: ToolServices, text: str, enterprise: EnterpriseIdentity | None = None
) -> list[BaseMessage]:
    """One turn of the agent as assembled from these parts: prompt, citation check outside the fallback."""
    agent = create_agent(
        brain,
        tools=ALL_TOOLS,
        context_schema=ToolContext,
        system_prompt=system_prompt(services, enterprise),
        middleware=[CitationCheckMiddleware(), BrainFallbackMiddleware(OfflineBrain(services=services))],
    )
    context = ToolContext(services=services, enterprise=enterprise, conversation_id="brains")
    out = agent.invoke({"messages": [HumanMessage(text)]}, context=context)
    messages: list[BaseMessage] = out["messages"]
    return messages


def final_answer(messages: list[BaseMessage]) -> AIMessage:
    last = messages[-1]
    assert isinstance(last, AIMessage) and not last.tool_calls
    return last


def tools_called(messages: list[BaseMessage]) -> list[str]:
    return [call["name"] for m in messages if isinstance(m, AIMessage) for call in m.tool_calls]


def search_results(messages: list[BaseMessage]) -> list[dict[str, Any]]:
    return [json.loads(m.text) for m in messages if isinstance(m, ToolMessage) and m.name == "search_knowledge"]


def last_tool_result(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON of the latest tool message the model received."""
    tool = [m for m in body["messages"] if m["role"] == "tool"][-1]
    result: dict[str, Any] = json.loads(tool["content"])
    return result


def citing(template: str) -> Any:
    """A reply that fills {ref0}, {ref1}, … with the refs of the latest search result the model received."""

    def reply(body: dict[str, Any]) -> Reply:
        refs = {f"ref{i}": c["ref"] for i, c in enumerate(last_tool_result(body)["citations"])}
        return Reply.text(template.format(**refs))

    return reply
