"""The assistant: one agent loop (langchain `create_agent`) for both agents, with any brain, persisted per conversation.

`Assistant.ask` takes one user message of one conversation and returns a `Reply`: the answer, its citations, the
tool calls made (with their results) and timings. The conversation's state lives in the checkpointer (the SQL store
in production), keyed by conversation id, so a conversation survives a restart and every surface (CLI, API, eval)
runs the very same code path.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END

from agents.curated import CuratedMatcher
from agents.middleware import ConversationMiddleware
from agents.offline.history import pending_form
from minfu.errors import InvalidInputError
from tools.agent_tools import ALL_TOOLS, EnterpriseIdentity, ToolContext, ToolServices

MAX_MESSAGE_CHARS = 2000
MAX_STAFF_NAME = 100
MAX_CONVERSATION_ID = 64
RECURSION_LIMIT = 24  # model and tool steps in one turn; a runaway model stops here instead of looping


@dataclass(frozen=True)
class ToolCallRecord:
    name: str
    args: dict[str, Any]
    ok: bool
    result: dict[str, Any]
    elapsed_ms: float | None


@dataclass(frozen=True)
class ToolCallStarted:
    id: str
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Reply:
    conversation_id: str
    text: str
    agent: str
    brain: str
    citations: list[dict[str, Any]]
    tool_calls: list[ToolCallRecord]
    metadata: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def handoff_offered(self) -> bool:
        return bool(self.metadata.get("handoff_offered"))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def public_json(self) -> dict[str, Any]:
        """What callers outside the process see (API, `minfu ask --json`): the answer, citations, tool calls with
        their results, timings and the metadata a client acts on (an open form, a handoff offer)."""
        keep = (
            "intent", "grounded", "answered", "handoff_offered", "fallback_from", "fallback_reason", "form", "curated",
        )  # fmt: skip
        return {
            "conversation_id": self.conversation_id,
            "answer": self.text,
            "agent": self.agent,
            "brain": self.brain,
            "citations": self.citations,
            "tool_calls": [asdict(call) for call in self.tool_calls],
            "timings_ms": self.timings,
            "metadata": {key: self.metadata[key] for key in keep if key in self.metadata},
        }


class Assistant:
    """Both agents behind one `ask`; build it with `agents.factory.build_assistant(settings)`."""

    def __init__(
        self,
        services: ToolServices,
        brain: BaseChatModel,
        *,
        checkpointer: BaseCheckpointSaver[Any] | None = None,
        middleware: Sequence[AgentMiddleware[Any, Any]] = (),
    ) -> None:
        self.services = services
        names = tuple(name for matter in services.dictionary.matters for name in matter.names())
        self._graph = create_agent(
            brain,
            tools=ALL_TOOLS,
            middleware=[ConversationMiddleware(matter_names=names), *middleware],
            context_schema=ToolContext,
            checkpointer=checkpointer or InMemorySaver(),
        )
        self.curated: CuratedMatcher | None = None  # staff-approved answers served before the agent (api/staff.py)
        # appended messages are written as this node's output, so the next turn starts afresh from the graph's start
        self._last_node = next((start for start, end in self._graph.builder.edges if end == END), None)

    def ask(self, text: str, *, conversation_id: str, enterprise: EnterpriseIdentity | None = None) -> Reply:
        """Answer one user message in conversation `conversation_id` on behalf of `enterprise` (None: anonymous)."""
        for event in self.stream(text, conversation_id=conversation_id, enterprise=enterprise):
            if isinstance(event, Reply):
                return event
        raise RuntimeError("the agent loop ended without a reply")  # our bug, not the user's: never expected

    def stream(
        self, text: str, *, conversation_id: str, enterprise: EnterpriseIdentity | None = None
    ) -> Iterator[ToolCallStarted | ToolCallRecord | Reply]:
        """The turn as it happens: each tool call as the model makes it, each result as it arrives, then the reply.

        Input is checked before anything runs (InvalidInputError), so a bad message leaves the conversation as it was.
        """
        message = checked_message(text)
        config = _config(conversation_id)
        history = self.history(conversation_id)
        if (curated := self._curated_reply(message, conversation_id, history)) is not None:
            yield curated
            return
        before = len(history)
        context = ToolContext(services=self.services, enterprise=enterprise, conversation_id=conversation_id)
        started = time.perf_counter()
        updates = self._graph.stream(
            {"messages": [HumanMessage(message)]}, config=config, context=context, stream_mode="updates"
        )
        calls: dict[str, ToolCallStarted] = {}
        for update in updates:
            yield from _events(update, calls)
        total_ms = (time.perf_counter() - started) * 1000
        yield build_reply(conversation_id, self.history(conversation_id)[before:], total_ms)

    def history(self, conversation_id: str) -> list[BaseMessage]:
        """Every message of the conversation so far (empty for a new one)."""
        snapshot = self._graph.get_state(_config(conversation_id))
        return list(snapshot.values.get("messages", [])) if snapshot and snapshot.values else []

    def add_staff_reply(self, conversation_id: str, text: str, staff_name: str) -> None:
        """Append a staff member's message (a handed-over conversation); the user's history shows it as "staff"."""
        reply = (text or "").strip()
        if not reply or len(reply) > MAX_MESSAGE_CHARS:
            raise InvalidInputError(f"回复内容应为 1 到 {MAX_MESSAGE_CHARS} 个字", field="text")
        metadata = {"staff": True, "staff_name": staff_name.strip()[:MAX_STAFF_NAME], "brain": "staff"}
        self._append(conversation_id, [AIMessage(reply, response_metadata=metadata)])

    def _curated_reply(self, message: str, conversation_id: str, history: list[BaseMessage]) -> Reply | None:
        """A curated answer to `message`, persisted as the turn, when one matches and no form awaits an answer."""
        started = time.perf_counter()
        asked = HumanMessage(message)
        if self.curated is None or pending_form([*history, asked]) is not None:
            return None
        found = self.curated.match(message)
        if found is None:
            return None
        answer = found.answer
        metadata = {
            "curated": answer.id, "brain": "curated", "agent": "policy", "citations": answer.citations,
            "answered": True, "grounded": True, "similarity": round(found.similarity, 1),
        }  # fmt: skip
        turn: list[BaseMessage] = [asked, AIMessage(answer.answer, response_metadata=metadata)]
        self._append(conversation_id, turn, agent="policy", unanswered=0)
        return build_reply(conversation_id, turn, (time.perf_counter() - started) * 1000)

    def _append(self, conversation_id: str, messages: list[BaseMessage], **values: Any) -> None:
        """Add messages (and state values) to the persisted conversation without running the agent."""
        update = {"messages": messages, **values}
        self._graph.update_state(_config(conversation_id), update, as_node=self._last_node)


def _events(update: Any, calls: dict[str, ToolCallStarted]) -> Iterator[ToolCallStarted | ToolCallRecord]:
    """Tool calls and their results from one graph update (the model and tool nodes' new messages)."""
    for delta in (update or {}).values():
        for message in (delta or {}).get("messages", []) if isinstance(delta, dict) else []:
            if isinstance(message, AIMessage):
                for call in message.tool_calls:
                    started = ToolCallStarted(call["id"] or "", call["name"], dict(call["args"]))
                    calls[started.id] = started
                    yield started
            elif isinstance(message, ToolMessage) and message.tool_call_id in calls:
                made = calls[message.tool_call_id]
                result = _result(message)
                elapsed = message.response_metadata.get("tool_ms")
                yield ToolCallRecord(made.name, made.args, bool(result.get("ok")), result, elapsed)


def build_reply(conversation_id: str, new: Sequence[BaseMessage], total_ms: float) -> Reply:
    """The reply to one turn from the messages the turn added (the user's message first)."""
    final = next((m for m in reversed(new) if isinstance(m, AIMessage) and not m.tool_calls), AIMessage(""))
    metadata = dict(final.response_metadata)
    calls = tool_records(new)
    model_ms = sum(float(m.response_metadata.get("model_ms", 0)) for m in new if isinstance(m, AIMessage))
    timings = {
        "total_ms": round(total_ms, 1),
        "model_ms": round(model_ms, 1),
        "tool_ms": round(sum(c.elapsed_ms or 0 for c in calls), 1),
    }
    return Reply(
        conversation_id=conversation_id,
        text=final.text,
        agent=str(metadata.get("agent", "policy")),
        brain=str(metadata.get("brain", "unknown")),
        citations=list(metadata.get("citations") or []),
        tool_calls=calls,
        metadata=metadata,
        timings=timings,
    )


def tool_records(messages: Sequence[BaseMessage]) -> list[ToolCallRecord]:
    """Each tool call of `messages` with the result that answered it."""
    results = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    records = []
    for message in messages:
        if not isinstance(message, AIMessage):
            continue
        for call in message.tool_calls:
            answer = results.get(call["id"] or "")
            result = _result(answer)
            elapsed = answer.response_metadata.get("tool_ms") if answer else None
            records.append(ToolCallRecord(call["name"], dict(call["args"]), bool(result.get("ok")), result, elapsed))
    return records


def _result(message: ToolMessage | None) -> dict[str, Any]:
    if message is None:
        return {"ok": False, "error": {"code": "no_result", "message": "工具没有返回结果"}}
    try:
        parsed = json.loads(str(message.content))
    except json.JSONDecodeError:
        return {"ok": False, "error": {"code": "internal_error", "message": str(message.content)[:200]}}
    return parsed if isinstance(parsed, dict) else {"ok": False, "value": parsed}


def checked_message(text: str) -> str:
    message = (text or "").strip()
    if not message:
        raise InvalidInputError("请输入问题或要办理的事项", field="message")
    if len(message) > MAX_MESSAGE_CHARS:
        raise InvalidInputError(f"单条消息不能超过 {MAX_MESSAGE_CHARS} 个字，请精简后再发", field="message")
    if "\x00" in message:
        raise InvalidInputError("消息中含有不可见的空字符，请删除后再发", field="message")
    return message


def _config(conversation_id: str) -> RunnableConfig:
    if not conversation_id or len(conversation_id) > MAX_CONVERSATION_ID or not conversation_id.isprintable():
        raise InvalidInputError(f"会话编号须为 1 到 {MAX_CONVERSATION_ID} 个可见字符", field="conversation_id")
    return {"configurable": {"thread_id": conversation_id}, "recursion_limit": RECURSION_LIMIT}
