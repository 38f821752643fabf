"""Run directories as `minfu eval run` writes them (see the run-directory contract), for the report, compare and
notebook tests: a handful of items per pipeline, among them one whose question, answer, contexts and citations carry
markup, one that raised an error, one dialogue, one refusal, and metrics that no item has (null in the summary)."""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from eval.metric_catalog import PER_ITEM, SUMMED, catalog_json

PIPELINES = ("default", "dense-e5", "naive")
HOSTILE_ANSWER = '补贴标准见第三条<script>window.minfuXss=1</script><img src=x onerror="window.minfuXss=2">'
HOSTILE_QUESTION = "夜市补贴<b>多少</b>钱？"
HOSTILE_TITLE = '萤火虫夜市<img src=x onerror="window.minfuXss=3">扶持办法'
ABSENT_METRIC = "semantic_similarity"  # no item has it: the summary says null, the report "—"
DATASETS = (("dev_policy_qa", 4), ("dialogues", 1))

# per pipeline: how good its retrieval is, so the three differ
_QUALITY = {"default": 1.0, "dense-e5": 0.5, "naive": 0.0}


def _context(rank: int, *, relevant: bool, title: str = "闵行区促进产业高质量发展若干政策") -> dict[str, Any]:
    return {
        "rank": rank,
        "chunk_id": f"c-{rank}",
        "document_id": f"d-{rank}",
        "title": title,
        "section": "第三章 > 第十二条",
        "text": f"第十二条 对符合条件的企业给予补贴（第 {rank} 段）。",
        "relevant": relevant,
        "current": True,
    }


def _single(pipeline: str, number: int, **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pipeline": pipeline,
        "dataset": "dev_policy_qa",
        "id": f"dev-{number:03d}",
        "kind": "single",
        "category": "policy_plan/one_thing",
        "question": f"问题 {number}：企业如何申请研发补贴？",
        "answer": "可向区科委申请，材料见第十二条。",
        "reference_answer": "向区科委申请。",
        "expected_refusal": False,
        "refused": False,
        "contexts": [_context(1, relevant=True), _context(2, relevant=False)],
        "citations": [{**_context(1, relevant=True), "supported": True, "current": True}],
        "tool_calls": [],
        "failures": [],
        "metrics": {},
        "latency_ms": 40.0 + number,
        "error": None,
    }
    item.update(fields)
    return item


def _retrieval_metrics(quality: float) -> dict[str, float]:
    hit = 1.0 if quality >= 0.5 else 0.0
    return {"hit@1": quality, "hit@3": hit, "hit@5": hit, "hit@10": 1.0, "mrr@10": quality, "ndcg@10": quality}


def _answer_metrics(quality: float) -> dict[str, float]:
    return {
        "chrf": 0.3 + 0.2 * quality,
        "bleu": 0.1 + 0.1 * quality,
        "citation_precision": quality,
        "string_presence": 1.0,
    }


def pipeline_items(pipeline: str) -> list[dict[str, Any]]:
    quality = _QUALITY.get(pipeline, 0.5)
    metrics = {**_retrieval_metrics(quality), **_answer_metrics(quality), "currency_violations": 0.0}
    missed = [] if quality >= 0.5 else ["前 5 条检索结果中没有相关条款"]
    items = [
        _single(pipeline, 1, metrics=metrics, failures=missed),
        _single(
            pipeline,
            2,
            category="policy_plan/subsidy",
            question=HOSTILE_QUESTION,
            answer=HOSTILE_ANSWER,
            reference_answer="每个摊位每年<b>三千元</b>",
            contexts=[_context(1, relevant=True, title=HOSTILE_TITLE)],
            citations=[{**_context(1, relevant=True, title=HOSTILE_TITLE), "supported": False, "current": False}],
            metrics={**metrics, "citation_precision": 0.0, "currency_violations": 1.0},
            failures=["引用了已失效的条文<i>旧版</i>"],
        ),
        _single(
            pipeline,
            3,
            category="refusal",
            question="帮我写一首诗",
            answer="抱歉，这不在政务服务范围内。" if quality >= 0.5 else "好的：春风……",
            reference_answer=None,
            expected_refusal=True,
            refused=quality >= 0.5,
            contexts=[],
            citations=[],
            metrics={"refusal_correct": 1.0 if quality >= 0.5 else 0.0},
            failures=[] if quality >= 0.5 else ["应拒答却作答"],
        ),
        _single(pipeline, 4, category="未分类", metrics={"hit@5": 1.0, "mrr@10": 0.5, "refusal_correct": 1.0}),
        _dialogue(pipeline, passed=quality >= 0.5),
    ]
    if pipeline == "naive":
        items[3] = {**items[3], "metrics": {}, "error": "检索超时：索引不可用", "answer": ""}
    return items


def _dialogue(pipeline: str, *, passed: bool) -> dict[str, Any]:
    call = {"name": "match_policies", "args": {"industry": "软件"}}
    return {
        **_single(pipeline, 5),
        "dataset": "dialogues",
        "id": "dlg-001",
        "kind": "dialogue",
        "category": "investment/site",
        "question": "我想在闵行开软件公司 / 有什么政策",
        "answer": "可申请以下政策……",
        "reference_answer": None,
        "expected_refusal": None,
        "tool_calls": [{**call, "ok": True}] if passed else [],
        "expected_tool_calls": [call],
        "turns": [
            {"user": "我想在闵行开软件公司", "answer": "欢迎！", "agent": "investment", "failures": []},
            {
                "user": "有什么政策",
                "answer": "可申请以下政策……",
                "agent": "policy",
                "failures": [] if passed else ["未调用 match_policies"],
            },
        ],
        "failures": [] if passed else ["第 2 轮：未调用 match_policies"],
        "metrics": {"dialogue_passed": 1.0 if passed else 0.0, "tool_call_f1": 1.0 if passed else 0.0},
        "latency_ms": 120.0,
    }


def standard_items(pipelines: Sequence[str] = PIPELINES) -> list[dict[str, Any]]:
    return [item for pipeline in pipelines for item in pipeline_items(pipeline)]


def run_info(pipelines: Sequence[str], *, finished: bool = True) -> dict[str, Any]:
    problem = {"line": 7, "field": "question", "message_zh": "问题为空<script>x</script>"}
    return {
        "version": 1,
        "started_at": "2026-03-01T09:00:00+08:00",
        "finished_at": "2026-03-01T09:02:05+08:00" if finished else None,
        "brain": "offline",
        "pipelines": list(pipelines),
        "datasets": [
            {"name": name, "path": f"eval/datasets/{name}.jsonl", "items": count, "problems": [problem] if i else []}
            for i, (name, count) in enumerate(DATASETS)
        ],
        "corpus": "内置知识库（42 篇文档）",
        "embedder": "hashing",
        "judge": None,
        "minfu_version": "0.1.0",
    }


def write_run(
    path: Path,
    items: Iterable[dict[str, Any]] | None = None,
    *,
    pipelines: Sequence[str] = PIPELINES,
    truncate_last: bool = False,
    with_summary: bool = True,
) -> Path:
    """A run directory in `path`; `truncate_last` appends half a line as an interrupted run leaves it."""
    rows = list(items) if items is not None else standard_items(pipelines)
    path.mkdir(parents=True, exist_ok=True)
    info = run_info(pipelines)
    (path / "run.json").write_text(json.dumps(info, ensure_ascii=False, indent=2), encoding="utf-8")
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    if truncate_last:
        lines.append(lines[-1][: len(lines[-1]) // 2])
    (path / "results.jsonl").write_text("\n".join(lines) + ("" if truncate_last else "\n"), encoding="utf-8")
    if with_summary:
        summary = {"run": info, "metrics": catalog_json(), "pipelines": summarise(rows, pipelines)}
        (path / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def changed(items: list[dict[str, Any]], pipeline: str, item_id: str, **fields: Any) -> list[dict[str, Any]]:
    """A copy of `items` with one item's fields replaced (`metrics` is merged)."""
    result = copy.deepcopy(items)
    for item in result:
        if item["pipeline"] == pipeline and item["id"] == item_id:
            item["metrics"] = {**item["metrics"], **fields.pop("metrics", {})}
            item.update(fields)
    return result


# --- the summary, aggregated as the contract describes ---


def summarise(rows: list[dict[str, Any]], pipelines: Sequence[str]) -> dict[str, Any]:
    result = {}
    for pipeline in pipelines:
        own = [row for row in rows if row["pipeline"] == pipeline]
        result[pipeline] = {
            "items": len(own),
            "errors": sum(1 for row in own if row["error"]),
            "overall": _aggregate(own),
            "by_category": _grouped(own, "category"),
            "by_dataset": _grouped(own, "dataset"),
        }
    return result


def _grouped(rows: list[dict[str, Any]], field: str) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[field], []).append(row)
    return {name: {**_aggregate(members), "items": len(members)} for name, members in groups.items()}


def _aggregate(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    figures: dict[str, float | None] = {}
    for name in PER_ITEM:
        values = [row["metrics"][name] for row in rows if name in row["metrics"]]
        figures[name] = (sum(values) if name in SUMMED else sum(values) / len(values)) if values else None
    figures.update(_refusal(rows))
    passed = [row["metrics"]["dialogue_passed"] for row in rows if "dialogue_passed" in row["metrics"]]
    figures["dialogue_pass_rate"] = sum(passed) / len(passed) if passed else None
    latencies = sorted(row["latency_ms"] for row in rows if row["latency_ms"] is not None)
    figures["latency_ms_p50"] = _percentile(latencies, 50)
    figures["latency_ms_p95"] = _percentile(latencies, 95)
    return figures


def _refusal(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    judged = [row for row in rows if row["expected_refusal"] is not None]
    refused = [row for row in judged if row["refused"]]
    expected = [row for row in judged if row["expected_refusal"]]
    correct = [row for row in refused if row["expected_refusal"]]
    return {
        "refusal_precision": len(correct) / len(refused) if refused else None,
        "refusal_recall": len(correct) / len(expected) if expected else None,
    }


def _percentile(values: list[float], percent: int) -> float | None:
    if not values:
        return None
    return values[max(0, math.ceil(percent / 100 * len(values)) - 1)]
