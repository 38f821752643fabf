"""Admin: the knowledge base's index status and ingest of the bundled corpus or of the operator's import folder.

Ingest runs in the background (it can take many minutes when texts must be embedded); its progress and last
outcome are read from GET /v1/admin/index. Only folders the server already knows are ingested — the bundled corpus
and `<data_dir>/import` — never a path sent in the request.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, status
from pydantic import BaseModel

from api.deps import AdminDep
from knowledge.bundled import bundled_corpus_path
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.errors import InvalidInputError

log = logging.getLogger("minfu.api.admin")
router = APIRouter(tags=["admin"])
Source = Literal["bundled", "import"]


@dataclass
class IngestJob:
    state: Literal["idle", "running", "done", "failed"] = "idle"
    source: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    report: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def public(self) -> dict[str, Any]:
        keys = ("state", "source", "started_at", "finished_at", "report", "error")
        return {key: getattr(self, key) for key in keys}


class IngestRequest(BaseModel):
    source: Source = "bundled"
    dense: bool = True


def _job(request: Request) -> IngestJob:
    job: IngestJob | None = getattr(request.app.state, "ingest_job", None)
    if job is None:
        job = request.app.state.ingest_job = IngestJob()
    return job


@router.get("/admin/index", summary="知识库索引状态与最近一次导入")
def index_status(request: Request, key: AdminDep) -> dict[str, Any]:
    return {"knowledge": request.app.state.knowledge.status(), "ingest": _job(request).public()}


@router.post("/admin/ingest", summary="后台导入（内置语料或导入目录）", status_code=status.HTTP_202_ACCEPTED)
def ingest(body: IngestRequest, request: Request, key: AdminDep) -> dict[str, Any]:
    job = _job(request)
    roots = [_root(request, body.source)]
    if not job.lock.acquire(blocking=False):
        raise InvalidInputError("已有导入任务在进行中，请稍后查看索引状态", field="source")
    job.state, job.source, job.error, job.report = "running", body.source, None, {}
    job.started_at, job.finished_at = _now(), None
    request.app.state.staff.audit.record(f"admin:{key.key_prefix}", "index.ingest", body.source, {"dense": body.dense})
    worker = threading.Thread(target=_run, args=(request.app.state, job, roots, body.dense), daemon=True)
    worker.start()
    return job.public()


def _root(request: Request, source: Source) -> Path:
    if source == "bundled":
        return bundled_corpus_path()
    folder = Path(request.app.state.settings.data_dir) / "import"
    if not folder.is_dir():
        raise InvalidInputError(f"导入目录不存在：请先把文件放到数据目录下的 import 文件夹（{folder}）", field="source")
    return folder


def _run(state: Any, job: IngestJob, roots: list[Path], dense: bool) -> None:
    try:
        kb = state.knowledge
        report = Ingestor(kb, Chunker(state.settings.chunk_size)).ingest(
            load_paths(roots), prune_under=roots, dense=dense
        )
        job.report = {"documents": report.documents, "chunks": report.chunks, "new_chunks": report.new_chunks}
        state.staff.matcher.invalidate_stale()  # curated answers resting on changed texts stop being served
        job.state = "done"
    except Exception as error:  # reported on GET /v1/admin/index; the service keeps answering from the old index
        log.exception("admin ingest failed")
        job.state, job.error = "failed", type(error).__name__
    finally:
        job.finished_at = _now()
        job.lock.release()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
