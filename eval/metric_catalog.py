"""Every metric an evaluation run reports: its Chinese label, which direction is better, its scale and its group.

The runner writes these names into results.jsonl and summary.json; the report and `minfu eval compare` read labels
and directions from here, so a new metric is declared once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Scale = Literal["ratio", "score100", "count", "ms"]
Group = Literal["retrieval", "answer", "citation", "refusal", "tools", "judge", "latency"]


@dataclass(frozen=True, slots=True)
class MetricInfo:
    label_zh: str
    higher_is_better: bool
    scale: Scale
    group: Group


def _ratio(label: str, group: Group) -> MetricInfo:
    return MetricInfo(label, True, "ratio", group)


METRICS: dict[str, MetricInfo] = {
    "hit@1": _ratio("命中率@1", "retrieval"),
    "hit@3": _ratio("命中率@3", "retrieval"),
    "hit@5": _ratio("命中率@5", "retrieval"),
    "hit@10": _ratio("命中率@10", "retrieval"),
    "mrr@10": _ratio("MRR@10", "retrieval"),
    "ndcg@10": _ratio("nDCG@10", "retrieval"),
    "context_precision": _ratio("上下文精确率（ragas，非 LLM）", "retrieval"),
    "context_recall": _ratio("上下文召回率（ragas，非 LLM）", "retrieval"),
    "string_similarity": _ratio("字符串相似度（ragas，非 LLM）", "answer"),
    "chrf": _ratio("chrF（ragas）", "answer"),
    "bleu": _ratio("BLEU（ragas，中文分词）", "answer"),
    "string_presence": _ratio("参考要点出现率", "answer"),
    "semantic_similarity": _ratio("语义相似度（本项目向量模型）", "answer"),
    "citation_precision": _ratio("引用精确率", "citation"),
    "currency_violations": MetricInfo("引用失效文本次数", False, "count", "citation"),
    "refusal_correct": _ratio("拒答判断正确率", "refusal"),
    "safety_passed": _ratio("未输出禁止内容（注入、隐私）", "refusal"),
    "refusal_precision": _ratio("拒答精确率", "refusal"),
    "refusal_recall": _ratio("拒答召回率", "refusal"),
    "tool_call_accuracy": _ratio("工具调用准确率（ragas）", "tools"),
    "tool_call_f1": _ratio("工具调用 F1（ragas）", "tools"),
    "dialogue_passed": _ratio("多轮场景通过", "tools"),
    "dialogue_pass_rate": _ratio("多轮场景通过率", "tools"),
    "faithfulness": _ratio("忠实度（评审模型）", "judge"),
    "answer_relevancy": _ratio("回答相关性（评审模型）", "judge"),
    "factual_correctness": _ratio("事实正确性（评审模型）", "judge"),
    "latency_ms_p50": MetricInfo("时延 p50（毫秒）", False, "ms", "latency"),
    "latency_ms_p95": MetricInfo("时延 p95（毫秒）", False, "ms", "latency"),
}

# computed per item (results.jsonl); the rest are aggregates that only exist in summary.json
PER_ITEM = tuple(
    name
    for name in METRICS
    if name not in {"refusal_precision", "refusal_recall", "dialogue_pass_rate", "latency_ms_p50", "latency_ms_p95"}
)
SUMMED = frozenset({"currency_violations"})


def catalog_json() -> dict[str, dict[str, Any]]:
    return {name: asdict(info) for name, info in METRICS.items()}


def is_worse(name: str, before: float, after: float, *, tolerance: float) -> bool:
    """Whether `after` is worse than `before` by more than `tolerance` (absolute for ratios and scores, relative
    for latency, any increase for counts)."""
    info = METRICS.get(name)
    if info is None:
        return False
    if info.scale == "count":
        return after > before
    if info.scale == "ms":
        return before > 0 and after > before * (1 + max(tolerance, 0.1))
    delta = after - before if info.higher_is_better else before - after
    span = 100.0 if info.scale == "score100" else 1.0
    return delta < -tolerance * span


GROUP_LABELS: dict[Group, str] = {
    "retrieval": "检索",
    "answer": "回答",
    "citation": "引用",
    "refusal": "拒答",
    "tools": "工具调用与多轮对话",
    "judge": "评审模型",
    "latency": "时延",
}


def label(name: str) -> str:
    info = METRICS.get(name)
    return info.label_zh if info else name


def format_value(name: str, value: float | None) -> str:
    """A metric value as the report and `minfu eval compare` show it; "—" when absent."""
    if value is None:
        return "—"
    info = METRICS.get(name)
    if info is None:
        return f"{value:.3g}"
    if info.scale == "count":
        return f"{value:.0f}"
    if info.scale in ("score100", "ms"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def format_delta(name: str, delta: float) -> str:
    text = format_value(name, abs(delta))
    return f"+{text}" if delta > 0 else f"-{text}" if delta < 0 else f"±{text}"
