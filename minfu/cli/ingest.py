"""`minfu ingest`: load, chunk and index documents with a progress bar and a summary."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from knowledge.base import KnowledgeBase
from knowledge.bundled import bundled_corpus_path
from knowledge.chunking import Chunker
from knowledge.ingest import Ingestor, IngestReport, ProgressCallback
from knowledge.loaders import load_paths
from minfu.errors import InvalidInputError
from minfu.settings import get_settings

console = Console(stderr=True)


def run_ingest(paths: Sequence[Path], *, if_missing: bool, lexical_only: bool, prune: bool, as_json: bool) -> None:
    settings = get_settings()
    kb = KnowledgeBase.open(settings)
    if if_missing and kb.catalog.chunk_count() > 0:
        rebuilt = Ingestor(kb, Chunker(settings.chunk_size)).fill_lexical()
        if rebuilt:
            console.print(f"词法索引已按新格式重建（{rebuilt} 个分块）。")
        console.print(f"索引已存在（{kb.catalog.chunk_count()} 个分块），跳过导入。")
        return
    roots = list(paths) or [bundled_corpus_path()]
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        raise InvalidInputError(f"路径不存在：{'、'.join(missing)}", field="paths")
    with console.status("正在解析文档…"):
        batch = load_paths(roots)
    with _embedding_progress(lexical_only) as progress:
        ingestor = Ingestor(kb, Chunker(settings.chunk_size), progress=progress)
        report = ingestor.ingest(batch, prune_under=roots if prune else (), dense=not lexical_only)
    _print_report(report, kb.status(), as_json=as_json)


@contextmanager
def _embedding_progress(disabled: bool) -> Iterator[ProgressCallback | None]:
    if disabled:
        yield None
        return
    columns = (
        TextColumn("向量化"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f} 字"),
        TimeElapsedColumn(),
        TextColumn("剩余"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        tasks: list[TaskID] = []

        def update(done: int, total: int) -> None:
            if not tasks:
                tasks.append(bar.add_task("embed", total=total))
            bar.update(tasks[0], completed=done, total=total)

        yield update


def _print_report(report: IngestReport, status: dict[str, int | str | bool], *, as_json: bool) -> None:
    summary = {
        "documents": report.documents,
        "chunks": report.chunks,
        "new_chunks": report.new_chunks,
        "unchanged_chunks": report.unchanged_chunks,
        "removed_documents": report.removed_documents,
        "removed_chunks": report.removed_chunks,
        "embedded_chunks": report.embedded_chunks,
        "failed": len(report.failures),
        "seconds": round(report.seconds, 2),
        "index": status,
        "failures": [{"path": f.path, "reason": f.reason} for f in report.failures],
    }
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    table = Table(title="导入摘要", show_header=False)
    labels = {
        "documents": "文档",
        "chunks": "分块",
        "new_chunks": "新分块",
        "unchanged_chunks": "未变化分块",
        "removed_documents": "删除文档",
        "removed_chunks": "删除分块",
        "embedded_chunks": "本次向量化",
        "failed": "失败文件",
        "seconds": "耗时（秒）",
    }
    for key, label in labels.items():
        table.add_row(label, str(summary[key]))
    table.add_row("向量索引", f"{status['dense_chunks']}/{status['chunks']}（{status['embedder']}）")
    Console().print(table)
    for failure in report.failures:
        console.print(f"[red]失败[/red] {failure.path}：{failure.reason}")
