"""Chat: one user message in, the assistant's turn out — streamed as server-sent events or as one JSON object.

Every request names its site (X-Site-Key); the enterprise comes only from the portal's signed token. A conversation
belongs to the site it started on and, once someone signs in within it, to that enterprise: anyone else gets 404.
The stream sends each tool call and result as it happens, then the checked answer in pieces and the final reply
(so a language model's raw tokens, before their citations are checked, never reach the page).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from agents.assistant import Assistant, Reply, ToolCallRecord, ToolCallStarted, checked_message
from api.deps import EnterpriseDep, EnterpriseRequiredDep, SiteDep
from api.errors import error_responses
from api.metrics import record_turn
from api.ratelimit import rate_limited
from api.staff import after_turn, audit_tool_actions
from minfu.errors import MinfuError
from tools.agent_tools import EnterpriseIdentity
from tools.agent_tools.views import matter_view, ticket_view
from tools.store.conversations import ConversationStore

log = logging.getLogger("minfu.api.chat")
router = APIRouter(tags=["chat"])
CONVERSATION_ID = r"^[A-Za-z0-9_-]{8,64}$"
_PIECE = re.compile(r"[^。！？；\n]*[。！？；\n]?")


class ChatRequest(BaseModel):
    message: Annotated[str, Field(min_length=1, max_length=2000, description="用户消息")]
    conversation_id: Annotated[str | None, Field(pattern=CONVERSATION_ID, description="继续已有会话，不填则新建")] = (
        None
    )


class FeedbackRequest(BaseModel):
    conversation_id: Annotated[str, Field(pattern=CONVERSATION_ID)]
    message_index: Annotated[int, Field(ge=0, le=10_000)]
    rating: Literal["up", "down"]
    reason: Annotated[str | None, Field(max_length=500)] = None


def _assistant(request: Request) -> Assistant:
    assistant: Assistant = request.app.state.assistant
    return assistant


def _conversations(request: Request) -> ConversationStore:
    store: ConversationStore = request.app.state.conversations
    return store


CHAT_LIMIT = [Depends(rate_limited("chat"))]
# a blank message (400), someone else's conversation (404), the rate limit (429), the language model down (503)
CHAT_ERRORS = error_responses(400, 404, 429, 503)
EVENT_NAMES = ["conversation", "tool_call", "tool_result", "text", "final", "error"]
EVENT_STREAM = {  # `schema` is one event, as OpenAPI before 3.2 reads it for text/event-stream
    "description": "事件流：conversation、tool_call、tool_result、text（回答分段）、final（完整回答）或 error",
    "content": {
        "text/event-stream": {
            "schema": {
                "type": "object",
                "required": ["event", "data"],
                "properties": {
                    "event": {"type": "string", "enum": EVENT_NAMES},
                    "data": {"type": "string", "contentMediaType": "application/json", "description": "JSON 对象"},
                },
            }
        }
    },
}


@router.post("/chat", summary="对话（一次返回完整回答）", dependencies=CHAT_LIMIT, responses=CHAT_ERRORS)
def chat(body: ChatRequest, request: Request, site: SiteDep, enterprise: EnterpriseDep) -> dict[str, Any]:
    conversation_id = _open(request, body, site.site_key, enterprise.uscc if enterprise else None)
    reply = _assistant(request).ask(body.message, conversation_id=conversation_id, enterprise=enterprise)
    _finished(request, conversation_id, reply, _actor(enterprise, site.site_key))
    return reply.public_json()


@router.post(
    "/chat/stream",
    summary="对话（服务器推送事件流）",
    response_class=StreamingResponse,
    dependencies=CHAT_LIMIT,
    responses={200: EVENT_STREAM, **CHAT_ERRORS},
)
def chat_stream(body: ChatRequest, request: Request, site: SiteDep, enterprise: EnterpriseDep) -> StreamingResponse:
    checked_message(body.message)  # bad input is a 400 before the stream starts, never an event mid-stream
    conversation_id = _open(request, body, site.site_key, enterprise.uscc if enterprise else None)
    turn = _assistant(request).stream(body.message, conversation_id=conversation_id, enterprise=enterprise)
    actor = _actor(enterprise, site.site_key)
    events = _events(conversation_id, turn, lambda reply: _finished(request, conversation_id, reply, actor))
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


@router.get("/conversations/{conversation_id}", summary="会话记录", responses=error_responses(404))
def conversation(
    conversation_id: Annotated[str, Path(pattern=CONVERSATION_ID)],
    request: Request,
    site: SiteDep,
    enterprise: EnterpriseDep,
) -> dict[str, Any]:
    uscc = enterprise.uscc if enterprise else None
    _conversations(request).get(conversation_id, site.site_key, uscc)
    history = _assistant(request).history(conversation_id)
    return {"conversation_id": conversation_id, "messages": transcript(history)}


@router.get("/matters", summary="本企业的办件和诉求")
def matters(request: Request, _site: SiteDep, enterprise: EnterpriseRequiredDep) -> dict[str, Any]:
    services = _assistant(request).services
    return {
        "enterprise_name": enterprise.name,
        "matters": [matter_view(m) for m in services.matters.list_for(enterprise.uscc)],
        "requests": [ticket_view(t) for t in services.tickets.list_for(enterprise.uscc)],
    }


@router.post(
    "/feedback", summary="对回答点赞或点踩", status_code=status.HTTP_201_CREATED, responses=error_responses(404)
)
def feedback(body: FeedbackRequest, request: Request, site: SiteDep, enterprise: EnterpriseDep) -> dict[str, Any]:
    store = _conversations(request)
    store.get(body.conversation_id, site.site_key, enterprise.uscc if enterprise else None)
    feedback_id = store.add_feedback(body.conversation_id, body.message_index, body.rating, body.reason)
    return {"id": feedback_id, "status": "recorded"}


def transcript(history: list[Any]) -> list[dict[str, Any]]:
    """User and assistant messages as the widget shows them (tool traffic left out)."""
    from langchain_core.messages import AIMessage, HumanMessage

    shown: list[dict[str, Any]] = []
    for message in history:
        if isinstance(message, HumanMessage):
            shown.append({"role": "user", "text": message.text})
        elif isinstance(message, AIMessage) and not message.tool_calls:
            metadata = message.response_metadata
            role = "staff" if metadata.get("staff") else "assistant"
            shown.append({"role": role, "text": message.text, "citations": metadata.get("citations") or []})
    return shown


def _finished(request: Request, conversation_id: str, reply: Reply, actor: str) -> None:
    _conversations(request).count_turn(conversation_id)
    record_turn(reply)
    after_turn(request, conversation_id, reply)  # the staff desk: daily figures, the handoff queue
    audit_tool_actions(request, conversation_id, reply, actor)


def _actor(enterprise: EnterpriseIdentity | None, site_key: str) -> str:
    return f"enterprise:{enterprise.uscc}" if enterprise else f"anonymous:{site_key}"


def _open(request: Request, body: ChatRequest, site_key: str, uscc: str | None) -> str:
    conversation_id = body.conversation_id or f"c_{uuid.uuid4().hex}"
    _conversations(request).open(conversation_id, site_key, uscc)
    return conversation_id


def _events(conversation_id: str, turn: Iterator[ToolCallStarted | ToolCallRecord | Reply], done: Any) -> Iterator[str]:
    yield _event("conversation", {"conversation_id": conversation_id})
    try:
        for event in turn:
            if isinstance(event, ToolCallStarted):
                yield _event("tool_call", {"id": event.id, "name": event.name, "args": event.args})
            elif isinstance(event, ToolCallRecord):
                yield _event("tool_result", {"name": event.name, "ok": event.ok, "result": event.result})
            else:
                yield from (_event("text", {"delta": piece}) for piece in _pieces(event.text))
                done(event)
                yield _event("final", event.public_json())
    except MinfuError as error:
        yield _event("error", {"error": error.code, "message": error.message})
    except Exception:  # the stream has started: the client gets an error event, the log gets the trace
        log.exception("chat stream failed in conversation %s", conversation_id)
        yield _event("error", {"error": "internal_error", "message": "服务内部错误，请稍后重试"})


def _pieces(text: str) -> list[str]:
    return [piece for piece in _PIECE.findall(text) if piece]


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
