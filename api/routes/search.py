"""Knowledge search: the hits with their citation fields and each retriever's rank and score."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from knowledge.retrieval import degraded_message
from knowledge.serialization import hit_to_json
from minfu.domain import DocumentKind, SearchFilters

router = APIRouter(tags=["knowledge"])


class SearchResponse(BaseModel):
    question: str
    degraded: str | None
    dense_complete: bool
    hits: list[dict[str, Any]]


@router.get("/search", summary="检索知识库", response_model=SearchResponse)
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=2000, description="问题")],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    kind: Annotated[list[DocumentKind] | None, Query(description="文档类型")] = None,
    issuer: Annotated[list[str] | None, Query(max_length=200)] = None,
    doc_number: Annotated[list[str] | None, Query(max_length=200)] = None,
    effective_after: Annotated[date | None, Query(description="施行日期不早于")] = None,
    effective_before: Annotated[date | None, Query(description="施行日期不晚于")] = None,
    include_history: bool = False,
) -> SearchResponse:
    kb = request.app.state.knowledge
    filters = SearchFilters(
        kinds=frozenset(kind or ()),
        issuers=frozenset(issuer or ()),
        doc_numbers=frozenset(doc_number or ()),
        effective_after=effective_after,
        effective_before=effective_before,
        include_history=include_history,
    )
    hits = kb.retriever.retrieve(q.strip(), k=k, filters=filters)
    status = kb.status()
    degraded = degraded_message(hits)
    if degraded is None and not status["dense_complete"]:
        degraded = f"向量索引补齐中（{status['dense_chunks']}/{status['chunks']}），结果以词法检索为主"
    return SearchResponse(
        question=q,
        degraded=degraded,
        dense_complete=bool(status["dense_complete"]),
        hits=[hit_to_json(h) for h in hits],
    )
