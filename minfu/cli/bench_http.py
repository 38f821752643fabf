"""`minfu bench http`: the service on loopback under concurrent chat sessions (eval/bench_http.py)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from eval.bench_http import HttpBenchOptions, HttpBenchReport, run_http_benchmark

PHASES = (("warmup", "预热"), ("first_event_probe", "首事件探测（单客户端）"), ("load", "负载"))


def run_bench_http(options: HttpBenchOptions, *, as_json: bool) -> HttpBenchReport:
    errors = Console(stderr=True)
    with errors.status("正在启动服务…") as status:
        report = run_http_benchmark(options, progress=status.update)
    summary = report.summary()
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print(summary)
    return report


def _print(summary: dict[str, Any]) -> None:
    console = Console(width=max(Console().width, 150))  # nine columns of figures
    options = summary["options"]
    console.print(phase_table(summary, f"HTTP 基准：{options['sessions']} 个并发会话 × {options['seconds']:g} 秒"))
    console.print(_kind_table(summary["load"]))
    for line in _notes(summary):
        console.print(line)


def phase_table(summary: dict[str, Any], title: str) -> Table:
    table = Table(title=title)
    for column in ("阶段", "会话", "秒", "完成轮数", "错误", "轮/秒"):
        table.add_column(column, justify="right" if column != "阶段" else "left")
    for column in ("首个事件 ms", "首段文字 ms", "整轮 ms"):
        table.add_column(f"{column}\np50 / p95 / p99", justify="right")
    for key, label in PHASES:
        phase = summary[key]
        if phase is None:
            continue
        latency = phase["latency_ms"]
        table.add_row(
            label,
            str(phase["sessions"]),
            f"{phase['elapsed_s']:.1f}",
            str(phase["turns_completed"]),
            f"[red]{phase['errors']}[/red]" if phase["errors"] else "0",
            f"{phase['throughput_turns_per_s']:.2f}",
            *(_percentiles(latency[name]) for name in ("first_event", "first_text", "full_turn")),
        )
    return table


def _percentiles(stats: dict[str, float | None]) -> str:
    return " / ".join("—" if stats[q] is None else f"{stats[q]:.0f}" for q in ("p50", "p95", "p99"))


def _kind_table(load: dict[str, Any]) -> Table:
    table = Table(title="负载阶段各类对话的整轮耗时")
    for column in ("对话类别", "完成轮数", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "对话类别" else "right")
    for kind, row in load["full_turn_ms_by_kind"].items():
        table.add_row(kind, str(row["turns"]), f"{row['p50']:.0f}", f"{row['p95']:.0f}")
    return table


def _notes(summary: dict[str, Any]) -> list[str]:
    rss = summary["server_rss_mb"]
    notes = [
        f"服务进程常驻内存（RSS）：就绪后 {_mb(rss['ready'])}，负载前 {_mb(rss['start'])}，"
        f"负载后 {_mb(rss['end'])}，峰值 {_mb(rss['peak'])}",
        f"大脑：{'、'.join(summary['load']['brains']) or '—'}；{_knowledge(summary['knowledge'])}",
    ]
    if not summary["knowledge"].get("dense_complete", True):
        notes.append("[yellow]向量索引不完整：服务在后台补齐向量，占用 CPU，各项数字偏慢[/yellow]")
    probe = summary["first_event_probe"]
    if probe is not None:
        p95, met = probe["latency_ms"]["first_event"]["p95"], probe["first_event_target_met"]
        verdict = "[green]达到[/green]" if met else "[red]未达到[/red]"
        notes.append(f"首个事件 p95 {p95} ms，目标 ≤{probe['first_event_target_ms']:g} ms：{verdict}")
    for key, label in PHASES:
        phase = summary[key]
        if phase is not None and phase["error_kinds"]:
            kinds = "；".join(f"{kind} × {count}" for kind, count in phase["error_kinds"].items())
            notes.append(f"[red]{label}错误：{kinds}[/red]")
    return notes


def _knowledge(status: dict[str, Any]) -> str:
    dense = f"{status.get('dense_chunks', '?')}/{status.get('chunks', '?')}"
    return f"知识库：{status.get('documents', '?')} 篇文档，向量索引 {dense}（{status.get('embedder', '?')}）"


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} MB"
