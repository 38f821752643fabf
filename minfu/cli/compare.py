"""`minfu eval compare A B` and `minfu eval report RUN_DIR`: read run directories written by `minfu eval run`."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from eval.compare import Comparison, MetricChange, PipelineComparison, compare_runs, comparison_to_json
from eval.metric_catalog import format_delta, format_value, label
from eval.report import write_report
from eval.run_dir import load_run

SHOWN_ITEMS = 50


def run_report(run_dir: Path) -> Path:
    return write_report(run_dir)


def run_compare(baseline: Path, candidate: Path, *, tolerance: float, as_json: bool) -> int:
    """Print the comparison; the exit code is 1 when a metric regressed beyond the tolerance, 0 otherwise."""
    comparison = compare_runs(load_run(baseline), load_run(candidate), tolerance=tolerance)
    if as_json:
        print(json.dumps(comparison_to_json(comparison), ensure_ascii=False, indent=2))
    else:
        _print(comparison, Console(width=max(Console().width, 110)))
    return 1 if comparison.regressions else 0


def _print(comparison: Comparison, console: Console) -> None:
    console.print(f"A（基线）：{comparison.baseline}")
    console.print(f"B（对比）：{comparison.candidate}")
    console.print(f"容差：{comparison.tolerance:g}（比率与得分为绝对差，时延为相对差，计数任何增加都算退步）")
    for note in comparison.notes:
        console.print(f"[yellow]注意：{note}[/yellow]")
    if comparison.only_in_baseline:
        console.print(f"只在 A 中的流水线（未对比）：{'、'.join(comparison.only_in_baseline)}")
    if comparison.only_in_candidate:
        console.print(f"只在 B 中的流水线（未对比）：{'、'.join(comparison.only_in_candidate)}")
    for pipeline in comparison.pipelines:
        console.print(_overall_table(pipeline))
        console.print(_category_table(pipeline))
    console.print(_worsened_table(comparison))
    style = "bold red" if comparison.regressions else "bold green"
    console.print(Text(comparison.verdict, style=style))


def _judgement(change: MetricChange) -> Text:
    if change.regressed:
        return Text("退步", style="bold red")
    if change.improved:
        return Text("改进", style="green")
    return Text("")


def _cells(change: MetricChange) -> list[str | Text]:
    delta = change.delta
    shown = "—" if delta is None else format_delta(change.metric, delta)
    style = "red" if change.regressed else "green" if change.improved else ""
    return [
        format_value(change.metric, change.before),
        format_value(change.metric, change.after),
        Text(shown, style=style),
        _judgement(change),
    ]


def _overall_table(pipeline: PipelineComparison) -> Table:
    table = Table(title=f"流水线 {pipeline.pipeline}：整体指标", title_justify="left")
    table.add_column("指标")
    for heading in ("A", "B", "变化"):
        table.add_column(heading, justify="right")
    table.add_column("判定")
    for change in pipeline.overall:
        table.add_row(label(change.metric), *_cells(change), style="red" if change.regressed else None)
    return table


def _category_table(pipeline: PipelineComparison) -> Table | Text:
    changed = [
        (category, change)
        for category, changes in pipeline.by_category.items()
        for change in changes
        if change.regressed or change.improved
    ]
    if not changed:
        return Text(f"流水线 {pipeline.pipeline}：各分类指标都没有超出容差的变化。")
    table = Table(title=f"流水线 {pipeline.pipeline}：超出容差的分类指标变化", title_justify="left")
    table.add_column("分类")
    table.add_column("指标")
    for heading in ("A", "B", "变化"):
        table.add_column(heading, justify="right")
    table.add_column("判定")
    for category, change in changed:
        table.add_row(category, label(change.metric), *_cells(change))
    return table


def _worsened_table(comparison: Comparison) -> Table | Text:
    if not comparison.worsened:
        return Text("没有变差的条目。")
    table = Table(title=f"变差的条目（{len(comparison.worsened)} 个）", title_justify="left")
    for heading in ("流水线", "评测集", "编号", "分类", "变化", "B 的未通过原因"):
        table.add_column(heading, overflow="fold")
    for item in comparison.worsened[:SHOWN_ITEMS]:
        reasons = Text("；".join(item.reasons), style="red")
        table.add_row(item.pipeline, item.dataset, item.id, item.category, reasons, "；".join(item.failures) or "—")
    if len(comparison.worsened) > SHOWN_ITEMS:
        table.caption = f"另有 {len(comparison.worsened) - SHOWN_ITEMS} 个未列出（--json 可看全部）"
    return table
