"""What the offline brain reads back from the conversation: the form in progress, earlier calls, gathered facts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from agents.offline.forms import Form
from agents.offline.slots import Slots, extract_slots


def pending_form(messages: Sequence[BaseMessage]) -> Form | None:
    """The form the previous answer left open (it asked for an item or a confirmation), if any."""
    for message in reversed(messages[:-1]):
        if isinstance(message, AIMessage):
            return Form.from_json(message.response_metadata.get("form"))
        if isinstance(message, HumanMessage):
            return None
    return None


def last_answer(messages: Sequence[BaseMessage]) -> AIMessage | None:
    """The previous final answer (an AI message without tool calls) before the current user message."""
    for message in reversed(messages[:-1]):
        if isinstance(message, AIMessage) and not message.tool_calls:
            return message
    return None


def earlier_args(messages: Sequence[BaseMessage], tool: str) -> Iterator[dict[str, Any]]:
    """Arguments of earlier calls to `tool`, newest first."""
    for message in reversed(messages):
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call["name"] == tool:
                    yield dict(call["args"])


def user_texts(messages: Sequence[BaseMessage]) -> list[str]:
    return [message.text for message in messages if isinstance(message, HumanMessage)]


def gathered_slots(messages: Sequence[BaseMessage], today: date) -> Slots:
    """Every fact the user stated in the conversation; a later statement of the same fact wins."""
    merged: dict[str, Any] = {}
    for text in user_texts(messages):
        slots = extract_slots(text, today=today)
        merged.update({key: value for key, value in vars(slots).items() if value not in (None, ())})
    return Slots(**merged)
