"""`report.html` for a run directory: one self-contained page (inline CSS and SVG, no script, no network) that an
official can open from a file share or an e-mail.

Sections: the run (datasets, pipelines, brain, corpus, times, dataset problems); an overview of key metrics per
pipeline with the best of each row marked; bar charts per metric group; per-category and per-dataset heat tables;
the worst items of each pipeline with their contexts and citations. Absent metrics show "—". All text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from importlib.resources import files
from pathlib import Path
from string import Template

from eval.metric_catalog import GROUP_LABELS, METRICS, format_value, label
from eval.report_charts import ChartRow, bar_chart, heat_colour, series_colour
from eval.report_items import render_worst
from eval.run_dir import PipelineSummary, Run, RunInfo, Summary, load_run

REPORT_NAME = "report.html"
KEY_METRICS = (
    "hit@5",
    "mrr@10",
    "citation_precision",
    "refusal_precision",
    "refusal_recall",
    "safety_passed",
    "dialogue_pass_rate",
    "chrf",
    "bleu",
    "semantic_similarity",
    "currency_violations",
    "latency_ms_p95",
)
BREAKDOWN_METRICS = (
    "hit@5",
    "mrr@10",
    "citation_precision",
    "refusal_correct",
    "safety_passed",
    "dialogue_pass_rate",
    "chrf",
    "semantic_similarity",
    "currency_violations",
)
SECTIONS = (
    ("run", "运行信息"),
    ("overview", "总览"),
    ("charts", "分组图表"),
    ("categories", "分类明细"),
    ("worst", "问题条目"),
)


def write_report(run_dir: Path) -> Path:
    """Write `report.html` into the run directory and return its path."""
    run = load_run(run_dir)
    target = run_dir / REPORT_NAME
    target.write_text(render_report(run), encoding="utf-8")
    return target


def render_report(run: Run, *, generated_at: datetime | None = None) -> str:
    summary = run.require_summary()
    pipelines = tuple(name for name in run.pipelines if name in summary.pipelines)
    moment = (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M")
    body = "".join(
        (
            _masthead(run.info),
            _toc(),
            '<main class="wrap">',
            _run_section(run, summary),
            _overview(summary, pipelines),
            _charts(summary, pipelines),
            _breakdowns(summary, pipelines),
            _worst(run, pipelines),
            "</main>",
            f"<footer>报告生成于 {moment} · 单文件离线报告，不加载任何外部资源</footer>",
        )
    )
    template = Template((files("eval") / "templates" / "report.html").read_text(encoding="utf-8"))
    return template.substitute(title=f"闵服评测报告 · {_when(run.info.started_at)}", body=body)


# --- the run ---


def _when(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "未完成"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} 小时 {minutes} 分 {rest} 秒" if hours else f"{minutes} 分 {rest} 秒"


def _masthead(info: RunInfo) -> str:
    subtitle = f"{escape(info.brain)} 大脑 · {len(info.pipelines)} 条流水线 · 开始于 {_when(info.started_at)}"
    return f'<header class="masthead"><div class="wrap"><h1>闵服评测报告</h1><p>{subtitle}</p></div></header>'


def _toc() -> str:
    links = "".join(f'<a href="#{anchor}">{title}</a>' for anchor, title in SECTIONS)
    return f'<nav class="toc"><div class="wrap">{links}</div></nav>'


def _notices(run: Run, summary: Summary) -> str:
    notes: list[tuple[str, str]] = []
    if run.info.finished_at is None:
        notes.append(("warn", "这次运行没有记录结束时间：可能被中断，结果不完整。"))
    if run.truncated_line is not None:
        notes.append(("warn", f"results.jsonl 第 {run.truncated_line} 行写到一半（运行被中断），已跳过。"))
    errors = {name: figures.errors for name, figures in summary.pipelines.items() if figures.errors}
    if errors:
        listed = "、".join(f"{escape(name)} {count} 条" for name, count in errors.items())
        notes.append(("bad", f"运行出错的条目：{listed}（见“问题条目”）。"))
    return "".join(f'<div class="notice {kind}">{text}</div>' for kind, text in notes)


def _run_section(run: Run, summary: Summary) -> str:
    info = run.info
    facts = (
        ("开始时间", _when(info.started_at)),
        ("结束时间", _when(info.finished_at)),
        ("用时", _duration(info.duration_s)),
        ("大脑", info.brain),
        ("流水线", "、".join(info.pipelines)),
        ("语料", info.corpus or "—"),
        ("向量模型", info.embedder or "—"),
        ("评审模型", info.judge or "未使用"),
        ("minfu 版本", info.minfu_version or "—"),
        ("运行目录", str(run.path)),
    )
    grid = "".join(f"<div><dt>{name}</dt><dd>{escape(value)}</dd></div>" for name, value in facts)
    return (
        f'<section class="card" id="run"><h2>运行信息</h2>{_notices(run, summary)}'
        f'<dl class="facts">{grid}</dl><h3>评测集</h3>{_datasets(info)}</section>'
    )


def _datasets(info: RunInfo) -> str:
    rows = []
    for dataset in info.datasets:
        problems = "无"
        if dataset.problems:
            listed = "".join(
                f"<li>第 {problem.line if problem.line is not None else '—'} 行"
                f"{' · 字段 ' + escape(problem.field) if problem.field else ''}：{escape(problem.message_zh)}</li>"
                for problem in dataset.problems
            )
            problems = (
                f'<details class="sub"><summary>{len(dataset.problems)} 处问题（这些行未参与评测）</summary>'
                f'<ul class="plain">{listed}</ul></details>'
            )
        rows.append(
            f"<tr><td>{escape(dataset.name)}</td><td><code>{escape(dataset.path)}</code></td>"
            f'<td class="num">{dataset.items}</td><td>{problems}</td></tr>'
        )
    head = '<thead><tr><th>评测集</th><th>文件</th><th class="num">条目数</th><th>数据问题</th></tr></thead>'
    return f'<div class="table-scroll"><table>{head}<tbody>{"".join(rows)}</tbody></table></div>'


# --- overview ---


def _pipeline_header(pipelines: Sequence[str], first: str) -> str:
    cells = "".join(
        f'<th class="num"><span class="swatch" style="background:{series_colour(index)}"></span>{escape(name)}</th>'
        for index, name in enumerate(pipelines)
    )
    return f"<thead><tr><th>{first}</th>{cells}</tr></thead>"


def _best(metric: str, values: Sequence[float | None]) -> set[int]:
    """Indexes of the best values of a row (ties all marked); none when fewer than two pipelines have a value."""
    present = [(index, value) for index, value in enumerate(values) if value is not None]
    info = METRICS.get(metric)
    if len(present) < 2 or info is None:
        return set()
    best = max(value for _, value in present) if info.higher_is_better else min(value for _, value in present)
    if all(value == best for _, value in present):
        return set()
    return {index for index, value in present if value == best}


def _metric_row(metric: str, values: Sequence[float | None]) -> str:
    best = _best(metric, values)
    cells = "".join(
        f'<td class="num{" best" if index in best else ""}">{format_value(metric, value)}</td>'
        for index, value in enumerate(values)
    )
    return f'<tr><td class="metric">{escape(label(metric))}<small>{escape(metric)}</small></td>{cells}</tr>'


def _overview(summary: Summary, pipelines: Sequence[str]) -> str:
    figures = [summary.pipelines[name] for name in pipelines]
    counts = "".join(f'<td class="num">{figure.items}</td>' for figure in figures)
    errors = "".join(f'<td class="num">{figure.errors}</td>' for figure in figures)
    rows = [f"<tr><td>条目数</td>{counts}</tr>", f"<tr><td>运行出错</td>{errors}</tr>"]
    rows += [_metric_row(metric, [figure.overall.value(metric) for figure in figures]) for metric in KEY_METRICS]
    return (
        f'<section class="card" id="overview"><h2>总览</h2>'
        f'<p class="hint">每行绿色标出表现最好的流水线（时延与失效引用越低越好）；“—”表示该指标不适用或未计算。</p>'
        f'<div class="table-scroll"><table class="overview">{_pipeline_header(pipelines, "指标")}'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


# --- charts per metric group ---


def _full_scale(metric: str, values: Sequence[float | None]) -> float:
    scale = METRICS[metric].scale
    if scale == "ratio":
        return 1.0
    if scale == "score100":
        return 100.0
    return max((value for value in values if value is not None), default=0.0) or 1.0


def _group_metrics(summary: Summary, pipelines: Sequence[str], group: str) -> list[str]:
    present = [
        name
        for name, info in METRICS.items()
        if info.group == group
        and any(summary.pipelines[pipeline].overall.value(name) is not None for pipeline in pipelines)
    ]
    if "dialogue_pass_rate" in present and "dialogue_passed" in present:  # the same figure twice
        present.remove("dialogue_passed")
    return present


def _charts(summary: Summary, pipelines: Sequence[str]) -> str:
    figures = []
    for group, group_label in GROUP_LABELS.items():
        rows = []
        for metric in _group_metrics(summary, pipelines, group):
            values = tuple(summary.pipelines[pipeline].overall.value(metric) for pipeline in pipelines)
            shown = tuple(format_value(metric, value) for value in values)
            rows.append(ChartRow(label(metric), values, shown, _full_scale(metric, values)))
        if rows:
            chart = bar_chart(f"{group_label}指标", pipelines, rows)
            figures.append(f"<figure><figcaption>{group_label}</figcaption>{chart}</figure>")
    content = "".join(figures) or '<p class="hint">没有可绘制的指标。</p>'
    hint = "比率类指标以 1 为满格，百分制得分以 100 为满格，计数与时延以各流水线中的最大值为满格。"
    return (
        f'<section class="card" id="charts"><h2>分组图表</h2><p class="hint">{hint}</p>'
        f'<div class="charts">{content}</div></section>'
    )


# --- breakdowns ---


def _goodness(metric: str, value: float) -> float | None:
    info = METRICS[metric]
    if info.scale == "ratio":
        return value
    if info.scale == "score100":
        return value / 100
    if info.scale == "count":
        return 1.0 if value == 0 else 0.0
    return None  # latency: no colour


def _heat_cell(metric: str, value: float | None) -> str:
    if value is None:
        return '<td class="num">—</td>'
    goodness = _goodness(metric, value)
    style = "" if goodness is None else f' style="background:{heat_colour(goodness)}"'
    return f'<td class="num"{style}>{format_value(metric, value)}</td>'


def _heat_table(
    metric: str, groups: dict[str, list[tuple[int | None, float | None]]], pipelines: Sequence[str], first: str
) -> str:
    rows = []
    for name, entries in sorted(groups.items()):
        values = [value for _, value in entries]
        if all(value is None for value in values):
            continue
        count = next((items for items, _ in entries if items is not None), None)
        cells = "".join(_heat_cell(metric, value) for value in values)
        rows.append(
            f'<tr><td>{escape(name)}</td><td class="num">{count if count is not None else "—"}</td>{cells}</tr>'
        )
    if not rows:
        return ""
    head = _pipeline_header(pipelines, first).replace("</th>", '</th><th class="num">条目</th>', 1)
    return (
        f'<div><h4>{escape(label(metric))}</h4><div class="table-scroll"><table>{head}'
        f"<tbody>{''.join(rows)}</tbody></table></div></div>"
    )


def _grouped(
    figures: Sequence[PipelineSummary], metric: str, dimension: str
) -> dict[str, list[tuple[int | None, float | None]]]:
    """{group: [(items, value) per pipeline]} over the union of groups any pipeline has."""
    blocks = [figure.by_category if dimension == "category" else figure.by_dataset for figure in figures]
    names = sorted({name for block in blocks for name in block})
    return {
        name: [(block[name].items, block[name].value(metric)) if name in block else (None, None) for block in blocks]
        for name in names
    }


def _breakdown(summary: Summary, pipelines: Sequence[str], dimension: str) -> str:
    figures = [summary.pipelines[name] for name in pipelines]
    first = "分类" if dimension == "category" else "评测集"
    tables = [
        _heat_table(metric, _grouped(figures, metric, dimension), pipelines, first) for metric in BREAKDOWN_METRICS
    ]
    return "".join(table for table in tables if table)


def _breakdowns(summary: Summary, pipelines: Sequence[str]) -> str:
    hint = "单元格颜色由红到绿表示由差到好；“条目”为该分组的条目数。"
    by_category = _breakdown(summary, pipelines, "category") or '<p class="hint">没有按分类的指标。</p>'
    by_dataset = _breakdown(summary, pipelines, "dataset") or '<p class="hint">没有按评测集的指标。</p>'
    return (
        f'<section class="card" id="categories"><h2>分类明细</h2><p class="hint">{hint}</p>'
        f'<h3>按分类</h3><div class="heat-grid">{by_category}</div>'
        f'<h3>按评测集</h3><div class="heat-grid">{by_dataset}</div></section>'
    )


# --- worst items ---


def _worst(run: Run, pipelines: Sequence[str]) -> str:
    hint = (
        "按问题严重程度排序：运行出错、输出禁止内容、多轮未通过、拒答判断错误、未通过的检查、前 5 条未命中、"
        "无依据或失效的引用。"
        "点击条目展开问题、回答、参考答案、检索到的上下文与引用。"
    )
    content = "".join(render_worst(pipeline, run.items_of(pipeline)) for pipeline in pipelines)
    return f'<section class="card" id="worst"><h2>问题条目</h2><p class="hint">{hint}</p>{content}</section>'
