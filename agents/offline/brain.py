"""The offline brain: a deterministic `BaseChatModel` that drives the real agent loop without any language model.

Per request it reads the conversation's last message:
- a user message: intent (`classify_intent`) and slots (`extract_slots`) pick ONE tool call, a clarifying question
  (when a required item is missing) or a plain answer (greeting, out of scope, injection refused);
- a tool result: the final answer is rendered from the tool's JSON (`agents.offline.render`), quoting every number,
  status and clause from it.

Every answer's `response_metadata` carries {"brain": "offline", "intent", "confidence"} (and citations for knowledge
answers). Multi-turn slot filling (start_matter, book_appointment, rate_request, register_lead) is not done yet:
those intents get a clarifying question for the first missing item.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.tool import tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr

from agents.offline.answer import HUMAN_OFFER
from agents.offline.intents import IntentGuess, classify_intent
from agents.offline.render import render_result
from agents.offline.slots import Slots, extract_slots
from tools.agent_tools.context import ToolServices

MATTER_SCORE = 0.8  # a dictionary match at least this good names the matter the user means
GREETING = (
    "您好！我是闵服政务智能助手，可以为您：解答惠企政策和法规问题（注明出处）、查询办事指南、查询本企业办件进度、"
    "匹配可享受的政策、为投资项目推荐载体，也可以帮您提交诉求或转人工服务。请问有什么可以帮您？"
)
OUT_OF_SCOPE = "抱歉，这个问题超出了我的服务范围（政务服务、惠企政策、办件和招商咨询），为避免误导，我不作推测。"
INJECTION_REFUSED = (
    "抱歉，我不能按该要求操作：对话内容不会改变任何权限，我只能查询当前登录企业自己的办件和诉求。"
    "如需查询本企业的办件，请直接说“我的办件到哪一步了”。"
)
TOOL_UNAVAILABLE = "抱歉，当前无法使用该功能。"


@dataclass(frozen=True)
class Step:
    """What the brain does with a user message: call `tool` with `args`, or say `text`."""

    text: str = ""
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """One user message, read: its text, intent guess and slots."""

    text: str
    guess: IntentGuess
    slots: Slots
    matter: str | None  # the dictionary matter the message names, if any


class OfflineBrain(BaseChatModel):
    """Deterministic chat model for `create_agent(OfflineBrain(services=...), tools=ALL_TOOLS, ...)`."""

    services: Any  # ToolServices (typed Any: pydantic does not validate the service graph)
    _names: tuple[str, ...] | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "offline"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """A bound copy that knows which tools it may call (as provider models receive them)."""
        schemas = [convert_to_openai_tool(tool) for tool in tools]
        return self.bind(tools=schemas, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        bound = frozenset(schema["function"]["name"] for schema in kwargs.get("tools") or ())
        return ChatResult(generations=[ChatGeneration(message=self.respond(messages, bound))])

    def respond(self, messages: Sequence[BaseMessage], bound: frozenset[str] = frozenset()) -> AIMessage:
        """The next message of the conversation: a tool call or an answer."""
        question = _last_human(messages)
        turn = self.read(question)
        metadata = {"brain": "offline", "intent": turn.guess.intent, "confidence": turn.guess.confidence}
        last = messages[-1] if messages else None
        if isinstance(last, ToolMessage):
            text, extra = _answer_from_tool(last, messages)
            return AIMessage(content=text, response_metadata=metadata | extra)
        step = plan(turn)
        if step.tool is None:
            return AIMessage(content=step.text, response_metadata=metadata)
        if bound and step.tool not in bound:
            return AIMessage(content=f"{TOOL_UNAVAILABLE}{HUMAN_OFFER}", response_metadata=metadata)
        call = tool_call(name=step.tool, args=step.args, id=f"offline-{len(messages)}")
        return AIMessage(content="", tool_calls=[call], response_metadata=metadata)

    def read(self, text: str) -> Turn:
        """Intent, slots and the named matter of one user message."""
        guess = classify_intent(text, matter_names=self._matter_names())
        today = self._services().today()
        return Turn(text, guess, extract_slots(text, today=today), self._matter(text))

    def _services(self) -> ToolServices:
        services: ToolServices = self.services
        return services

    def _matter_names(self) -> tuple[str, ...]:
        if self._names is None:
            matters = self._services().dictionary.matters
            self._names = tuple(name for matter in matters for name in matter.names())
        return self._names

    def _matter(self, text: str) -> str | None:
        matches = self._services().dictionary.find(text, k=1) if text.strip() else []
        return matches[0].matter.name if matches and matches[0].score >= MATTER_SCORE else None


# planning a user turn -----------------------------------------------------------------------------------------------
def plan(turn: Turn) -> Step:
    """One step for a user message (see the module docstring)."""
    guess = turn.guess
    if guess.evidence.startswith("疑似提示注入") and guess.intent not in ("policy_question", "service_guide"):
        return Step(text=INJECTION_REFUSED)
    intent = guess.intent
    if intent == "out_of_scope" and turn.matter:
        intent = "service_guide"  # the dictionary knows the colloquial name (奶茶店 → 食品经营许可)
    elif intent == "service_guide" and not turn.matter:
        intent = "policy_question"  # a guide needs a matter; a question that names none is answered from the texts
    planner = _PLANNERS.get(intent)
    return planner(turn) if planner else Step(text=f"{OUT_OF_SCOPE}{HUMAN_OFFER}")


def _policy(turn: Turn) -> Step:
    return Step(tool="search_knowledge", args={"query": turn.text})


def _guide(turn: Turn) -> Step:
    return Step(tool="get_service_guide", args={"name_or_code": turn.text})


def _track(turn: Turn) -> Step:
    if turn.slots.matter_number:
        return Step(tool="track_matter", args={"matter_number": turn.slots.matter_number})
    return Step(tool="list_my_matters")


def _match(turn: Turn) -> Step:
    slots = turn.slots
    facts: dict[str, Any] = {
        "industry": slots.sector or slots.industry,
        "employees": slots.headcount,
        "revenue_wan": slots.amount_wan,
        "registered_town": slots.town,
        "registered_on": slots.registered_on.isoformat() if slots.registered_on else None,
        "rd_ratio": slots.percentage,
        "certifications": list(slots.certifications) or None,
    }
    return Step(tool="match_policies", args={key: value for key, value in facts.items() if value is not None})


def _investment(turn: Turn) -> Step:
    slots = turn.slots
    budget = slots.monthly_rent_yuan
    if budget is None and slots.amount_wan is not None and "月" in turn.text:
        budget = slots.amount_wan * 10_000
    facts = {"industry": slots.industry, "area_sqm": slots.area_m2, "budget_yuan_per_month": budget, "town": slots.town}
    return Step(tool="recommend_sites", args={key: value for key, value in facts.items() if value is not None})


def _request(turn: Turn) -> Step:
    return Step(tool="submit_request", args={"category": "其他", "text": turn.text})


def _handoff(turn: Turn) -> Step:
    return Step(tool="handoff_to_human", args={"reason": turn.text})


def _greeting(_turn: Turn) -> Step:
    return Step(text=GREETING)


# clarifying questions (multi-turn slot filling is not done yet) -------------------------------------------------
def _start(turn: Turn) -> Step:
    if not turn.matter:
        return Step(text="请问您要办理哪个事项？（例如“食品经营许可”“开店一件事”）")
    return Step(text=f"好的，为您办理「{turn.matter}」。请问办件联系人的姓名是？")


def _appointment(turn: Turn) -> Step:
    if not turn.matter:
        return Step(text="请问您要预约办理哪项业务？")
    return Step(text=f"请问您希望哪一天到窗口办理「{turn.matter}」？")


def _rate(turn: Turn) -> Step:
    number = turn.slots.ticket_number
    if not number:
        return Step(text="请提供要评价的诉求编号（例如 SQ20260101-000001）。")
    return Step(text=f"请问您对诉求 {number} 的处理结果打几分？（1 分很不满意，5 分非常满意）")


def _lead(_turn: Turn) -> Step:
    return Step(text="好的，可以为您登记投资意向，由招商专员联系您。请问投资者（或企业）名称是？")


def _supplement(turn: Turn) -> Step:
    if not turn.slots.matter_number:
        return Step(text="请提供要补充材料的办件编号（例如 MH20260101-000001）。")
    return Step(text=f"请问办件 {turn.slots.matter_number} 您已准备好哪些材料？")


_PLANNERS: dict[str, Callable[[Turn], Step]] = {
    "policy_question": _policy,
    "service_guide": _guide,
    "track_matter": _track,
    "match_policies": _match,
    "investment": _investment,
    "submit_request": _request,
    "handoff_human": _handoff,
    "greeting": _greeting,
    "start_matter": _start,
    "book_appointment": _appointment,
    "rate_request": _rate,
    "register_lead": _lead,
    "supplement_materials": _supplement,
}


# answering from a tool result ----------------------------------------------------------------------------------------
def _answer_from_tool(message: ToolMessage, messages: Sequence[BaseMessage]) -> tuple[str, dict[str, Any]]:
    name, args = _call_of(message, messages)
    try:
        result = json.loads(str(message.content))
    except json.JSONDecodeError:
        result = {"ok": False, "error": {"code": "internal_error", "message": "系统暂时无法完成该操作"}}
    if not isinstance(result, dict):
        result = {"ok": False, "error": {"code": "internal_error", "message": "系统暂时无法完成该操作"}}
    text, extra = render_result(name, args, result)
    return text, extra | {"tool": name}


def _call_of(message: ToolMessage, messages: Sequence[BaseMessage]) -> tuple[str, dict[str, Any]]:
    """The name and arguments of the tool call that `message` answers."""
    for earlier in reversed(messages):
        if isinstance(earlier, AIMessage):
            for call in earlier.tool_calls:
                if call["id"] == message.tool_call_id:
                    return call["name"], dict(call["args"])
    return str(message.name or ""), {}


def _last_human(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return ""
