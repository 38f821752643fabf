"""The offline brain: a deterministic `BaseChatModel` that drives the real agent loop without any language model.

Per request it reads the conversation (the session facts on the system message, `agents.session`):
- a user message: a form in progress is advanced (`agents.offline.forms`: items asked one at a time, a confirmation,
  then the tool call); otherwise intent (`classify_intent`) and slots (`extract_slots`) pick ONE tool call, a
  clarifying question or a plain answer (greeting, out of scope, injection refused) (`agents.offline.planner`);
- a tool result: the final answer is rendered from the tool's JSON (`agents.offline.render`), quoting every number,
  status and clause from it; a form that waits on the result (time slots, missing materials) gets its options.

Every answer's `response_metadata` carries {"brain": "offline", "intent", "confidence", "answered"}, the open form
(if any) and, for knowledge answers, the citations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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
from agents.offline.forms import SPECS, Form, offered_start, retry_after_login, with_options
from agents.offline.intents import classify_intent
from agents.offline.planner import Context, plan
from agents.offline.render import options_of, render_result
from agents.offline.slots import extract_slots
from agents.offline.turns import Step, Turn
from agents.session import session_of
from tools.agent_tools.context import ToolServices
from tools.dictionary import ServiceMatter

MATTER_SCORE = 0.8  # a dictionary match at least this good names the matter the user means
TOOL_UNAVAILABLE = "抱歉，当前无法使用该功能。"
INTERNAL_ERROR = {"ok": False, "error": {"code": "internal_error", "message": "系统暂时无法完成该操作"}}


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
        turn = self.read(_last_human(messages))
        metadata = {"brain": "offline", "intent": turn.guess.intent, "confidence": turn.guess.confidence}
        last = messages[-1] if messages else None
        if isinstance(last, ToolMessage):
            return _answer_from_tool(last, messages, metadata)
        context = Context(session_of(messages), messages, self._services().today())
        return _message(plan(turn, context), bound, metadata, call_id=f"offline-{len(messages)}")

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

    def _matter(self, text: str) -> ServiceMatter | None:
        matches = self._services().dictionary.find(text, k=1) if text.strip() else []
        return matches[0].matter if matches and matches[0].score >= MATTER_SCORE else None


def _message(step: Step, bound: frozenset[str], metadata: dict[str, Any], *, call_id: str) -> AIMessage:
    form = {"form": step.form.to_json()} if step.form else {}
    if step.tool is None:
        return AIMessage(content=step.text, response_metadata=metadata | form | {"answered": step.answered})
    if bound and step.tool not in bound:
        text = f"{TOOL_UNAVAILABLE}{HUMAN_OFFER}"
        return AIMessage(content=text, response_metadata=metadata | {"answered": False})
    call = tool_call(name=step.tool, args=step.args, id=call_id)
    return AIMessage(content="", tool_calls=[call], response_metadata=metadata | form)


# answering from a tool result ----------------------------------------------------------------------------------------
def _answer_from_tool(message: ToolMessage, messages: Sequence[BaseMessage], metadata: dict[str, Any]) -> AIMessage:
    caller, call = _call_of(message, messages)
    name, args = (call["name"], dict(call["args"])) if call else (str(message.name or ""), {})
    result = _parse(message)
    text, extra = render_result(name, args, result)
    extra = metadata | {"answered": True} | extra | {"tool": name}
    waiting = Form.from_json(caller.response_metadata.get("form")) if caller else None
    resumed = with_options(waiting, options_of(name, result)) if waiting and result.get("ok") else None
    if resumed is not None:
        text = f"{text}\n{_question_for(resumed)}"
    follow_up = resumed or _follow_up(extra.pop("offer_start", None), extra.pop("retry", None))
    if follow_up is not None:
        extra["form"] = follow_up.to_json()
    return AIMessage(content=text, response_metadata=extra)


def _follow_up(offer: dict[str, Any] | None, retry: dict[str, Any] | None) -> Form | None:
    """The form an answer leaves open: a guide's offer to start the matter, or a request to repeat after login."""
    if offer:
        return offered_start(offer["matter_code"], offer["matter_name"])
    if retry:
        return retry_after_login(retry["tool"], retry["args"])
    return None


def _question_for(form: Form) -> str:
    return next(item.question for item in SPECS[form.kind].items if item.name == form.asking)


def _parse(message: ToolMessage) -> dict[str, Any]:
    try:
        result = json.loads(str(message.content))
    except json.JSONDecodeError:
        return dict(INTERNAL_ERROR)
    return result if isinstance(result, dict) else dict(INTERNAL_ERROR)


def _call_of(message: ToolMessage, messages: Sequence[BaseMessage]) -> tuple[AIMessage | None, Any]:
    """The AI message that made the tool call `message` answers, and that call."""
    for earlier in reversed(messages):
        if isinstance(earlier, AIMessage):
            for call in earlier.tool_calls:
                if call["id"] == message.tool_call_id:
                    return earlier, call
    return None, None


def _last_human(messages: Sequence[BaseMessage]) -> str:
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return message.text
    return ""
