"""`minfu eval …`: evaluation commands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeRemainingColumn

from eval.retrieval import render_table, report_notes, report_to_json, run_retrieval_eval
from minfu.errors import InvalidInputError


def run_retrieval(
    dataset: Path, *, corpus: Path | None, pipelines: Sequence[str], k: int, embedder: str | None, as_json: bool
) -> None:
    if not dataset.exists():
        raise InvalidInputError(f"找不到评测集：{dataset}", field="dataset")
    if corpus is not None and not corpus.exists():
        raise InvalidInputError(f"找不到语料：{corpus}", field="corpus")
    errors = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=errors, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        report = run_retrieval_eval(
            dataset, corpus=corpus, pipelines=pipelines, k=k, embedder_override=embedder, progress=progress
        )
    if as_json:
        print(json.dumps(report_to_json(report), ensure_ascii=False, indent=2))
        return
    console = Console(width=max(Console().width, 170))  # 14 columns: narrower terminals would truncate figures
    console.print(render_table(report))
    for note in report_notes(report):
        console.print(f"· {note}")
