"""`minfu eval run`: the answer-quality evaluation with a progress bar, then the headline figures per pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from eval.metric_catalog import METRICS
from eval.run import EvalRunOptions, run_evaluation
from minfu.settings import get_settings

HEADLINE = (
    "hit@5", "mrr@10", "citation_precision", "refusal_precision", "refusal_recall", "safety_passed",
    "dialogue_pass_rate", "tool_call_f1", "chrf", "bleu", "semantic_similarity", "faithfulness", "answer_relevancy",
    "factual_correctness", "currency_violations", "latency_ms_p95",
)  # fmt: skip


def run_eval(options: EvalRunOptions, *, as_json: bool) -> None:
    errors = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeRemainingColumn())
    with Progress(*columns, console=errors, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        out = run_evaluation(options, get_settings(), progress)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    console = Console(width=max(Console().width, 140))
    console.print(headline_table(summary))
    for dataset in summary["run"]["datasets"]:
        for problem in dataset["problems"]:
            console.print(f"· {dataset['name']} 第 {problem['line']} 行已跳过：{problem['message_zh']}")
    for name, data in summary["pipelines"].items():
        if data.get("judge_errors"):
            console.print(f"· {name}：评审模型有 {data['judge_errors']} 题未能评分（原因见各题的 judge_error）")
    console.print(f"结果：{out / 'results.jsonl'}\n汇总：{out / 'summary.json'}\n报告：{out / 'report.html'}")


def headline_table(summary: dict[str, Any]) -> Table:
    pipelines = summary["pipelines"]
    table = Table(title="回答质量评测（全部题目）")
    table.add_column("指标")
    for name, data in pipelines.items():
        table.add_column(f"{name}（{data['items']} 题，{data['errors']} 错）", justify="right")
    for metric in HEADLINE:
        values = [data["overall"].get(metric) for data in pipelines.values()]
        if all(value is None for value in values):
            continue
        table.add_row(METRICS[metric].label_zh, *(_shown(metric, value) for value in values))
    return table


def _shown(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    scale = METRICS[metric].scale
    if scale == "count":
        return str(int(value))
    if scale == "ms":
        return f"{value:.0f}"
    return f"{value:.3f}"


def default_out() -> Path:
    return get_settings().data_dir / "eval" / "latest"
