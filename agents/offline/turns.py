"""The offline brain's vocabulary: a user message as read (`Turn`) and what to do about it (`Step`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agents.offline.intents import IntentGuess
from agents.offline.slots import Slots
from tools.dictionary import ServiceMatter

if TYPE_CHECKING:
    from agents.offline.forms import Form


@dataclass(frozen=True)
class Turn:
    """One user message, read: its text, intent guess, slots and the dictionary matter it names (if any)."""

    text: str
    guess: IntentGuess
    slots: Slots
    matter: ServiceMatter | None


@dataclass(frozen=True)
class Step:
    """Call `tool` with `args`, or say `text`. `form` is the form in progress, carried on the message.

    `answered` is False when the step cannot help (out of scope): two such turns in a row offer a human.
    """

    text: str = ""
    tool: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    form: Form | None = None
    answered: bool = True
