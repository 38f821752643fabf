"""summary.json from results.jsonl records: each pipeline overall, by category and by dataset.

A per-item metric is averaged over the items it applies to (null when none does); currency violations are summed;
refusal precision and recall count the items that say whether a refusal is expected; latency percentiles cover
every item that ran without an error. `judge_errors` counts the items the judge model failed to score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from eval.metric_catalog import PER_ITEM, SUMMED, catalog_json
from eval.metrics import percentile


def summarise_run(run: dict[str, Any], records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    by_pipeline: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_pipeline.setdefault(record["pipeline"], []).append(record)
    pipelines = {name: _pipeline(by_pipeline.get(name, [])) for name in run["pipelines"]}
    return {"run": run, "metrics": catalog_json(), "pipelines": pipelines}


def _pipeline(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "items": len(records),
        "errors": sum(1 for r in records if r.get("error")),
        "judge_errors": sum(1 for r in records if r.get("judge_error")),
        "overall": aggregate(records),
        "by_category": _grouped(records, "category"),
        "by_dataset": _grouped(records, "dataset"),
    }


def _grouped(records: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(str(record.get(key) or "未分类"), []).append(record)
    return {name: aggregate(group) | {"items": len(group)} for name, group in sorted(groups.items())}


def aggregate(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in PER_ITEM:
        present = [float(r["metrics"][name]) for r in records if r.get("metrics", {}).get(name) is not None]
        if name in SUMMED:
            values[name] = int(sum(present))
        else:
            values[name] = round(sum(present) / len(present), 4) if present else None
    values |= _refusal(records)
    values["dialogue_pass_rate"] = values.get("dialogue_passed")
    times = [float(r["latency_ms"]) for r in records if not r.get("error")]
    values["latency_ms_p50"] = round(percentile(times, 50), 1) if times else None
    values["latency_ms_p95"] = round(percentile(times, 95), 1) if times else None
    return values


def _refusal(records: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    judged = [r for r in records if r.get("expected_refusal") is not None and not r.get("error")]
    refused = [r for r in judged if r.get("refused")]
    expected = [r for r in judged if r["expected_refusal"]]
    right = [r for r in refused if r["expected_refusal"]]
    return {
        "refusal_precision": round(len(right) / len(refused), 4) if refused else None,
        "refusal_recall": round(len(right) / len(expected), 4) if expected else None,
    }
