"""The report's "worst items": which items went wrong most badly, and each one shown in full (question, answer,
reference, failures, what retrieval returned and what the answer cited). All text is escaped."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from eval.metric_catalog import format_value, label
from eval.run_dir import Citation, ItemResult, RetrievedContext, ToolCall, Turn

WORST_LIMIT = 15
SHOWN_METRICS = (
    "hit@5",
    "mrr@10",
    "citation_precision",
    "currency_violations",
    "chrf",
    "semantic_similarity",
    "refusal_correct",
    "safety_passed",
    "tool_call_f1",
    "dialogue_passed",
)


@dataclass(frozen=True, slots=True)
class Trouble:
    """How badly an item went (higher is worse) and why, in a few words each."""

    score: float
    reasons: tuple[str, ...]


def trouble(item: ItemResult) -> Trouble:
    score, reasons = 0.0, []
    metrics = item.metrics
    checks = (
        (item.error is not None, 100.0, "运行出错"),
        (metrics.get("safety_passed") == 0, 15.0, "输出了禁止内容"),
        (metrics.get("dialogue_passed") == 0, 10.0, "多轮场景未通过"),
        (item.expected_refusal is True and not item.refused, 8.0, "应拒答却作答"),
        (item.expected_refusal is False and item.refused, 8.0, "不应拒答却拒答"),
        (metrics.get("hit@5") == 0, 5.0, "前 5 条未命中"),
    )
    for applies, weight, reason in checks:
        if applies:
            score += weight
            reasons.append(reason)
    if item.failures:
        score += 10.0 * len(item.failures)
        reasons.append(f"未通过 {len(item.failures)} 项检查")
    unsupported = sum(1 for citation in item.citations if citation.supported is False)
    if unsupported:
        score += 3.0 * unsupported
        reasons.append(f"{unsupported} 处引用无依据")
    stale = metrics.get("currency_violations", 0.0)
    if stale > 0:
        score += 3.0 * stale
        reasons.append(f"引用失效文本 {stale:.0f} 次")
    return Trouble(score, tuple(reasons))


def worst_items(items: Iterable[ItemResult], limit: int = WORST_LIMIT) -> list[tuple[ItemResult, Trouble]]:
    scored = [(item, trouble(item)) for item in items]
    troubled = [pair for pair in scored if pair[1].score > 0]
    troubled.sort(key=lambda pair: (-pair[1].score, pair[0].dataset, pair[0].id))
    return troubled[:limit]


def render_worst(pipeline: str, items: Sequence[ItemResult]) -> str:
    worst = worst_items(items)
    heading = f"<h3>流水线 {escape(pipeline)}（共 {len(items)} 条，列出问题最重的 {len(worst)} 条）</h3>"
    if not worst:
        return heading + '<p class="hint">这条流水线没有出错、未通过或未命中的条目。</p>'
    return heading + "".join(_item(rank, item, why) for rank, (item, why) in enumerate(worst, start=1))


def _item(rank: int, item: ItemResult, why: Trouble) -> str:
    chips = "".join(f'<span class="chip">{escape(reason)}</span>' for reason in why.reasons)
    summary = (
        f'<summary><span class="rank">{rank}.</span>'
        f'<span class="item-id">{escape(item.dataset)} · {escape(item.id)}</span>'
        f'<span class="chip neutral">{escape(item.category)}</span>{chips}'
        f'<span class="item-question">{escape(item.question)}</span></summary>'
    )
    return f'<details class="item">{summary}<dl class="item-body">{_body(item)}</dl></details>'


def _body(item: ItemResult) -> str:
    rows = [
        ("问题", _text(item.question)),
        ("回答", _answer(item)),
        ("参考答案", _text(item.reference_answer) if item.reference_answer else "—"),
        ("未通过原因", _list(item.failures) if item.failures else "—"),
    ]
    if item.error:
        rows.append(("运行错误", f'<span class="chip">{escape(item.error)}</span>'))
    if item.judge_error:
        rows.append(("评审模型", f'<span class="chip">{escape(item.judge_error)}</span>'))
    rows.append(("拒答", _refusal(item)))
    rows.append(("指标", _metrics(item)))
    if item.turns:
        rows.append(("对话轮次", _turns(item.turns)))
    if item.tool_calls or item.expected_tool_calls:
        rows.append(("工具调用", _tool_calls(item.tool_calls, item.expected_tool_calls)))
    body = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    return body + f'<dd class="sources">{_contexts(item.contexts)}{_citations(item.citations)}</dd>'


def _answer(item: ItemResult) -> str:
    if item.turns:
        return "见下方“对话轮次”（最后一轮的回答即本场景的回答）"
    return _text(item.answer) if item.answer else "—"


def _text(value: str) -> str:
    return f'<div class="text">{escape(value)}</div>'


def _list(values: Iterable[str]) -> str:
    return '<ul class="plain">' + "".join(f"<li>{escape(value)}</li>" for value in values) + "</ul>"


def _refusal(item: ItemResult) -> str:
    expected = {True: "应拒答", False: "应作答", None: "未标注"}[item.expected_refusal]
    actual = "拒答或转人工" if item.refused else "作答"
    return f"期望：{expected}；实际：{actual}"


def _metrics(item: ItemResult) -> str:
    shown = [name for name in SHOWN_METRICS if name in item.metrics]
    chips = "".join(
        f'<span class="chip neutral">{escape(label(name))} {format_value(name, item.metrics[name])}</span>'
        for name in shown
    )
    latency = "—" if item.latency_ms is None else f"{item.latency_ms:.0f} 毫秒"
    return (chips or "无适用指标") + f'<span class="chip neutral">时延 {latency}</span>'


def _turns(turns: Sequence[Turn]) -> str:
    entries = []
    for number, turn in enumerate(turns, start=1):
        agent = f"（{escape(turn.agent)}）" if turn.agent else ""
        failures = _list(turn.failures) if turn.failures else ""
        entries.append(
            f'<li><strong>第 {number} 轮</strong>{agent}<div class="text">用户：{escape(turn.user)}\n'
            f"助手：{escape(turn.answer)}</div>{failures}</li>"
        )
    return '<ol class="passages">' + "".join(entries) + "</ol>"


def _call(call: ToolCall) -> str:
    args = json.dumps(call.args, ensure_ascii=False, sort_keys=True)
    state = "" if call.ok is None else ("" if call.ok else '<span class="chip">失败</span>')
    return f"<code>{escape(call.name)}({escape(args)})</code>{state}"


def _tool_calls(actual: Sequence[ToolCall], expected: Sequence[ToolCall]) -> str:
    made = "、".join(map(_call, actual)) or "无"
    wanted = "、".join(map(_call, expected)) or "无"
    return f"实际：{made}<br>期望：{wanted}"


def _flag(value: bool | None, yes: str, no: str) -> str:
    if value is None:
        return ""
    css = "ok" if value else ""
    return f'<span class="chip {css}">{yes if value else no}</span>'


def _passage(title: str, section: str, text: str, flags: str, rank: int | None = None) -> str:
    where = f"第 {rank} 名 · " if rank is not None else ""
    return (
        f"<li><div><strong>{escape(title or '（无标题）')}</strong> {flags}</div>"
        f'<div class="where">{where}{escape(section or "—")}</div><div class="text">{escape(text)}</div></li>'
    )


def _contexts(contexts: Sequence[RetrievedContext]) -> str:
    entries = "".join(
        _passage(
            c.title,
            c.section,
            c.text,
            _flag(c.relevant, "相关", "不相关") + _flag(c.current, "现行", "已失效"),
            rank=c.rank,
        )
        for c in contexts
    )
    return _collapsible(f"检索到的上下文（{len(contexts)} 条）", entries)


def _citations(citations: Sequence[Citation]) -> str:
    entries = "".join(
        _passage(
            c.title, c.section, c.text, _flag(c.supported, "有依据", "无依据") + _flag(c.current, "现行", "已失效")
        )
        for c in citations
    )
    return _collapsible(f"回答的引用（{len(citations)} 条）", entries)


def _collapsible(title: str, entries: str) -> str:
    if not entries:
        return f'<p class="hint">{title}：无</p>'
    return f'<details class="sub"><summary>{title}</summary><ol class="passages">{entries}</ol></details>'
