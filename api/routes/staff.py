"""Staff routes (X-API-Key of a staff or admin key): the handoff queue, suggested answers, curated answers, figures.

A handoff is claimed by one key (named by its prefix); another key that claims, replies to or closes it gets a 409,
as does any action on a closed one (administrators may close anyone's). Replying to a waiting handoff claims it.
Deleting a curated answer is for administrators (staff replace one by adopting a new answer to the same question).
A reply is appended to the user's conversation, where the widget shows it as a staff message. Every change, every
transcript read and every suggestion is written to the audit log as `staff:<key prefix>`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from agents.assistant import Assistant
from agents.suggest import suggest
from api.deps import AdminDep, RowId, StaffDep
from api.errors import error_responses
from api.routes.chat import transcript
from api.staff import StaffDesk
from tools.store.api_keys import ApiKey
from tools.store.common import LOCAL_TZ
from tools.store.curated import MAX_ANSWER, MAX_CITATIONS, MAX_QUESTION, CuratedAnswer
from tools.store.handoffs import MAX_LISTED, Handoff, HandoffConflictError

router = APIRouter(prefix="/staff", tags=["staff"])
PREVIEW_CHARS = 100
HANDOFF_ERRORS = error_responses(404, 409)  # 409: someone else's or closed


class ReplyRequest(BaseModel):
    text: Annotated[str, Field(min_length=1, max_length=2000, description="发给用户的回复")]


class SuggestRequest(BaseModel):
    question: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION, description="用户的问题")]


class CuratedRequest(BaseModel):
    question: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION, description="问题")]
    answer: Annotated[str, Field(min_length=1, max_length=MAX_ANSWER, description="采纳或修改后的答复")]
    citations: Annotated[list[dict[str, Any]], Field(max_length=MAX_CITATIONS, description="建议答复中的引用")] = []


def install(app: FastAPI) -> None:
    """The routes under /v1/staff, and a 409 for a handoff that is someone else's or closed."""
    app.include_router(router, prefix="/v1")
    app.add_exception_handler(HandoffConflictError, _conflict)


def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HandoffConflictError)
    return JSONResponse(status_code=409, content={"error": exc.code, "message": exc.message})


# handoffs ---------------------------------------------------------------------------------------------------------
@router.get("/handoffs", summary="转人工队列")
def handoffs(
    request: Request,
    _key: StaffDep,
    status_filter: Annotated[Literal["waiting", "claimed", "closed"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED)] = 50,
) -> dict[str, Any]:
    listed = _desk(request).handoffs.list_handoffs(status_filter, limit=limit)
    return {"handoffs": [handoff_view(h) | _preview(_assistant(request), h.conversation_id) for h in listed]}


@router.get("/handoffs/{handoff_id}", summary="转人工会话详情（完整对话）", responses=error_responses(404))
def handoff(handoff_id: RowId, request: Request, key: StaffDep) -> dict[str, Any]:
    desk = _desk(request)
    found = desk.handoffs.get(handoff_id)
    _audit(desk, key, "handoff.view", found, {})
    return _with_transcript(request, found)


@router.post("/handoffs/{handoff_id}/claim", summary="接手转人工会话", responses=HANDOFF_ERRORS)
def claim(handoff_id: RowId, request: Request, key: StaffDep) -> dict[str, Any]:
    desk = _desk(request)
    claimed = desk.handoffs.claim(handoff_id, key.key_prefix)
    _audit(desk, key, "handoff.claim", claimed, {})
    return _with_transcript(request, claimed)


@router.post("/handoffs/{handoff_id}/reply", summary="回复用户（写入用户的会话）", responses=HANDOFF_ERRORS)
def reply(handoff_id: RowId, body: ReplyRequest, request: Request, key: StaffDep) -> dict[str, Any]:
    desk = _desk(request)
    current = desk.handoffs.get(handoff_id)
    claimed = desk.handoffs.claim(handoff_id, key.key_prefix)  # a waiting handoff is the replier's from now on
    if current.status == "waiting":
        _audit(desk, key, "handoff.claim", claimed, {})
    _assistant(request).add_staff_reply(claimed.conversation_id, body.text, key.name)
    _audit(desk, key, "handoff.reply", claimed, {"text": body.text[:500]})
    return _with_transcript(request, claimed)


@router.post("/handoffs/{handoff_id}/close", summary="关闭转人工会话", responses=HANDOFF_ERRORS)
def close(handoff_id: RowId, request: Request, key: StaffDep) -> dict[str, Any]:
    desk = _desk(request)
    closed = desk.handoffs.close(handoff_id, key.key_prefix, override=key.role == "admin")
    _audit(desk, key, "handoff.close", closed, {})
    return handoff_view(closed)


# suggestions and curated answers ----------------------------------------------------------------------------------
@router.post("/suggest", summary="建议答复（答复、引用、依据、置信度）")
def suggest_answer(body: SuggestRequest, request: Request, key: StaffDep) -> dict[str, Any]:
    desk = _desk(request)
    suggestion = suggest(body.question, _assistant(request).services, desk.matcher)
    detail = {"question": body.question[:500], "confidence": suggestion.confidence, "reason": suggestion.reason}
    target = f"curated:{suggestion.curated_id}" if suggestion.curated_id else ""
    desk.audit.record(_actor(key), "staff.suggest", target, detail)
    return suggestion.to_json()


@router.post("/curated", summary="采纳或修改后保存为标准答复", status_code=status.HTTP_201_CREATED)
def add_curated(body: CuratedRequest, request: Request, key: StaffDep) -> dict[str, Any]:
    desk = _desk(request)
    sources = desk.matcher.sources_of(body.citations)
    added = desk.curated.add(body.question, body.answer, body.citations, sources, key.key_prefix)
    detail = {"question": added.question[:500], "sources": [source.chunk_id for source in added.sources]}
    desk.audit.record(_actor(key), "curated.add", f"curated:{added.id}", detail)
    return curated_view(added)


@router.get("/curated", summary="标准答复列表")
def curated(request: Request, _key: StaffDep, include_invalid: bool = True) -> dict[str, Any]:
    answers = _desk(request).curated.list_answers(include_invalid=include_invalid)
    return {"curated": [curated_view(answer) for answer in answers]}


@router.delete("/curated/{answer_id}", summary="删除标准答复（管理员）", responses=error_responses(404))
def delete_curated(answer_id: RowId, request: Request, key: AdminDep) -> dict[str, Any]:
    desk = _desk(request)
    removed = desk.curated.delete(answer_id)
    desk.audit.record(_actor(key), "curated.delete", f"curated:{removed.id}", {"question": removed.question[:500]})
    return {"id": removed.id, "status": "deleted"}


# figures ----------------------------------------------------------------------------------------------------------
@router.get("/stats", summary="当日数据：提问、未答、转人工、点赞点踩")
def stats(request: Request, _key: StaffDep, day: date | None = None) -> dict[str, Any]:
    turns = _desk(request).turns
    return turns.figures(day or turns.today()).to_json()


# views --------------------------------------------------------------------------------------------------------------
def handoff_view(handoff: Handoff) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "site_key": handoff.site_key,
        "enterprise_uscc": handoff.enterprise_uscc,
        "reason": handoff.reason,
        "status": handoff.status,
        "claimed_by": handoff.claimed_by,
        "created_at": _local(handoff.created_at),
        "claimed_at": _local(handoff.claimed_at),
        "closed_at": _local(handoff.closed_at),
    }


def curated_view(answer: CuratedAnswer) -> dict[str, Any]:
    return {
        "id": answer.id,
        "question": answer.question,
        "answer": answer.answer,
        "citations": answer.citations,
        "sources": [source.to_json() for source in answer.sources],
        "created_by": answer.created_by,
        "created_at": _local(answer.created_at),
        "valid": answer.valid,
        "invalidated_at": _local(answer.invalidated_at),
        "invalidated_reason": answer.invalidated_reason,
    }


def _with_transcript(request: Request, handoff: Handoff) -> dict[str, Any]:
    history = _assistant(request).history(handoff.conversation_id)
    return handoff_view(handoff) | {"messages": transcript(history)}


def _preview(assistant: Assistant, conversation_id: str) -> dict[str, Any]:
    shown = transcript(assistant.history(conversation_id))
    asked = [message["text"] for message in shown if message["role"] == "user"]
    last = asked[-1] if asked else ""
    preview = last if len(last) <= PREVIEW_CHARS else last[: PREVIEW_CHARS - 1] + "…"
    return {"preview": preview, "message_count": len(shown)}


def _audit(desk: StaffDesk, key: ApiKey, action: str, handoff: Handoff, detail: dict[str, Any]) -> None:
    desk.audit.record(
        _actor(key), action, f"handoff:{handoff.id}", {"conversation_id": handoff.conversation_id} | detail
    )


def _actor(key: ApiKey) -> str:
    return f"staff:{key.key_prefix}"


def _local(moment: datetime | None) -> str | None:
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="seconds") if moment else None


def _desk(request: Request) -> StaffDesk:
    desk: StaffDesk = request.app.state.staff
    return desk


def _assistant(request: Request) -> Assistant:
    assistant: Assistant = request.app.state.assistant
    return assistant
