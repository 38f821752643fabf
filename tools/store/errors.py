"""Store errors; each message is Chinese and safe to show to the enterprise or an operator."""

from __future__ import annotations

from minfu.errors import InvalidInputError, MinfuError


class NotFoundError(MinfuError):
    """The record does not exist or belongs to another enterprise (the two are not told apart)."""

    code = "not_found"


class IllegalTransitionError(InvalidInputError):
    """A state change that the workflow does not allow; nothing was written."""

    code = "illegal_transition"


class SlotFullError(MinfuError):
    code = "slot_full"
