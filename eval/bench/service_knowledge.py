"""The knowledge base the chat, HTTP and memory sections run on, and how to point the service at it.

"auto": the operator's persistent index (the data directory of the environment's settings) when it holds chunks
and every chunk has its vector — the real thing, e5 by default; otherwise, and always with "temporary", the
bundled corpus indexed into a temporary directory with the hashing embedder (lexical index plus hashing vectors,
built in seconds). Either way conversations go to a temporary database, never to a live store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from eval.bench.common import Progress, quiet, timed
from knowledge.base import KnowledgeBase
from knowledge.bundled import bundled_corpus_path
from knowledge.chunking import Chunker
from knowledge.embedders.e5 import E5_DIMENSION
from knowledge.ingest import Ingestor
from knowledge.loaders import load_paths
from minfu.errors import MinfuError
from minfu.settings import Settings

IndexChoice = Literal["auto", "temporary"]
HASHING_SPEC = f"hashing:{E5_DIMENSION}"


@dataclass
class ServiceKnowledge:
    kind: Literal["default", "temporary"]
    settings: Settings  # for the sections that run in this process; database_url is a temporary file
    kb: KnowledgeBase
    environment: dict[str, str] = field(default_factory=dict)  # for the service subprocess, on top of os.environ
    build_s: float | None = None
    reason: str = ""  # why the default index was not used
    corpus: str | None = None  # what the temporary index holds

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "data_dir": str(self.settings.data_dir),
            "status": self.kb.status(),
            "build_s": self.build_s,
            "reason": self.reason or None,
            "corpus": self.corpus,
        }

    def close(self) -> None:
        self.kb.catalog.close()


def open_service_knowledge(
    choice: IndexChoice, workdir: Path, *, corpus: Path | None = None, progress: Progress = quiet
) -> ServiceKnowledge:
    """The knowledge base for the service sections; `corpus` (default: the bundled one) feeds a temporary index."""
    database_url = f"sqlite:///{workdir / 'bench-chat.sqlite'}"
    reason = "已指定使用临时索引"
    if choice == "auto":
        progress("检查默认索引是否完整…")
        settings = Settings().model_copy(update={"database_url": database_url})
        reason = _default_index_problem(settings)
        if not reason:
            return ServiceKnowledge("default", settings, KnowledgeBase.open(settings))
    return _temporary(workdir / "kb", database_url, corpus or bundled_corpus_path(), reason, progress)


def _default_index_problem(settings: Settings) -> str:
    """Why the default index cannot serve the benchmark ("" when it can)."""
    try:
        kb = KnowledgeBase.open(settings)
        status = kb.status()
        kb.catalog.close()
    except MinfuError as error:
        return f"默认索引无法打开：{error.message}"
    if not status["chunks"]:
        return "默认索引为空"
    if not status["dense_complete"]:
        return f"默认索引的向量不完整（{status['dense_chunks']}/{status['chunks']}）"
    return ""


def _temporary(data_dir: Path, database_url: str, corpus: Path, reason: str, progress: Progress) -> ServiceKnowledge:
    progress("用哈希向量建立临时索引…")
    settings = Settings(data_dir=data_dir, embedder=HASHING_SPEC, chroma_url=None, database_url=database_url)
    kb = KnowledgeBase.open(settings)
    with timed() as build:
        Ingestor(kb, Chunker(settings.chunk_size)).ingest(load_paths([corpus]), prune_under=[corpus])
    environment = {"MINFU_DATA_DIR": str(data_dir), "MINFU_EMBEDDER": HASHING_SPEC, "MINFU_CHROMA_URL": ""}
    return ServiceKnowledge("temporary", settings, kb, environment, round(build.seconds, 2), reason, str(corpus))
