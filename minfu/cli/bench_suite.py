"""`minfu bench` without a subcommand: the whole suite (eval/bench/suite.py), one table per section or one JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from eval.bench.suite import SuiteOptions, run_suite
from minfu.cli.bench_http import phase_table

Stats = dict[str, Any]
Renderer = Callable[[Console, dict[str, Any]], None]


def run_bench_suite(options: SuiteOptions, *, as_json: bool) -> dict[str, Any]:
    """Run the suite with a status line on stderr; print the figures; return the report."""
    with Console(stderr=True).status("正在准备基准测试…") as status:
        report = run_suite(options, progress=status.update)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_report(report)
    return report


def section_errors(report: dict[str, Any]) -> dict[str, str]:
    return {name: result["error"] for name, result in report["sections"].items() if "error" in result}


def print_report(report: dict[str, Any]) -> None:
    console = Console(width=max(Console().width, 150))
    host = report["host"]
    console.print(
        f"主机：{host['cpus']} 核 CPU，Python {host['python']}；1 分钟平均负载 开始 {host['load_1m_at_start']}，"
        f"结束 {host['load_1m_at_end']}（负载高于核数时各项数字受其他任务影响）"
    )
    for name, result in report["sections"].items():
        if "error" in result:
            console.print(f"[red]{TITLES[name]}未能完成：{result['error']}[/red]")
            continue
        RENDERERS[name](console, result)
        console.print(
            f"[dim]本项用时 {result['section_s']:g} 秒；主机 1 分钟平均负载 {_pair(result['host_load_1m'])}[/dim]"
        )
    if "service_knowledge" in report:
        console.print(_knowledge_note(report["service_knowledge"]))


# --- formatting helpers ---


def _num(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _p(stats: Stats, *names: str) -> str:
    return " / ".join(_num(stats.get(name)) for name in names)


def _times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _pair(values: list[float | None]) -> str:
    return " → ".join("—" if v is None else f"{v:g}" for v in values)


def _table(title: str, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    return table


def _show(console: Console, table: Table) -> None:
    """The title on a line of its own (a table title wraps at the table's width, mid-word in Chinese)."""
    title, table.title = table.title, None
    console.print(Text(str(title or ""), style="bold"))
    console.print(table)


def _knowledge_note(knowledge: dict[str, Any]) -> str:
    status = knowledge["status"]
    held = f"{status['documents']} 篇 {status['chunks']:,} 块，向量 {status['dense_chunks']:,}（{status['embedder']}）"
    if knowledge["kind"] == "default":
        return f"对话、HTTP、内存三项使用默认持久索引 {knowledge['data_dir']}：{held}"
    return (
        f"对话、HTTP、内存三项使用临时索引（{knowledge['corpus']}，词法 + 哈希向量，"
        f"建索引 {knowledge['build_s']} 秒）：{held}；未用默认索引的原因：{knowledge['reason']}"
    )


# --- sections ---


def _ingest(console: Console, result: dict[str, Any]) -> None:
    dense = result["dense"]
    title = (
        f"导入吞吐：{result['documents']} 篇文档，{result['chunks']:,} 块，{result['characters']:,} 字"
        f"（{result['embedder']}，全新临时数据目录）"
    )
    table = _table(title, ["阶段", "秒", "篇/秒", "块/秒", "字/秒"])
    for label, stage in (("读取", result["load"]), ("分块 + 词法索引", result["chunk_lexical"])):
        table.add_row(label, *_rates(stage))
    dense_label = f"向量化（抽样 {dense['chunks']:,} 块）" if dense["sampled"] else "向量化（全部分块）"
    table.add_row(dense_label, *_rates(dense))
    first = "首次导入合计（向量部分按抽样估算）" if result["first_run_estimated"] else "首次导入合计"
    table.add_row(first, _num(result["first_run_s"], 2), "", "", "")
    second = result["second_run"]
    table.add_row("第二次导入（无变化）", _num(second["seconds"], 2), "", "", "")
    _show(console, table)
    lexical_share = result["load"]["seconds"] + result["chunk_lexical"]["seconds"]
    console.print(
        f"读取 + 分块 + 词法 {lexical_share:.2f} 秒，向量化 {_num(dense['seconds_full'], 2)} 秒"
        f"{'（按抽样字数估算全部）' if dense['sampled'] else ''}；第二次导入新分块 {second['new_chunks']}、"
        f"重新向量化 {second['embedded_chunks']}，用时为首次的 {_times(second['vs_first'])}"
        f"{'' if second['dense_checked'] else '（抽样时第二次不补齐向量）'}"
    )


def _rates(stage: Stats) -> list[str]:
    names = ("documents_per_s", "chunks_per_s", "characters_per_s")
    return [_num(stage["seconds"], 2), *(_num(stage[name], 0) for name in names)]


def _search(console: Console, result: dict[str, Any]) -> None:
    sources = result["sources"]
    title = (
        f"检索延迟随规模（HybridRetriever，k={result['k']}，{result['questions']} 个开发集问题 × "
        f"{result['rounds']} 轮，预热后；段落与问题向量：{result['embedder']}）"
    )
    columns = ["分块", "原文 / 副本", "文档", "建索引 秒\n目录/词法/向量", "向量化 / Chroma 写入 秒"]
    table = _table(title, [*columns, "p50 ms", "p95 ms", "p99 ms", "相对首档\np50 / p95 / 建索引"])
    for row in result["sizes"]:
        build, latency, versus = row["build_s"], row["latency_ms"], row["vs_first"]
        table.add_row(
            f"{row['chunks']:,}",
            f"{row['original_chunks']:,} / {row['copied_chunks']:,}",
            f"{row['documents']:,}",
            f"{build['total']:.1f}（{build['catalog']:.1f}/{build['lexical']:.1f}/{build['dense']:.1f}）",
            f"{build['dense_embedding']:.1f} / {build['dense_writes']:.1f}",
            _num(latency["p50"]),
            _num(latency["p95"]),
            _num(latency["p99"]),
            " / ".join(_times(versus[name]) for name in ("p50", "p95", "build")),
        )
    _show(console, table)
    for line in _search_notes(result, sources):
        console.print(line)


def _search_notes(result: dict[str, Any], sources: dict[str, Any]) -> list[str]:
    notes = [
        f"原文：内置国家法律与上海地方性法规{'及广东政务服务事项' if not sources['missing'] else ''}，"
        f"{sources['documents']:,} 篇、{sources['chunks']:,} 块；超出部分为按上海各区复制的副本"
        "（标题与各节冠以区名，文档编号带副本标记）。",
        "检索耗时不含问题向量化：预热后问题向量来自嵌入缓存（与产品对重复问题的处理相同）。",
    ]
    if sources["missing"]:
        notes.append(f"[yellow]未找到：{'、'.join(sources['missing'])}，仅用法规扩充[/yellow]")
    if result["embedder"].startswith("hashing"):
        notes.append("段落向量为哈希向量（与 e5-small 同为 384 维）：HNSW 与 Chroma 的计算量相同，但不代表检索质量。")
    e5 = result["e5_query_embedding"]
    if e5 is not None and e5["available"]:
        stats = e5["latency_ms"]
        notes.append(
            f"e5 问题向量化（{e5['model']}，未缓存，每题）：p50 {_num(stats['p50'])} ms、p95 {_num(stats['p95'])} ms"
            " —— 真实部署中新问题需另加这部分。"
        )
    elif e5 is not None:
        notes.append(f"[yellow]e5 问题向量化未测：{e5['reason']}[/yellow]")
    current = " / ".join(f"{row['current_chunks']:,}" for row in result["sizes"])
    notes.append(f"现行有效（默认检索范围内）的分块：{current}；有被替代的旧版本时，每次检索都按有效期筛选。")
    degraded = sum(row["lexical_only_answers"] for row in result["sizes"])
    if degraded:
        notes.append(f"[yellow]{degraded} 次检索只用了词法索引（向量索引不可用）[/yellow]")
    return notes


def _chat(console: Console, result: dict[str, Any]) -> None:
    groups = (("单轮（开发集问题）", result["single_turn"]), ("多轮场景", result["multi_turn"]))
    index = "默认持久索引" if result["knowledge_source"] == "default" else "临时索引（词法 + 哈希向量）"
    title = f"对话每轮延迟（离线大脑，agents.factory 构建的助手，{index}；p50 / p95 ms）"
    table = _table(title, ["组", "轮数", "整轮（外部计时）", "智能体图内", "大脑", "工具", "图内其他"])
    for label, group in groups:
        stages = group["stages_ms"]
        cells = [_p(stages[name], "p50", "p95") for name in ("wall", "total", "model", "tool", "other")]
        table.add_row(label, str(group["turns"]), *cells)
    _show(console, table)
    tools = _table("各工具耗时（两组合计，p50 / p95 ms）", ["工具", "调用次数", "p50 / p95"])
    for name, stats in _merged_tools(groups).items():
        tools.add_row(name, str(stats[0]), stats[1])
    _show(console, tools)
    ratios = result["multi_vs_single"]
    console.print(
        f"多轮 / 单轮整轮延迟：p50 {_times(ratios['p50'])}，p95 {_times(ratios['p95'])}；"
        f"构建助手并预热 {result['setup_s']} 秒；多轮场景 {len(result['scenarios'])} 个"
    )


def _merged_tools(groups: tuple[tuple[str, dict[str, Any]], ...]) -> dict[str, tuple[int, str]]:
    merged: dict[str, tuple[int, str]] = {}
    for label, group in groups:
        for name, stats in group["tools_ms"].items():
            merged[f"{name}（{label[:2]}）"] = (stats["n"], _p(stats, "p50", "p95"))
    return dict(sorted(merged.items()))


def _http(console: Console, result: dict[str, Any]) -> None:
    options = result["options"]
    title = (
        f"HTTP 负载（eval/bench_http.py）：{options['sessions']} 个并发会话 × {options['seconds']:g} 秒，流式多轮对话"
    )
    table = phase_table(result, title)
    _show(console, table)
    versus = result.get("load_vs_probe")
    if versus:
        console.print(
            f"负载 / 单客户端 p95：首事件 {_times(versus['first_event'])}，"
            f"整轮 {_times(versus['full_turn'])}（多出的部分是排队）"
        )
    errors = result["load"]["error_kinds"]
    if errors:
        console.print("[red]负载错误：" + "；".join(f"{kind} × {count}" for kind, count in errors.items()) + "[/red]")


def _memory(console: Console, result: dict[str, Any]) -> None:
    load = result["load"]
    title = (
        f"服务常驻内存（RSS，/proc）：启动 {result['startup_s']} 秒；负载 {load['sessions']} 个会话 × "
        f"{load['seconds']:g} 秒，完成 {load['turns_completed']} 轮、错误 {load['errors']}"
    )
    table = _table(title, ["时刻", "MB", "采样数"])
    idle, loaded = result["idle_mb"], result["load_mb"]
    table.add_row("就绪后第一次采样", _num(idle["first"]), "1")
    table.add_row("空闲（中位数）", _num(idle["median"]), str(idle["samples"]))
    table.add_row("负载中（中位数）", _num(loaded["median"]), str(loaded["samples"]))
    table.add_row("负载中峰值（采样）", _num(loaded["peak"]), str(loaded["samples"]))
    table.add_row("进程峰值（VmHWM）", _num(result["vm_hwm_mb"]), "")
    table.add_row("负载结束后", _num(result["after_load_mb"]), "")
    _show(console, table)
    console.print(f"负载峰值 / 空闲：{_times(result['peak_vs_idle'])}")


TITLES = {"ingest": "导入吞吐", "search": "检索延迟", "chat": "对话延迟", "http": "HTTP 负载", "memory": "服务内存"}
RENDERERS: dict[str, Renderer] = {
    "ingest": _ingest,
    "search": _search,
    "chat": _chat,
    "http": _http,
    "memory": _memory,
}
