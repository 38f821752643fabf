"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="存活检查")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="就绪检查：知识库状态")
def readyz(request: Request) -> dict[str, Any]:
    status = request.app.state.knowledge.status()
    return {"status": "ready" if status["chunks"] else "empty", "knowledge": status}
