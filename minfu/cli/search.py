"""`minfu search`: one question, or a JSONL file of questions, against the persistent knowledge base."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from eval.datasets import read_question_file
from knowledge.base import KnowledgeBase
from knowledge.retrieval import degraded_message
from knowledge.serialization import hit_to_json
from minfu.domain import DocumentKind, Hit, SearchFilters
from minfu.errors import InvalidInputError
from minfu.settings import get_settings


@dataclass(frozen=True)
class SearchOptions:
    k: int
    kinds: Sequence[str]
    issuers: Sequence[str]
    doc_numbers: Sequence[str]
    include_history: bool
    as_json: bool
    effective_after: str | None = None
    effective_before: str | None = None

    def filters(self) -> SearchFilters:
        return SearchFilters(
            kinds=frozenset(_kind(k) for k in self.kinds),
            issuers=frozenset(self.issuers),
            doc_numbers=frozenset(self.doc_numbers),
            effective_after=_day(self.effective_after, "effective_after"),
            effective_before=_day(self.effective_before, "effective_before"),
            include_history=self.include_history,
        )


def run_search(question: str | None, queries: Path | None, options: SearchOptions) -> None:
    if (question is None) == (queries is None):
        raise InvalidInputError("请给出一个问题，或用 --queries 指定批量问题文件（二者选一）", field="question")
    filters = options.filters()
    kb = KnowledgeBase.open(get_settings())
    if question is not None:
        _search_one(kb, question.strip(), filters, options)
        return
    assert queries is not None
    for item in read_question_file(queries):  # every line is checked before any is answered
        hits = kb.retriever.retrieve(item.question, k=options.k, filters=filters)
        print(
            json.dumps(
                {"id": item.id, "question": item.question, "hits": [hit_to_json(h) for h in hits]},
                ensure_ascii=False,
            )
        )


def _search_one(kb: KnowledgeBase, question: str, filters: SearchFilters, options: SearchOptions) -> None:
    if not question:
        raise InvalidInputError("问题不能为空", field="question")
    started = time.perf_counter()
    hits = kb.retriever.retrieve(question, k=options.k, filters=filters)
    elapsed_ms = (time.perf_counter() - started) * 1000
    if options.as_json:
        payload = {
            "question": question,
            "ms": round(elapsed_ms, 1),
            "degraded": degraded_message(hits),
            "hits": [hit_to_json(h) for h in hits],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    _print_hits(question, hits, elapsed_ms, degraded_message(hits))


def _print_hits(question: str, hits: Sequence[Hit], elapsed_ms: float, degraded: str | None) -> None:
    console = Console()
    table = Table(title=f"“{question}” — {len(hits)} 条，{elapsed_ms:.0f} 毫秒", show_lines=True)
    for column in ("#", "出处", "内容", "排名（向量/词法）"):
        table.add_column(column)
    for position, hit in enumerate(hits, start=1):
        table.add_row(str(position), _citation(hit), hit.chunk.text[:160], _ranks(hit))
    console.print(table)
    if degraded:
        console.print(f"[yellow]注意：{degraded}[/yellow]")


def _citation(hit: Hit) -> str:
    parts = [
        f"《{hit.document.title}》",
        hit.document.doc_number or "",
        " ".join(hit.chunk.section_path[-1:]),
        hit.chunk.article or "",
    ]
    label = " ".join(p for p in parts if p)
    return f"{label}\n[red]（{hit.validity.value}）[/red]" if hit.flagged else label


def _ranks(hit: Hit) -> str:
    return " / ".join(str(hit.scores[n].rank) if n in hit.scores else "-" for n in ("dense", "lexical"))


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"日期格式应为 YYYY-MM-DD：{value}", field=field) from None


def _kind(value: str) -> DocumentKind:
    try:
        return DocumentKind(value)
    except ValueError:
        allowed = "、".join(k.value for k in DocumentKind)
        raise InvalidInputError(f"未知的文档类型 {value}，可选：{allowed}", field="kind") from None
