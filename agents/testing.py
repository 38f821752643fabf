"""A scripted fake chat model, shipped in the package so tests of every agent can drive the real agent loop.

langchain's own fakes raise NotImplementedError on `bind_tools`, are consumed after one run and lose tool calls
when streamed. `ScriptedChatModel` plays a queue of turns instead, one per model request, across as many agent runs
as the test likes, and records every request so the test can assert what the agent sent::

    model = ScriptedChatModel.script(
        ToolCallTurn([("search_policy", {"query": "租房补贴"})]),
        "根据《……》第三条，……",
    )
    agent = create_agent(model, tools=[search_policy])
    agent.invoke({"messages": [HumanMessage("租房补贴怎么申请？")]})
    assert isinstance(model.requests[1][-1], ToolMessage)

A turn is an `AIMessage`, a string (a text answer), a `ToolCallTurn`, or a callable `(messages) -> turn` for
reactive scripts. Script bugs (an exhausted queue, a call to a tool that was not bound) raise `ScriptError`:
they are the test's fault, not the model's, so they are never turned into a model answer.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolCall
from langchain_core.messages.tool import tool_call, tool_call_chunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import PrivateAttr, field_validator

__all__ = [
    "ScriptError",
    "ScriptExhausted",
    "ScriptedChatModel",
    "ScriptedRequest",
    "ToolCallTurn",
    "Turn",
]


class ScriptError(RuntimeError):
    """The test script is wrong (not the model): a bad turn, or a call to a tool the agent did not bind."""


class ScriptExhausted(ScriptError):  # noqa: N818  (the name reads as the condition it reports)
    """The model was asked for one more turn than the script holds."""


@dataclass(frozen=True)
class ToolCallTurn:
    """A turn that calls tools: `calls` holds `(name, args)` or `(name, args, id)`; `text` is said alongside.

    Without an explicit id each call gets a deterministic one: `call_1`, `call_2`, … in the order emitted.
    """

    calls: Sequence[tuple[str, dict[str, Any]] | tuple[str, dict[str, Any], str]]
    text: str = ""


Turn: TypeAlias = AIMessage | str | ToolCallTurn | Callable[[list[BaseMessage]], "Turn"]


@dataclass(frozen=True)
class ScriptedRequest:
    """One request the model received: the messages, the names of the tools bound for it and the tool choice."""

    messages: list[BaseMessage]
    tool_names: tuple[str, ...]
    tool_choice: Any = None


@dataclass
class _Script:
    """State shared by a model and every binding of it (`bind_tools`, `bind`, `with_config`, copies)."""

    turns: deque[Turn] = field(default_factory=deque)
    log: list[ScriptedRequest] = field(default_factory=list)
    bound_tool_names: tuple[str, ...] = ()
    next_call_number: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)


class ScriptedChatModel(BaseChatModel):
    """A chat model that answers each request with the next scripted turn; see the module docstring.

    `default`, when set, answers every request once the queue is empty (instead of raising `ScriptExhausted`).
    `stream_chunk_chars` is how many characters of text each streamed chunk carries.
    """

    default: Any = None
    stream_chunk_chars: int = 8
    _script: _Script = PrivateAttr(default_factory=_Script)

    @field_validator("default")
    @classmethod
    def _default_is_a_turn(cls, value: object) -> object:
        if value is not None:
            _check_turn(value)
        return value

    @classmethod
    def script(cls, *turns: Turn, **fields: Any) -> ScriptedChatModel:
        """Build a model with `turns` already queued; `fields` are model fields such as `default=`."""
        model = cls(**fields)
        model.enqueue(*turns)
        return model

    def enqueue(self, *turns: Turn) -> ScriptedChatModel:
        """Append turns to the queue (shared with every binding of this model); returns the model."""
        for turn in turns:
            _check_turn(turn)
        with self._script.lock:
            self._script.turns.extend(turns)
        return self

    @property
    def pending(self) -> int:
        """How many scripted turns are still queued."""
        return len(self._script.turns)

    @property
    def request_log(self) -> list[ScriptedRequest]:
        """Every request received so far, oldest first, with the tools bound for it."""
        return list(self._script.log)

    @property
    def requests(self) -> list[list[BaseMessage]]:
        """The messages of every request received so far, oldest first."""
        return [request.messages for request in self._script.log]

    @property
    def bound_tool_names(self) -> tuple[str, ...]:
        """The tool names of the latest `bind_tools` call."""
        return self._script.bound_tool_names

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools the way provider models do (as call kwargs); the binding shares this model's queue."""
        schemas = [_tool_schema(tool) for tool in tools]
        self._script.bound_tool_names = tuple(_schema_name(schema) for schema in schemas)
        return self.bind(tools=schemas, tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._next_message(messages, kwargs))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return self._generate(messages, stop, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._next_message(messages, kwargs)
        for chunk in _to_chunks(message, self.stream_chunk_chars):
            yield ChatGenerationChunk(message=chunk)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._stream(messages, stop, **kwargs):
            yield chunk

    def _next_message(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        """Record the request, take the next turn and turn it into a checked `AIMessage`."""
        tool_names = tuple(_schema_name(schema) for schema in kwargs.get("tools") or ())
        with self._script.lock:
            self._script.log.append(ScriptedRequest(list(messages), tool_names, kwargs.get("tool_choice")))
            turn = self._take_turn()
        message = self._resolve(turn, list(messages))
        _check_tool_names(message, tool_names)
        return message

    def _take_turn(self) -> Turn:
        if self._script.turns:
            return self._script.turns.popleft()
        if self.default is not None:
            return _checked(self.default)
        count = len(self._script.log)
        msg = (
            f"ScriptedChatModel: request #{count} arrived but the script is exhausted "
            "(enqueue more turns, or construct the model with default=...)"
        )
        raise ScriptExhausted(msg)

    def _resolve(self, turn: Turn, messages: list[BaseMessage]) -> AIMessage:
        if callable(turn):
            return self._resolve(_checked(turn(messages)), messages)
        if isinstance(turn, str):
            return AIMessage(content=turn)
        if isinstance(turn, ToolCallTurn):
            calls = [self._tool_call(*call) for call in turn.calls]
            return AIMessage(content=turn.text, tool_calls=calls)
        # Copy: langchain writes ids and metadata onto the message it returns, and a turn may be queued twice.
        message = turn.model_copy(deep=True)
        message.tool_calls = [self._with_id(call) for call in message.tool_calls]
        return message

    def _tool_call(self, name: str, args: dict[str, Any], call_id: str | None = None) -> ToolCall:
        return tool_call(name=name, args=dict(args), id=call_id or self._new_call_id())

    def _with_id(self, call: ToolCall) -> ToolCall:
        return call if call.get("id") else tool_call(name=call["name"], args=call["args"], id=self._new_call_id())

    def _new_call_id(self) -> str:
        with self._script.lock:
            number = self._script.next_call_number
            self._script.next_call_number += 1
        return f"call_{number}"


def _checked(turn: object) -> Turn:
    _check_turn(turn)
    return turn  # type: ignore[return-value]


def _check_turn(turn: object) -> None:
    if isinstance(turn, AIMessage | str | ToolCallTurn) or callable(turn):
        return
    msg = f"ScriptedChatModel: a turn must be an AIMessage, a str, a ToolCallTurn or a callable, not {turn!r}"
    raise ScriptError(msg)


def _check_tool_names(message: AIMessage, bound: tuple[str, ...]) -> None:
    unknown = [call["name"] for call in message.tool_calls if call["name"] not in bound]
    if unknown:
        msg = (
            f"ScriptedChatModel: the script calls tool(s) {unknown} but the request bound only {list(bound)}; "
            "fix the script or bind the tool"
        )
        raise ScriptError(msg)


def _tool_schema(tool: dict[str, Any] | type | Callable[..., Any] | BaseTool) -> dict[str, Any]:
    """The OpenAI-format schema a provider model would send; provider built-ins (dicts) pass through."""
    if isinstance(tool, dict) and "function" not in tool and "name" not in tool:
        return tool
    return convert_to_openai_tool(tool)


def _schema_name(schema: dict[str, Any]) -> str:
    function = schema.get("function")
    if isinstance(function, dict):
        return str(function.get("name", ""))
    return str(schema.get("name", schema.get("type", "")))


def _to_chunks(message: AIMessage, chunk_chars: int) -> list[AIMessageChunk]:
    """Split a message into streamed chunks: text in pieces, then one last chunk carrying every tool call whole."""
    content = message.content
    pieces: list[str | list[str | dict[str, Any]]]
    if isinstance(content, str):
        step = max(chunk_chars, 1)
        pieces = [content[i : i + step] for i in range(0, len(content), step)]
    else:
        pieces = [content]
    chunks = [AIMessageChunk(content=piece, id=message.id) for piece in pieces]
    chunks.append(_last_chunk(message, empty_content="" if isinstance(content, str) else []))
    return chunks


def _last_chunk(message: AIMessage, *, empty_content: str | list[str | dict[str, Any]]) -> AIMessageChunk:
    calls = [
        tool_call_chunk(name=call["name"], args=json.dumps(call["args"], ensure_ascii=False), id=call["id"], index=i)
        for i, call in enumerate(message.tool_calls)
    ]
    return AIMessageChunk(
        content=empty_content,
        id=message.id,
        tool_call_chunks=calls,
        additional_kwargs=message.additional_kwargs,
        response_metadata=message.response_metadata,
        usage_metadata=message.usage_metadata,
        chunk_position="last",
    )
