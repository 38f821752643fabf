"""The staff desk: the handoff queue, curated answers, the turn log and the audit log, kept on `app.state.staff`.

`open_staff_desk` builds it at start-up, invalidates curated answers whose sources changed since the last run and
hands the curated-answer matcher to the assistant. `after_turn` is what the chat routes call after every turn: it
records the turn (the daily figures) and queues the conversation when the turn handed it over to a person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request

from agents.assistant import Assistant, Reply, ToolCallRecord
from agents.curated import CuratedMatcher
from knowledge.base import KnowledgeBase
from minfu.settings import Settings
from tools.store import make_engine, session_factory, upgrade
from tools.store.audit import AuditLog
from tools.store.curated import CuratedAnswerStore
from tools.store.handoffs import HandoffStore
from tools.store.turns import MAX_BRAIN, TurnLog

log = logging.getLogger("minfu.api.staff")
HANDOFF_TOOL = "handoff_to_human"


@dataclass(frozen=True)
class StaffDesk:
    handoffs: HandoffStore
    curated: CuratedAnswerStore
    matcher: CuratedMatcher
    turns: TurnLog
    audit: AuditLog


def open_staff_desk(settings: Settings, knowledge: KnowledgeBase, assistant: Assistant) -> StaffDesk:
    """The desk over settings.database_url (migrated); stale curated answers are invalidated before serving."""
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = session_factory(engine)
    audit = AuditLog(sessions)
    curated = CuratedAnswerStore(sessions)
    matcher = CuratedMatcher(curated, knowledge.catalog, audit=audit)
    stale = matcher.invalidate_stale()
    if stale:
        log.info("curated answers invalidated at start-up: %s", [answer.id for answer in stale])
    assistant.curated = matcher
    return StaffDesk(HandoffStore(sessions), curated, matcher, TurnLog(sessions), audit)


def after_turn(request: Request, conversation_id: str, reply: Reply) -> None:
    """After a chat turn: record it, and queue the conversation when the turn handed it over (the tool succeeded).

    The answer is already given and saved, so a failure here is logged rather than turned into an error for the user.
    """
    desk: StaffDesk = request.app.state.staff
    try:
        answered = reply.metadata.get("answered") is not False
        desk.turns.record(conversation_id, answered=answered, brain=(reply.brain or "unknown")[:MAX_BRAIN])
        if (call := handoff_call(reply)) is not None:
            queue_handoff(desk, conversation_id, str(call.args.get("reason") or ""))
    except Exception:
        log.exception("turn of conversation %s could not be recorded for the staff desk", conversation_id)


ACTING_TOOLS = frozenset(
    {"start_matter", "supplement_materials", "submit_request", "rate_request", "book_appointment",
     "register_investment_lead", "handoff_to_human"}
)  # fmt: skip


def audit_tool_actions(request: Request, conversation_id: str, reply: Reply, actor: str) -> None:
    """Every tool call of the turn that acted on records goes to the audit log (arguments masked, outcome kept)."""
    desk: StaffDesk = request.app.state.staff
    for call in reply.tool_calls:
        if call.name not in ACTING_TOOLS:
            continue
        detail = {"conversation_id": conversation_id, "args": call.args, "ok": call.ok}
        if not call.ok:
            detail["error"] = (call.result.get("error") or {}).get("code")
        try:
            desk.audit.record(actor, f"tool.{call.name}", f"conversation:{conversation_id}", detail)
        except Exception:
            log.exception("tool call %s of conversation %s could not be audited", call.name, conversation_id)


def handoff_call(reply: Reply) -> ToolCallRecord | None:
    """The turn's successful handoff_to_human call (the model's own, or the user's yes to the offer), if any."""
    return next((call for call in reply.tool_calls if call.name == HANDOFF_TOOL and call.ok), None)


def queue_handoff(desk: StaffDesk, conversation_id: str, reason: str) -> None:
    handoff, new = desk.handoffs.enqueue(conversation_id, reason)
    if new:
        detail = {"conversation_id": conversation_id, "reason": handoff.reason}
        desk.audit.record("system", "handoff.queue", f"handoff:{handoff.id}", detail)
