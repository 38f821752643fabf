"""`minfu bench …`: benchmarks that print figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from eval.ann import ann_recall_table
from eval.datasets import read_question_file
from knowledge.base import KnowledgeBase
from minfu.errors import InvalidInputError
from minfu.settings import get_settings


def run_ann_recall(queries_path: Path, *, k: int) -> None:
    kb = KnowledgeBase.open(get_settings())
    ids, vectors = kb.vector_index.vectors()  # type: ignore[attr-defined]
    if len(ids) < k:
        raise InvalidInputError("向量索引为空或过小：请先运行 minfu ingest", field="index")
    questions = [item.question for item in read_question_file(queries_path)]
    queries = np.stack([kb.embedder.embed_query(q) for q in questions])
    table = Table(title=f"HNSW recall@{k}：{len(ids)} 个向量，{len(questions)} 个真实问题")
    for column in ("space", "M", "ef_construction", "ef_search", f"recall@{k}", "查询 ms"):
        table.add_column(column, justify="right")
    for row in ann_recall_table(ids, vectors, queries, kb.embedder, k=k):
        p = row.params
        table.add_row(
            p.space, str(p.m), str(p.ef_construction), str(p.ef_search), f"{row.recall:.4f}", f"{row.query_ms:.2f}"
        )
    Console().print(table)
