"""The conversation middleware every brain runs inside: routing, the per-agent prompt and tools, timings, and the
proactive offer of a human after two unanswered turns in a row.

- `before_agent` (once per user message) picks the agent (`agents.router.route`) and stores it in the state;
- `wrap_model_call` gives the model that agent's system prompt (with the session facts, `agents.session`) and only
  that agent's tools, and stamps the answer with the agent and the model's time;
- `wrap_tool_call` stamps each tool result with its time;
- `after_agent` counts unanswered turns; at two in a row it appends an offer of a human and leaves a yes/no form
  open, so "好的" hands the conversation over. An answer is unanswered when its metadata says `answered` or
  `grounded` is False, or, for a language model (which sets neither), when it declines ("抱歉…无法…") in a turn in
  which no tool succeeded;
- an answer that repeats the system prompt (a model talked into it) is replaced by a refusal before anyone sees it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, NotRequired

from langchain.agents.middleware import AgentMiddleware, AgentState, ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from langgraph.runtime import Runtime
from langgraph.types import Command

from agents.offline.history import pending_form
from agents.offline.planner import offered_handoff
from agents.prompts import render_prompt
from agents.router import AGENT_TOOLS, route
from agents.session import AgentName, SessionInfo
from tools.agent_tools import ToolContext

UNANSWERED_LIMIT = 2
PROMPT_LINE_CHARS = 12  # a prompt line at least this long, repeated verbatim in an answer, counts as a leak
PROMPT_REFUSED = "抱歉，我不能提供系统的内部设定。请问有什么政务服务或政策方面的问题可以帮您？"
_DECLINES = re.compile(
    r"抱歉|对不起|很遗憾|不好意思|无法(回答|提供|确定|判断|找到)|没法|回答不了|不能回答|不知道|不清楚|不确定"
    r"|(超出|不在|不属于).{0,12}(范围|职责)|只能(提供|解答|回答|处理)|暂未找到|没有找到"
)
_FIRST_SENTENCE = re.compile(r"^[^。！？!?\n]*[。！？!?\n]?")
_MARKDOWN = re.compile(r"^[#>*\-\d.\s]+|[`*]")
HANDOFF_OFFER = (
    "这个问题我暂时没能帮您解决。需要我为您转接人工服务（帮办专员）吗？回复“是”即可转接，也可拨打12345热线。"
)


class AssistantState(AgentState):  # type: ignore[type-arg]
    agent: NotRequired[AgentName]
    unanswered: NotRequired[int]


class ConversationMiddleware(AgentMiddleware[AssistantState, ToolContext]):
    state_schema = AssistantState

    def __init__(self, *, matter_names: Sequence[str] = ()) -> None:
        super().__init__()
        self._matter_names = tuple(matter_names)

    def before_agent(self, state: AssistantState, runtime: Runtime[ToolContext]) -> dict[str, Any] | None:
        messages = state["messages"]
        current: AgentName = state.get("agent", "policy")
        if not messages or not isinstance(messages[-1], HumanMessage):
            return None
        answering = pending_form(messages) is not None
        return {"agent": route(messages[-1].text, current, matter_names=self._matter_names, answering=answering)}

    def wrap_model_call(
        self, request: ModelRequest[ToolContext], handler: Callable[[ModelRequest[ToolContext]], ModelResponse[Any]]
    ) -> ModelResponse[Any]:
        agent: AgentName = "investment" if request.state.get("agent") == "investment" else "policy"
        started = time.perf_counter()
        routed = _for_agent(request, agent)
        response = handler(routed)
        stamp = {"agent": agent, "model_ms": round((time.perf_counter() - started) * 1000, 1)}
        prompt = routed.system_message.text if routed.system_message else ""
        result = [_without_prompt(_stamped(m, stamp), prompt) for m in response.result]
        return ModelResponse(result=result, structured_response=response.structured_response)

    def wrap_tool_call(
        self, request: ToolCallRequest, handler: Callable[[ToolCallRequest], ToolMessage | Command[Any]]
    ) -> ToolMessage | Command[Any]:
        started = time.perf_counter()
        result = handler(request)
        if isinstance(result, ToolMessage):
            result.response_metadata["tool_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return result

    def after_agent(self, state: AssistantState, runtime: Runtime[ToolContext]) -> dict[str, Any] | None:
        messages = state["messages"]
        final = messages[-1] if messages else None
        if not isinstance(final, AIMessage) or final.tool_calls:
            return None
        if not _unanswered(final, _this_turn(messages)):
            return {"unanswered": 0}
        streak = state.get("unanswered", 0) + 1
        if streak < UNANSWERED_LIMIT or _handed_over(messages):
            return {"unanswered": streak}
        return {"unanswered": 0, "messages": [_with_handoff_offer(final, _last_question(messages))]}


def _for_agent(request: ModelRequest[ToolContext], agent: AgentName) -> ModelRequest[ToolContext]:
    context = request.runtime.context
    session = SessionInfo.of(agent, context.enterprise)
    prompt = render_prompt(agent, today=context.services.today(), identity=session.identity_line())
    tools = [tool for tool in request.tools if _tool_name(tool) in AGENT_TOOLS[agent]]
    return request.override(system_message=session.to_message(prompt), tools=tools)


def _tool_name(tool: Any) -> str:
    return str(tool.get("name", "") if isinstance(tool, dict) else getattr(tool, "name", ""))


def _stamped(message: BaseMessage, stamp: dict[str, Any]) -> BaseMessage:
    if isinstance(message, AIMessage):
        message.response_metadata.update(stamp)
    return message


def _unanswered(message: AIMessage, turn: Sequence[BaseMessage]) -> bool:
    metadata = message.response_metadata
    if "answered" in metadata or "grounded" in metadata:
        return metadata.get("answered") is False or metadata.get("grounded") is False
    if any(_succeeded(m) for m in turn if isinstance(m, ToolMessage)):
        return False
    opening = _FIRST_SENTENCE.match(message.text.strip())
    return bool(opening and _DECLINES.search(opening.group()))  # a refusal says so first; a question asks first


def _succeeded(message: ToolMessage) -> bool:
    try:
        result = json.loads(str(message.content))
    except json.JSONDecodeError:
        return False
    return isinstance(result, dict) and result.get("ok") is True


def _this_turn(messages: Sequence[BaseMessage]) -> Sequence[BaseMessage]:
    starts = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
    return messages[starts + 1 :]


def _without_prompt(message: BaseMessage, prompt: str) -> BaseMessage:
    """A final answer that repeats lines of the system prompt is replaced: the prompt is never shown to a user."""
    if not isinstance(message, AIMessage) or message.tool_calls or not prompt or not _leaks(message.text, prompt):
        return message
    metadata = message.response_metadata | {"prompt_leak_blocked": True, "answered": True}
    return message.model_copy(update={"content": PROMPT_REFUSED, "response_metadata": metadata})


def _leaks(answer: str, prompt: str) -> bool:
    squeezed = re.sub(r"\s+", "", answer)
    lines = (re.sub(r"\s+", "", _MARKDOWN.sub("", line)) for line in prompt.splitlines())
    return any(len(line) >= PROMPT_LINE_CHARS and line in squeezed for line in lines)


def _handed_over(messages: Sequence[BaseMessage]) -> bool:
    """True when this turn already called handoff_to_human."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return False
        if isinstance(message, AIMessage) and any(c["name"] == "handoff_to_human" for c in message.tool_calls):
            return True
    return False


def _last_question(messages: Sequence[BaseMessage]) -> str:
    return next((m.text for m in reversed(messages) if isinstance(m, HumanMessage)), "")


def _with_handoff_offer(final: AIMessage, question: str) -> AIMessage:
    """The same message (same id: the state replaces it) with the offer appended and a yes/no form left open."""
    metadata = final.response_metadata | {"handoff_offered": True, "form": offered_handoff(question).to_json()}
    return final.model_copy(update={"content": f"{final.text}\n{HANDOFF_OFFER}", "response_metadata": metadata})
